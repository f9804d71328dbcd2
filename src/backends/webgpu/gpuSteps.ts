// The pieces a compiled graph (gpuGraph.ts) and the tuner (tuner.ts) share: recording nodes'
// lowerings into commands (with the kernel choices they made), turning commands into steps
// (pipelines, one packed uniform buffer, bind groups), encoding steps, and timing compute passes
// with timestamp queries.
import { NNError } from '../../errors.js';
import type { Graph } from '../../graph/ir.js';
import type { BuildControl } from '../../graph/session.js';
import { scratchArg, type DispatchSpec, type GpuArg, type GpuRegion, type KernelRecorder, type KernelVariant, type VariantChoice } from '../../ops/kernel.js';
import { UNIFORM_USAGE, USAGE, MAP_MODE_READ } from './device.js';
import type { Tensor } from '../../tensor.js';
import type { PipelineCache } from './pipelines.js';
import type { TunedChoices } from './tunedChoices.js';

/** What a compiled graph uses of the WebGPU backend (webgpuBackend.ts implements it). */
export interface GpuGraphHost {
  readonly device: GPUDevice;
  readonly limits: GPUSupportedLimits;
  readonly softwareAdapter: boolean;
  readonly quadSubgroups: boolean;
  readonly pipelines: PipelineCache;
  readonly debug: boolean;
  /** Kernel choices tuned on this adapter (compile's `tune`). */
  readonly tunedChoices: TunedChoices;
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

/** A command of a recorded node (`node`: index in graph.nodes; -1 for a graph's state updates). */
export type Command = { kind: 'dispatch'; node: number; spec: DispatchSpec } | { kind: 'copy'; node: number; from: GpuRegion; to: GpuRegion; bytes: number };

export interface Recorded {
  spec: DispatchSpec;
  pipeline: GPUComputePipeline;
  bindGroup: GPUBindGroup;
  workgroups: readonly [number, number, number];
}

export type Step = { kind: 'dispatch'; node: number; recorded: Recorded } | { kind: 'copy'; node: number; from: GpuRegion; to: GpuRegion; bytes: number };

/** A kernel choice a node made while recording. */
export interface ChoiceMade {
  readonly node: number;
  readonly key: string;
  readonly candidates: readonly string[];
  readonly chosen: string;
}

/** How recording picks a variant (tuned winners, a candidate being timed, else the table's). */
export type Picker = <V extends KernelVariant>(choice: VariantChoice<V>) => V;

export interface Recording {
  readonly commands: Command[];
  readonly choices: ChoiceMade[];
}

/**
 * Records the lowerings of the given nodes (their arguments already in `args`), choosing
 * variants with `pick`; scratch buffers come from `scratch`.
 */
export function recordNodes(host: GpuGraphHost, graph: Graph, args: readonly (GpuArg | undefined)[], nodes: Iterable<number>, pick: Picker, scratch: (bytes: number) => GPUBuffer): Recording {
  const commands: Command[] = [];
  const choices: ChoiceMade[] = [];
  let node = -1;
  // Nodes run one after another, so a node's shared scratch (KernelRecorder.scratch) is free when
  // the next one starts: the k-th of every node is one buffer, replaced by a larger one when a node
  // needs more (ResNet-18's im2col scratch: one buffer instead of one per convolution).
  const sharedScratch: { buffer: GPUBuffer; bytes: number }[] = [];
  let taken = 0;
  const recorder: KernelRecorder = {
    limits: host.limits,
    softwareAdapter: host.softwareAdapter,
    quadSubgroups: host.quadSubgroups,
    dispatch: (spec) => {
      if (spec.workgroups[0] * spec.workgroups[1] * spec.workgroups[2] > 0) commands.push({ kind: 'dispatch', node, spec });
    },
    scratch: (bytes, shared) => {
      if (!shared) return scratchArg(scratch(bytes), bytes);
      const k = taken++;
      if (!sharedScratch[k] || sharedScratch[k].bytes < bytes) sharedScratch[k] = { buffer: scratch(bytes), bytes };
      return scratchArg(sharedScratch[k].buffer, bytes);
    },
    copy: (from, to, bytes) => {
      if (bytes > 0) commands.push({ kind: 'copy', node, from, to, bytes });
    },
    choose: (choice) => {
      const chosen = pick(choice);
      choices.push({ node, key: choice.key, candidates: choice.candidates.map((c) => c.name), chosen: chosen.name });
      return chosen;
    },
  };
  for (const i of nodes) {
    node = i;
    taken = 0;
    const n = graph.nodes[i];
    if (n.op.view) continue;
    n.op.gpu!(
      recorder,
      n.inputs.map((id) => (id === null ? null : args[id]!)),
      n.outputs.map((id) => args[id]!),
      n.attrs,
    );
  }
  return { commands, choices };
}

/** Builds the pipelines of `commands` (asynchronously), packs their uniforms into one buffer and makes the bind groups. */
export async function buildSteps(host: GpuGraphHost, commands: readonly Command[], control: BuildControl, track: (b: GPUBuffer) => GPUBuffer): Promise<Step[]> {
  const specs = commands.flatMap((c) => (c.kind === 'dispatch' ? [c.spec] : []));
  try {
    await host.pipelines.prepare(specs, control.onProgress, control.signal);
  } catch (e) {
    if (control.signal?.aborted) throw e;
    throw new NNError(`compile: WebGPU rejected a kernel: ${e instanceof Error ? e.message : String(e)}`);
  }
  const [steps, error] = withValidationScope(host.device, () => {
    const uniforms = packUniforms(host, specs, track);
    return commands.map((c): Step => {
      if (c.kind === 'copy') return c;
      const { spec } = c;
      const pipeline = host.pipelines.get(spec);
      return { kind: 'dispatch', node: c.node, recorded: { spec, pipeline, bindGroup: host.bindGroup(pipeline, spec, uniforms.get(spec) ?? null), workgroups: spec.workgroups } };
    });
  });
  const rejected = await error;
  if (rejected) throw new NNError(`compile: WebGPU rejected a kernel: ${rejected.message}`);
  return steps;
}

/**
 * Runs `work` inside a validation error scope that closes before anything else can run: a scope
 * held open across an await would catch (and its pop would take) the scopes and errors of
 * whatever else the page does meanwhile, such as a run or a second compile.
 */
export function withValidationScope<T>(device: GPUDevice, work: () => T): [T, Promise<GPUError | null>] {
  device.pushErrorScope('validation');
  let value: T;
  try {
    value = work();
  } catch (e) {
    void device.popErrorScope().catch(() => null); // closed even when work throws
    throw e;
  }
  return [value, device.popErrorScope()];
}

/** All uniform blocks of a plan in one buffer, each at an offset the device accepts. */
function packUniforms(host: GpuGraphHost, specs: readonly DispatchSpec[], track: (b: GPUBuffer) => GPUBuffer): Map<DispatchSpec, GpuRegion> {
  const align = host.limits.minUniformBufferOffsetAlignment;
  const regions = new Map<DispatchSpec, GpuRegion>();
  const withUniforms = specs.filter((s) => s.uniforms);
  let total = 0;
  const offsets = withUniforms.map((s) => {
    const at = total;
    total += Math.ceil(s.uniforms!.byteLength / align) * align;
    return at;
  });
  if (total === 0) return regions;
  const bytes = new Uint8Array(total);
  withUniforms.forEach((s, i) => bytes.set(new Uint8Array(s.uniforms!), offsets[i]));
  const buffer = track(host.createBufferWith(bytes.buffer, UNIFORM_USAGE, 'uniforms'));
  withUniforms.forEach((s, i) => regions.set(s, { buffer, offset: offsets[i], size: s.uniforms!.byteLength }));
  return regions;
}

/**
 * Encodes steps: consecutive dispatches share a compute pass, a copy ends it. With `timer`, each
 * dispatch gets a timed pass of its own (timer group: the step's index).
 */
export function encodeSteps(encoder: GPUCommandEncoder, steps: readonly Step[], timer: PassTimer | null = null, onDispatch?: (spec: DispatchSpec) => void): void {
  let pass: GPUComputePassEncoder | null = null;
  for (let index = 0; index < steps.length; index++) {
    const step = steps[index];
    if (step.kind === 'copy' || timer) {
      pass?.end();
      pass = null;
    }
    if (step.kind === 'copy') {
      encoder.copyBufferToBuffer(step.from.buffer, step.from.offset, step.to.buffer, step.to.offset, step.bytes);
      continue;
    }
    pass ??= encoder.beginComputePass(timer ? { timestampWrites: timer.next(index) } : undefined);
    onDispatch?.(step.recorded.spec);
    pass.setPipeline(step.recorded.pipeline);
    pass.setBindGroup(0, step.recorded.bindGroup);
    pass.dispatchWorkgroups(...step.recorded.workgroups);
  }
  pass?.end();
}

/** Queries per query set (the WebGPU maximum). */
const QUERIES_PER_SET = 4096;

/**
 * Timestamps at the start and end of compute passes, summed per group (a step): `next`
 * gives a pass its writes, `resolve` encodes the copy into a readable buffer, `read` (after the
 * submit) returns ms per group and frees the queries.
 */
export class PassTimer {
  readonly #sets: GPUQuerySet[] = [];
  readonly #groups: number[] = [];
  #readback: GPUBuffer | null = null;

