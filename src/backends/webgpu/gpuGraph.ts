// Compiled graphs on WebGPU. prepare: weights uploaded once (split along dim 0 where a weight
// is larger than one binding and its op can take the pieces). instantiate (per input shapes):
// one buffer per liveness slot, every op lowered to dispatches, pipelines built asynchronously,
// uniforms packed into one buffer, bind groups created once; kernel variants as tuned on this
// adapter (tuner.ts), else the ops' tables. run: the input copies, every dispatch and the output
// copies in one command buffer, one submit; nothing is read back. A profiled run (compile's
// `profile`) adds timestamps to that command buffer, or, without them, submits node by node.
import { DeviceLimitError, NNError, UnsupportedError } from '../../errors.js';
import { describeNode, type Graph, type Node, type ValueId } from '../../graph/ir.js';
import type { Plan, Slice } from '../../graph/plan.js';
import { makeProfile, type Profile, type ProfilePart } from '../../graph/profile.js';
import type { BuildControl, Executable, ProfileMethodRequest } from '../../graph/session.js';
import type { TrackedGraph } from '../backendBase.js';
import { formatShape, sizeOf } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { bufferArg, mib, storageBindingLimit, type GpuArg } from '../../ops/kernel.js';
import { buildSteps, encodeSteps, PassTimer, recordNodes, type ChoiceMade, type GpuGraphHost, type Step } from './gpuSteps.js';
import { PipelineCache } from './pipelines.js';
import { tunedPicker, tuneGraph } from './tuner.js';

export type { GpuGraphHost } from './gpuSteps.js';

/**
 * Refuses, before anything is allocated, a plan with an op that has no WebGPU kernel or a tensor
 * larger than one binding allows (a DeviceLimitError naming it, its size and the limit).
 */
export function checkGpuPlan(backend: GpuGraphHost, graph: Graph, plan: Plan): void {
  for (const node of graph.nodes) {
    if (!node.op.view && !node.op.gpu) throw new UnsupportedError(`${describeNode(node)}: no WebGPU kernel`);
    node.outputs.forEach((id, k) => backend.checkBindingSize(sizeOf(plan.shapes[id]) * 4, `${describeNode(node)}: output ${k} ${formatShape(plan.shapes[id])}`));
  }
  graph.inputs.forEach((input) => backend.checkBindingSize(sizeOf(plan.shapes[input.id]) * 4, `input '${input.name}' ${formatShape(plan.shapes[input.id])}`));
}

