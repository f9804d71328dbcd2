// Compiled graphs on WebGPU. prepare: weights uploaded once (split along dim 0 where a weight
// is larger than one binding and its op can take the pieces). instantiate (per input shapes):
// one buffer per liveness slot, every op lowered to dispatches, pipelines built asynchronously,
// uniforms packed into one buffer, bind groups created once. run: the input copies, every
// dispatch and the output copies in one command buffer, one submit; nothing is read back.
import { DeviceLimitError, NNError, UnsupportedError } from '../../errors.js';
import { describeNode, type Graph, type Node, type ValueId } from '../../graph/ir.js';
import type { Plan } from '../../graph/plan.js';
import type { BuildControl, Executable } from '../../graph/session.js';
import type { TrackedGraph } from '../backendBase.js';
import { formatShape, sizeOf } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import { bufferArg, mib, scratchArg, storageBindingLimit, type DispatchSpec, type GpuArg, type GpuRegion, type KernelRecorder } from '../../ops/kernel.js';
import { UNIFORM_USAGE } from './device.js';
import type { PipelineCache } from './pipelines.js';

/** What a compiled graph uses of the WebGPU backend (webgpuBackend.ts implements it). */
export interface GpuGraphHost {
  readonly device: GPUDevice;
  readonly limits: GPUSupportedLimits;
  readonly softwareAdapter: boolean;
  readonly pipelines: PipelineCache;
  readonly debug: boolean;
  createBuffer(bytes: number, label?: string): GPUBuffer;
  createBufferWith(data: Float32Array | Uint32Array | ArrayBuffer, usage?: number, label?: string): GPUBuffer;
  checkBindingSize(bytes: number, what: string): void;
  checkUsable(): void;
  flush(): void;
  argOf(t: Tensor): GpuArg;
  adoptBuffer(buffer: GPUBuffer, shape: readonly number[], failure?: Promise<string | null> | null): Tensor;
  bindGroup(pipeline: GPUComputePipeline, spec: DispatchSpec, uniform: GpuRegion | null): GPUBindGroup;
  submit(encoder: GPUCommandEncoder, dispatches: number): void;
  logDispatch(spec: DispatchSpec, context: string): void;
  destroyWhenIdle(buffers: readonly GPUBuffer[]): void;
  captureFailure<T>(encode: () => T): [T, Promise<string | null>];
  failureOf(tensors: readonly (Tensor | null)[]): Promise<string | null> | null;
}

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
  const paramValues = graph.values.filter((v) => v.kind === 'param');

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
  const executables = new Set<GpuExecutable>();
  return {
    instantiate: async (plan, control) => {
      const e = await GpuExecutable.create(backend, graph, plan, params, control);
      executables.add(e);
      return e;
    },
    bytes: () => [...buffers, ...[...executables].flatMap((e) => e.buffers)].reduce((n, b) => n + b.size, 0),
    readParams: async (ids) => {
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
    },
    writeParam: (id, data) => {
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

type Command = { kind: 'dispatch'; spec: DispatchSpec } | { kind: 'copy'; from: GpuRegion; to: GpuRegion; bytes: number };

interface Recorded {
  spec: DispatchSpec;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number, number];
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
    private readonly steps: ({ kind: 'dispatch'; recorded: Recorded } | { kind: 'copy'; from: GpuRegion; to: GpuRegion; bytes: number })[],
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
      graph.inputs.forEach((input, i) => (args[input.id] = region(inputBuffers[i], input.id)));
      for (const [id, arg] of params) args[id] = arg;

      const commands: Command[] = [];
      const recorder: KernelRecorder = {
        limits: backend.limits,
        softwareAdapter: backend.softwareAdapter,
        dispatch: (spec) => {
          if (spec.workgroups[0] * spec.workgroups[1] * spec.workgroups[2] > 0) commands.push({ kind: 'dispatch', spec });
        },
        scratch: (bytes) => {
          const buffer = track(backend.createBuffer(bytes, 'scratch'));
          return scratchArg(buffer, bytes);
        },
        copy: (from, to, bytes) => {
          if (bytes > 0) commands.push({ kind: 'copy', from, to, bytes });
        },
      };
      for (const node of graph.nodes) {
        const ins = node.inputs.map((id) => (id === null ? null : args[id]!));
        if (node.op.view) {
          args[node.outputs[0]] = { ...ins[0]!, shape: plan.shapes[node.outputs[0]], parts: undefined };
          continue;
        }
        const outs = node.outputs.map((id) => (args[id] = region(slots[plan.slotOf[id]], id)));
        node.op.gpu!(recorder, ins, outs, node.attrs);
      }
      // State updates last, in the same command buffer: new values over the resident ones.
      for (const u of graph.updates ?? []) recorder.copy(args[u.source]!, params.get(u.target)!, sizeOf(plan.shapes[u.source]) * 4);

      const specs = commands.flatMap((c) => (c.kind === 'dispatch' ? [c.spec] : []));
      const device = backend.device;
      device.pushErrorScope('validation');
      let steps: GpuExecutable['steps'];
      try {
        await backend.pipelines.prepare(specs, control.onProgress, control.signal);
        const uniformBuffer = packUniforms(backend, specs, track);
        steps = commands.map((c) => {
          if (c.kind === 'copy') return c;
          const { spec } = c;
          const pipeline = backend.pipelines.get(spec);
          const uniform = uniformBuffer.regions.get(spec) ?? null;
          return { kind: 'dispatch' as const, recorded: { spec, pipeline, bindGroup: backend.bindGroup(pipeline, spec, uniform), workgroups: spec.workgroups } };
        });
      } finally {
        const error = await device.popErrorScope();
        if (error) throw new NNError(`compile: WebGPU rejected a kernel: ${error.message}`);
      }
      return new GpuExecutable(backend, graph, plan, inputBuffers, args, steps, owned);
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
    if (this.#disposed) throw new NNError('run: the session was disposed');
    const { backend } = this;
    backend.checkUsable();
    backend.flush(); // eager work that produced the inputs is submitted first
    // Errors WebGPU reports for this run belong to its outputs (data() raises them), as do the failures of its inputs.
    const inherited = backend.failureOf(inputs);
    const [outputs, failure] = backend.captureFailure(() => this.#encode(inputs, into));
    const combined = inherited ? Promise.all([inherited, failure]).then(([a, b]) => a ?? b) : failure;
    // The caller's output tensors (run(x, { output })) are written in place and returned as they are.
    return outputs.map(({ buffer, shape }, i) => into?.[i] ?? backend.adoptBuffer(buffer, shape, combined));
  }

  #encode(inputs: readonly Tensor[], into?: readonly Tensor[]): { buffer: GPUBuffer; shape: readonly number[] }[] {
    const { backend, graph, plan } = this;
    const encoder = backend.device.createCommandEncoder({ label: 'run' });
    inputs.forEach((t, i) => {
      const bytes = t.size * 4;
      if (bytes > 0) encoder.copyBufferToBuffer(backend.argOf(t).buffer, 0, this.inputBuffers[i], 0, bytes);
    });
    let pass: GPUComputePassEncoder | null = null;
    for (const step of this.steps) {
      if (step.kind === 'copy') {
        pass?.end();
        pass = null;
        encoder.copyBufferToBuffer(step.from.buffer, step.from.offset, step.to.buffer, step.to.offset, step.bytes);
        continue;
      }
      pass ??= encoder.beginComputePass();
      if (backend.debug) backend.logDispatch(step.recorded.spec, 'run');
      pass.setPipeline(step.recorded.pipeline);
      pass.setBindGroup(0, step.recorded.bindGroup);
      pass.dispatchWorkgroups(...step.recorded.workgroups);
    }
    pass?.end();
    // Outputs are copied out (into new buffers, or the caller's): they must survive later runs.
    const outputs = graph.outputs.map((o, i) => {
      const shape = plan.shapes[o.id];
      const bytes = sizeOf(shape) * 4;
      const buffer = into ? backend.argOf(into[i]).buffer : backend.createBuffer(bytes, `output ${o.name}`);
      const src = this.args[o.id]!;
      if (bytes > 0) encoder.copyBufferToBuffer(src.buffer, src.offset, buffer, 0, bytes);
      return { buffer, shape };
    });
    backend.submit(encoder, this.stats.dispatches);
    return outputs;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.backend.destroyWhenIdle(this.owned);
  }
}

/** All uniform blocks of a plan in one buffer, each at an offset the device accepts. */
function packUniforms(backend: GpuGraphHost, specs: readonly DispatchSpec[], track: (b: GPUBuffer) => GPUBuffer) {
  const align = backend.limits.minUniformBufferOffsetAlignment;
  const regions = new Map<DispatchSpec, GpuRegion>();
  const withUniforms = specs.filter((s) => s.uniforms);
  let total = 0;
  const offsets = withUniforms.map((s) => {
    const at = total;
    total += Math.ceil(s.uniforms!.byteLength / align) * align;
    return at;
  });
  if (total === 0) return { regions };
  const bytes = new Uint8Array(total);
  withUniforms.forEach((s, i) => bytes.set(new Uint8Array(s.uniforms!), offsets[i]));
  const buffer = track(backend.createBufferWith(bytes.buffer, UNIFORM_USAGE, 'uniforms'));
  withUniforms.forEach((s, i) => regions.set(s, { buffer, offset: offsets[i], size: s.uniforms!.byteLength }));
  return { regions };
}