  constructor(private readonly device: GPUDevice) {}

  next(group: number): GPUComputePassTimestampWrites {
    const pass = this.#groups.length;
    this.#groups.push(group);
    const set = Math.floor((2 * pass) / QUERIES_PER_SET);
    if (set === this.#sets.length) this.#sets.push(this.device.createQuerySet({ type: 'timestamp', count: QUERIES_PER_SET, label: 'profile timestamps' }));
    const at = (2 * pass) % QUERIES_PER_SET;
    return { querySet: this.#sets[set], beginningOfPassWriteIndex: at, endOfPassWriteIndex: at + 1 };
  }

  resolve(encoder: GPUCommandEncoder): void {
    const queries = 2 * this.#groups.length;
    if (queries === 0) return;
    const bytes = queries * 8;
    const resolved = this.device.createBuffer({ size: this.#sets.length * QUERIES_PER_SET * 8, usage: USAGE.QUERY_RESOLVE | USAGE.COPY_SRC, label: 'profile timestamps' });
    this.#readback = this.device.createBuffer({ size: bytes, usage: USAGE.MAP_READ | USAGE.COPY_DST, label: 'profile timestamps readback' });
    this.#sets.forEach((set, i) => encoder.resolveQuerySet(set, 0, Math.min(QUERIES_PER_SET, queries - i * QUERIES_PER_SET), resolved, i * QUERIES_PER_SET * 8));
    encoder.copyBufferToBuffer(resolved, 0, this.#readback, 0, bytes);
    // Destroyed once the copy is done (destroying it now would invalidate the submit).
    this.device.queue.onSubmittedWorkDone().then(() => resolved.destroy(), () => resolved.destroy());
  }

  /** Milliseconds per group, after the submit that resolved the queries. */
  async read(): Promise<Map<number, number>> {
    const ms = new Map<number, number>();
    const readback = this.#readback;
    try {
      if (!readback) return ms;
      await readback.mapAsync(MAP_MODE_READ);
      const ticks = new BigUint64Array(readback.getMappedRange().slice(0));
      readback.unmap();
      this.#groups.forEach((group, i) => {
        const begin = ticks[2 * i];
        const end = ticks[2 * i + 1];
        // Timestamps may be reset or reordered by the implementation: a negative span counts as 0.
        const span = end > begin ? Number(end - begin) / 1e6 : 0;
        ms.set(group, (ms.get(group) ?? 0) + span);
      });
      return ms;
    } finally {
      readback?.destroy();
      for (const set of this.#sets) set.destroy();
    }
  }
}