export async function prepareGpuGraph(backend: GpuGraphHost, graph: Graph): Promise<TrackedGraph> {
  const limit = storageBindingLimit(backend.limits);
  const readers = new Map<ValueId, { node: Node; index: number }[]>();
  for (const node of graph.nodes) {
    node.inputs.forEach((id, index) => id !== null && readers.set(id, [...(readers.get(id) ?? []), { node, index }]));
  }
  // Parameters the passes left without a reader (the weights BatchNorm folding replaced, a matmul
  // weight stored transposed) stay on the host: uploading them would only hold GPU memory.
  const used = new Set<ValueId>([...readers.keys(), ...graph.outputs.map((o) => o.id), ...(graph.updates ?? []).map((u) => u.target)]);
  const paramValues = graph.values.filter((v) => v.kind === 'param' && used.has(v.id));
  const unread = new Map(graph.values.filter((v) => v.kind === 'param' && !used.has(v.id)).map((v) => [v.id, v.data!]));

  // Every check before the first allocation.
  const rowsPerPart = new Map<ValueId, number>();
  for (const v of paramValues) {
    const bytes = sizeOf(v.shape) * 4;
    if (bytes <= limit) continue;
    const what = `parameter '${v.name}' ${formatShape(v.shape)} (${mib(bytes)})`;
    for (const { node, index } of readers.get(v.id) ?? []) {
      if (!node.op.gpuAcceptsParts?.includes(index)) {
        throw new DeviceLimitError(`${describeNode(node)}: ${what} is larger than one storage binding allows (${mib(limit)}, maxStorageBufferBindingSize) and ${node.op.name} cannot split it`);
      }
    }
    const rowBytes = bytes / v.shape[0];
    const rows = Math.floor(limit / rowBytes);
    if (rows < 1) throw new DeviceLimitError(`${what}: one row along dim 0 is ${mib(rowBytes)}, more than one storage binding allows (${mib(limit)})`);
    rowsPerPart.set(v.id, rows);
  }

  const params = new Map<ValueId, GpuArg>();
  const buffers: GPUBuffer[] = [];
  const upload = (data: Float32Array, shape: readonly number[], label?: string): GpuArg => {
    const buffer = backend.createBufferWith(data, undefined, label);
    buffers.push(buffer);
    return bufferArg(buffer, shape);
  };
  let uploaded: Promise<string | null> = Promise.resolve(null);
  try {
    // Inside error scopes: weights the device could not take fail the compile, not a later run.
    [, uploaded] = backend.captureFailure(() => {
      for (const v of paramValues) {
        const data = v.data!();
        const rows = rowsPerPart.get(v.id);
        if (rows === undefined) {
          params.set(v.id, upload(data, v.shape, v.name));
          continue;
        }
        const rowElems = sizeOf(v.shape) / v.shape[0];
        const parts: GpuArg[] = [];
        for (let r = 0; r < v.shape[0]; r += rows) {
          const n = Math.min(rows, v.shape[0] - r);
          parts.push(upload(data.subarray(r * rowElems, (r + n) * rowElems), [n, ...v.shape.slice(1)], `${v.name}[${r}:${r + n}]`));
        }
        params.set(v.id, { ...parts[0], shape: v.shape, parts });
      }
    });
  } catch (e) {
    backend.destroyWhenIdle(buffers);
    throw e;
  }
  const uploadError = await uploaded;
  if (uploadError) {
    backend.destroyWhenIdle(buffers);
    throw new NNError(`compile: uploading the weights failed on the GPU: ${uploadError}`);
  }
  for (const u of graph.updates ?? []) {
    if (params.get(u.target)?.parts) {
      backend.destroyWhenIdle(buffers);
      throw new DeviceLimitError(`parameter '${graph.values[u.target].name}' is larger than one storage binding allows; a graph cannot update it`);
    }
  }
  const param = (id: ValueId, what: string): GpuArg => {
    const arg = params.get(id);
    if (!arg) throw new NNError(`${what}: value ${id} is not a parameter of this graph`);
    return arg;
  };
  const readDeviceParams = async (ids: readonly ValueId[]): Promise<Float32Array[]> => {
    if (ids.length === 0) return [];
    // One command buffer copies them all out; then each is read back.
    const copies = ids.map((id) => {
      const arg = param(id, 'readParams');
      return { arg, buffer: backend.createBuffer(sizeOf(arg.shape) * 4, 'parameter readback'), bytes: sizeOf(arg.shape) * 4 };
    });
    backend.flush();
    const [, failure] = backend.captureFailure(() => {
      const encoder = backend.device.createCommandEncoder({ label: 'read parameters' });
      for (const { arg, buffer, bytes } of copies) if (bytes > 0) encoder.copyBufferToBuffer(arg.buffer, arg.offset, buffer, 0, bytes);
      backend.submit(encoder, 0);
    });
    const tensors = copies.map(({ arg, buffer }) => backend.adoptBuffer(buffer, arg.shape, failure));
    try {
      return await Promise.all(tensors.map((t) => t.data()));
    } finally {
      for (const t of tensors) t.dispose();
    }
  };
  const executables = new Set<GpuExecutable>();
  return {
    instantiate: async (plan, control) => {
      const e = await GpuExecutable.create(backend, graph, plan, params, control);
      executables.add(e);
      return e;
    },
    bytes: () => [...buffers, ...[...executables].flatMap((e) => e.buffers)].reduce((n, b) => n + b.size, 0),
    readParams: async (ids) => {
      const onDevice = ids.filter((id) => !unread.has(id));
      const values = await readDeviceParams(onDevice);
      return ids.map((id) => unread.get(id)?.().slice() ?? values[onDevice.indexOf(id)]);
    },
    writeParam: (id, data) => {
      if (unread.has(id)) {
        const copy = data.slice();
        unread.set(id, () => copy);
        return;
      }
      const arg = param(id, 'writeParam');
      backend.checkUsable();
      backend.flush(); // queued work that reads the old values goes first
      backend.device.queue.writeBuffer(arg.buffer, arg.offset, data.buffer, data.byteOffset, data.byteLength);
    },
    dispose: () => {
      for (const e of executables) e.dispose();
      executables.clear();
      backend.destroyWhenIdle(buffers);
      params.clear();
    },
  };
}

class GpuExecutable implements Executable {
  readonly stats;
  readonly outputShapes;
  #disposed = false;

  private constructor(
    private readonly backend: GpuGraphHost,
    private readonly graph: Graph,
    private readonly plan: Plan,
    private readonly inputBuffers: GPUBuffer[],
    private readonly args: (GpuArg | undefined)[],
    private readonly steps: Step[],
    /** Per graph node: what ran (kernel variants or shaders, dispatch grid) for profiles. */
    private readonly kernels: NodeKernels[],
    private readonly owned: GPUBuffer[],
  ) {
    this.stats = {
      buffers: plan.slotSizes.length,
      dispatches: steps.filter((s) => s.kind === 'dispatch').length,
      commandBuffers: 1,
    };
    this.outputShapes = graph.outputs.map((o) => plan.shapes[o.id]);
  }

  static async create(backend: GpuGraphHost, graph: Graph, plan: Plan, params: Map<ValueId, GpuArg>, control: BuildControl = {}): Promise<GpuExecutable> {
    checkGpuPlan(backend, graph, plan);

    const owned: GPUBuffer[] = [];
    const track = (b: GPUBuffer) => (owned.push(b), b);
    try {
      const slots = plan.slotSizes.map((n, i) => track(backend.createBuffer(n * 4, `slot ${i}`)));
      const inputBuffers = graph.inputs.map((input) => track(backend.createBuffer(sizeOf(plan.shapes[input.id]) * 4, `input ${input.name}`)));
      const args: (GpuArg | undefined)[] = new Array(graph.values.length);
      const region = (buffer: GPUBuffer, id: ValueId): GpuArg => bufferArg(buffer, plan.shapes[id]);
      // A channel slice of a concat's output: from its first image's part to the end of its last one's.
      const slice = (buffer: GPUBuffer, id: ValueId, { offset, batchStride }: Slice): GpuArg => {
        const shape = plan.shapes[id];
        const image = sizeOf(shape) / Math.max(1, shape[0]);
        return { buffer, offset: offset * 4, size: Math.max(4, ((shape[0] - 1) * batchStride + image) * 4), shape, batchStride };
      };
      graph.inputs.forEach((input, i) => (args[input.id] = region(inputBuffers[i], input.id)));
      for (const [id, arg] of params) args[id] = arg;
      for (const node of graph.nodes) {
        if (node.op.view) args[node.outputs[0]] = { ...args[node.inputs[0]!]!, shape: plan.shapes[node.outputs[0]], parts: undefined };
        else node.outputs.forEach((id) => (args[id] = plan.slices[id] ? slice(slots[plan.slotOf[id]], id, plan.slices[id]!) : region(slots[plan.slotOf[id]], id)));
      }

      // Kernel choices: tuned now (compile's `tune`), tuned before on this adapter, else the tables.
      await backend.tunedChoices.load();
      if (control.tune) await tuneGraph(backend, graph, args, backend.tunedChoices, control.tune, control);
      // A concat its producers wrote in place has nothing to record.
      const nodes = [...graph.nodes.keys()].filter((i) => !plan.inPlace[i]);
      const recording = recordNodes(backend, graph, args, nodes, tunedPicker(backend.tunedChoices), (bytes) => track(backend.createBuffer(bytes, 'scratch')));
      const { commands, choices } = recording;
      // State updates last, in the same command buffer: new values over the resident ones.
      for (const u of graph.updates ?? []) {
        const bytes = sizeOf(plan.shapes[u.source]) * 4;
        if (bytes > 0) commands.push({ kind: 'copy', node: -1, from: args[u.source]!, to: params.get(u.target)!, bytes });
      }

      const steps = await buildSteps(backend, commands, control, track);
      const kernels = describeKernels(graph, steps, choices, plan.inPlace);
      if (control.debug) printKernels(graph, steps, kernels);
      return new GpuExecutable(backend, graph, plan, inputBuffers, args, steps, kernels, owned);
    } catch (e) {
      backend.destroyWhenIdle(owned);
      throw e;
    }
  }

  /** The buffers this plan owns (slots, inputs, scratch, uniforms). */
  get buffers(): readonly GPUBuffer[] {
    return this.#disposed ? [] : this.owned;
  }

  run(inputs: readonly Tensor[], into?: readonly Tensor[]): Tensor[] {
    return this.#run(inputs, into, null);
  }

  /** run() timed per node: timestamps in the one command buffer, or one submit per node (approximate). */
  async runProfiled(inputs: readonly Tensor[], into: readonly Tensor[] | undefined, method: ProfileMethodRequest): Promise<{ outputs: Tensor[]; profile: Profile }> {
    const hasTimestamps = this.backend.device.features.has('timestamp-query');
    if (method === 'timestamp-query' && !hasTimestamps) {
      throw new UnsupportedError("profile: method 'timestamp-query' needs the device feature 'timestamp-query', which this adapter does not offer (use 'auto' or 'submit-per-node')");
    }
    if (method !== 'submit-per-node' && hasTimestamps) {
      const timer = new PassTimer(this.backend.device);
      const outputs = this.#run(inputs, into, timer);
      const perStep = await timer.read();
      const perNode = new Map<number, number>();
      perStep.forEach((ms, step) => perNode.set(this.steps[step].node, (perNode.get(this.steps[step].node) ?? 0) + ms));
      return { outputs, profile: this.#profile(perNode, perStep, 'timestamp-query', 0) };
    }
    return this.#runSubmitPerNode(inputs, into);
  }

  #run(inputs: readonly Tensor[], into: readonly Tensor[] | undefined, timer: PassTimer | null): Tensor[] {
    if (this.#disposed) throw new NNError('run: the session was disposed');
    const { backend } = this;
    backend.checkUsable();
    backend.flush(); // eager work that produced the inputs is submitted first
    // Errors WebGPU reports for this run belong to its outputs (data() raises them), as do the failures of its inputs.
    const inherited = backend.failureOf(inputs);
    const [outputs, failure] = backend.captureFailure(() => {
      const encoder = backend.device.createCommandEncoder({ label: 'run' });
      this.#encodeInputs(encoder, inputs);
      encodeSteps(encoder, this.steps, timer, backend.debug ? (spec) => backend.logDispatch(spec, 'run') : undefined);
      const outs = this.#encodeOutputs(encoder, into);
      timer?.resolve(encoder);
      backend.submit(encoder, this.stats.dispatches);
      return outs;
    });
    const combined = inherited ? Promise.all([inherited, failure]).then(([a, b]) => a ?? b) : failure;
    // The caller's output tensors (run(x, { output })) are written in place and returned as they are.
    return outputs.map(({ buffer, shape }, i) => into?.[i] ?? backend.adoptBuffer(buffer, shape, combined));
  }

  /**
   * The profile without timestamps: every node its own submit, timed from the submit until
   * onSubmittedWorkDone, less the round trip of an empty submit measured just before.
   */
  async #runSubmitPerNode(inputs: readonly Tensor[], into: readonly Tensor[] | undefined): Promise<{ outputs: Tensor[]; profile: Profile }> {
    if (this.#disposed) throw new NNError('run: the session was disposed');
    const { backend } = this;
    const device = backend.device;
    backend.checkUsable();
    backend.flush();
    const inherited = backend.failureOf(inputs);
    const roundTrip = async (encode: (encoder: GPUCommandEncoder) => void, dispatches: number) => {
      const encoder = device.createCommandEncoder({ label: 'profiled run' });
      encode(encoder);
      const begin = performance.now();
      backend.submit(encoder, dispatches);
      await device.queue.onSubmittedWorkDone();
      return performance.now() - begin;
    };
    await roundTrip((e) => this.#encodeInputs(e, inputs), 0);
    const empty: number[] = [];
    for (let i = 0; i < 5; i++) empty.push(await roundTrip(() => {}, 0));
    const overhead = empty.sort((a, b) => a - b)[2];
    const ms = new Map<number, number>();
    for (let at = 0; at < this.steps.length; ) {
      const node = this.steps[at].node;
      let end = at;
      while (end < this.steps.length && this.steps[end].node === node) end++;
      const group = this.steps.slice(at, end);
      const t = await roundTrip((e) => encodeSteps(e, group), group.filter((s) => s.kind === 'dispatch').length);
      ms.set(node, (ms.get(node) ?? 0) + Math.max(0, t - overhead));
      at = end;
    }
    let outs: { buffer: GPUBuffer; shape: readonly number[] }[] = [];
    await roundTrip((e) => (outs = this.#encodeOutputs(e, into)), 0);
    const outputs = outs.map(({ buffer, shape }, i) => into?.[i] ?? backend.adoptBuffer(buffer, shape, inherited));
    return { outputs, profile: this.#profile(ms, null, 'submit-per-node', overhead) };
  }

  /** The profile from ms per node (index; -1: state updates) and, where measured, per step (index in this.steps). */
  #profile(ms: Map<number, number>, perStep: Map<number, number> | null, method: 'timestamp-query' | 'submit-per-node', overhead: number): Profile {
    const timings = this.kernels.map((k, i) => ({ ...k, ms: ms.get(i) ?? 0, parts: perStep ? this.#parts(i, perStep) : [] }));
    const updates = this.steps.filter((s) => s.node === -1).length;
    const extra = updates > 0 ? [{ name: '(state updates)', op: 'copy', kernel: 'copy', dispatch: '', dispatches: 0, ms: ms.get(-1) ?? 0, flops: null, gflops: null, parts: [] }] : [];
    const note =
      method === 'timestamp-query'
        ? "GPU timestamps around every dispatch (a compute pass each), in the run's one command buffer"
        : `one submit per node, timed on the CPU until the GPU reported it done, less an empty submit's round trip (${overhead.toFixed(3)} ms)`;
    return makeProfile(this.graph, this.plan, timings, { backend: 'webgpu', method, approximate: method === 'submit-per-node', note }, extra);
  }

  /** Node `node`'s time by pipeline (shader and entry point), in order of first dispatch. */
  #parts(node: number, perStep: Map<number, number>): ProfilePart[] {
    const parts = new Map<string, { kernel: string; dispatch: string; dispatches: number; ms: number }>();
    this.steps.forEach((step, i) => {
      if (step.kind !== 'dispatch' || step.node !== node) return;
      const { spec, workgroups } = step.recorded;
      const kernel = spec.entryPoint && spec.entryPoint !== 'main' ? `${spec.shader.label}.${spec.entryPoint}` : spec.shader.label;
      const part = parts.get(kernel);
      if (part) {
        part.dispatches++;
        part.ms += perStep.get(i) ?? 0;
      } else {
        parts.set(kernel, { kernel, dispatch: workgroups.join('×'), dispatches: 1, ms: perStep.get(i) ?? 0 });
      }
    });
    return [...parts.values()];
  }

  #encodeInputs(encoder: GPUCommandEncoder, inputs: readonly Tensor[]): void {
    inputs.forEach((t, i) => {
      const bytes = t.size * 4;
      if (bytes > 0) encoder.copyBufferToBuffer(this.backend.argOf(t).buffer, 0, this.inputBuffers[i], 0, bytes);
    });
  }

  /** Outputs are copied out (into new buffers, or the caller's): they must survive later runs. */
  #encodeOutputs(encoder: GPUCommandEncoder, into: readonly Tensor[] | undefined): { buffer: GPUBuffer; shape: readonly number[] }[] {
    const { backend, graph, plan } = this;
    return graph.outputs.map((o, i) => {
      const shape = plan.shapes[o.id];
      const bytes = sizeOf(shape) * 4;
      const buffer = into ? backend.argOf(into[i]).buffer : backend.createBuffer(bytes, `output ${o.name}`);
      const src = this.args[o.id]!;
      if (bytes > 0) encoder.copyBufferToBuffer(src.buffer, src.offset, buffer, 0, bytes);
      return { buffer, shape };
    });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.backend.destroyWhenIdle(this.owned);
  }
}

/** What a node ran, as a profile row shows it. */
interface NodeKernels {
  readonly kernel: string;
  readonly dispatch: string;
  readonly dispatches: number;
}

function describeKernels(graph: Graph, steps: readonly Step[], choices: readonly ChoiceMade[], inPlace: readonly boolean[]): NodeKernels[] {
  return graph.nodes.map((node, i) => {
    if (node.op.view) return { kernel: 'view', dispatch: '', dispatches: 0 };
    if (inPlace[i]) return { kernel: 'in place', dispatch: '', dispatches: 0 };
    const dispatches = steps.flatMap((s) => (s.kind === 'dispatch' && s.node === i ? [s.recorded] : []));
    const chosen = [...new Set(choices.filter((c) => c.node === i).map((c) => c.chosen))];
    const shaders = [...new Set(dispatches.map((d) => d.spec.shader.label))];
    const kernel = chosen.length > 0 ? chosen.join(', ') : shaders.join(', ') || 'copy';
    const dispatch = dispatches.length === 1 ? dispatches[0].workgroups.join('×') : dispatches.length > 1 ? `${dispatches.length} dispatches` : '';
    return { kernel, dispatch, dispatches: dispatches.length };
  });
}

/** The debug print at compile: every node's kernel variant, pipelines (shader and WGSL constants) and workgroups. */
function printKernels(graph: Graph, steps: readonly Step[], kernels: readonly NodeKernels[]): void {
  const lines = ['[webgpu-nn] compile: kernels chosen'];
  graph.nodes.forEach((node, i) => {
    if (node.op.view) return;
    lines.push(`  ${describeNode(node)}: ${kernels[i].kernel}`);
    const pipelines = new Map<string, { count: number; workgroups: readonly number[] }>();
    for (const s of steps) {
      if (s.kind !== 'dispatch' || s.node !== i) continue;
      const key = PipelineCache.key(s.recorded.spec);
      const seen = pipelines.get(key);
      if (seen) seen.count++;
      else pipelines.set(key, { count: 1, workgroups: s.recorded.workgroups });
    }
    for (const [key, { count, workgroups }] of pipelines) lines.push(`    ${key} workgroups ${workgroups.join('×')}${count > 1 ? ` (×${count} dispatches)` : ''}`);
  });
  console.log(lines.join('\n'));
}
