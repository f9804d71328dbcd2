// How an op describes its WebGPU work: a list of dispatches, each naming a WGSL shader, its
// pipeline-overridable constants, a small uniform block and the storage buffers it binds.
// The same description serves eager ops (encoded at once) and compiled graphs (pipelines built
// asynchronously at compile, bind groups recorded once, replayed by every run).
//
// Binding convention of every shader in shaders/: @group(0) @binding(0) is the uniform block
// (when the dispatch has one); storage buffers follow at bindings 1, 2, … in `bindings` order.
import type { Shape } from '../shape.js';

export interface Shader {
  /** Unique name; part of the pipeline cache key. */
  readonly label: string;
  readonly code: string;
}

/** A range of a GPU buffer bound as one storage binding. Byte offsets are 256-aligned. */
export interface GpuRegion {
  readonly buffer: GPUBuffer;
  readonly offset: number;
  readonly size: number;
}

/** A tensor as a WebGPU kernel sees it. */
export interface GpuArg extends GpuRegion {
  readonly shape: Shape;
  /**
   * Set for a parameter larger than one binding allows: the tensor split along dim 0 into
   * pieces that each fit (see GpuLowering.acceptsParts). `buffer/offset/size` are then the first part's.
   */
  readonly parts?: readonly GpuArg[];
  /**
   * Set for an output written in place into a channel slice of a larger tensor (a concat's
   * output, graph/plan.ts): elements from the start of one image (index along dim 0) to the
   * next; the region spans from the first image's slice to the end of the last one. Absent: the
   * images follow one another (dense). Only ops with `gpuWritesSlices` get one.
   */
  readonly batchStride?: number;
}

/**
 * A whole buffer as a kernel argument of `shape` (at least 4 bytes: WebGPU rejects empty bindings,
 * and empty tensors still get a buffer).
 */
export function bufferArg(buffer: GPUBuffer, shape: Shape): GpuArg {
  let n = 1;
  for (const d of shape) n *= d;
  return { buffer, offset: 0, size: Math.max(4, n * 4), shape };
}

/** A scratch buffer of `bytes` (rounded up to whole float32s) as a kernel argument. */
export function scratchArg(buffer: GPUBuffer, bytes: number): GpuArg {
  return bufferArg(buffer, [Math.ceil(bytes / 4)]);
}

/** The most bytes one storage binding may hold: a binding is no larger than its buffer either. */
export function storageBindingLimit(limits: GPUSupportedLimits): number {
  return Math.min(limits.maxStorageBufferBindingSize, limits.maxBufferSize);
}

/** A byte count as error messages print it. */
export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

export type Workgroups = readonly [number, number, number];

export interface DispatchSpec {
  readonly shader: Shader;
  readonly entryPoint?: string;
  /** Values of the shader's `override` declarations (specialisation; part of the pipeline key). */
  readonly constants?: Readonly<Record<string, number>>;
  /** The uniform block at binding 0, built with `uniforms()`; omit when the shader has none. */
  readonly uniforms?: ArrayBuffer;
  /** Storage buffers at bindings 1, 2, …. */
  readonly bindings: readonly GpuRegion[];
  readonly workgroups: Workgroups;
}

/** What an op's lowering may ask for while describing its work. */
export interface KernelRecorder {
  readonly limits: GPUSupportedLimits;
  /**
   * True on a software adapter (SwiftShader, llvmpipe): there, barriers and workgroup memory
   * cost far more than on a GPU, so kernels whose best variant differs choose by this.
   */
  readonly softwareAdapter: boolean;
  /**
   * True where the device has the `subgroups` feature and every subgroup is 4 invocations wide
   * (SwiftShader: its SIMD width): kernels may then share loads between the lanes of a subgroup.
   */
  readonly quadSubgroups?: boolean;
  dispatch(spec: DispatchSpec): void;
  /**
   * A temporary buffer of `bytes`, valid for this op's dispatches only (recurrent states, …). It
   * starts zeroed (WebGPU zero-fills new buffers) and is this op's alone: a compiled graph
   * creates it once for every run, so cells the op never writes stay zero (conv2dGradInput
   * relies on that for the gaps of its spread-out dy).
   *
   * `shared`: the op writes every cell it reads, in its own dispatches, before reading it (im2col's
   * patches). A compiled graph then lets the nodes share such scratch (nodes run one after another),
   * so a network holds the largest one instead of one per node.
   */
  scratch(bytes: number, shared?: boolean): GpuArg;
  /** Copies bytes between regions (encoded in order with the dispatches). */
  copy(from: GpuRegion, to: GpuRegion, bytes: number): void;
  /**
   * Picks the variant of a kernel choice (see chooseVariant): a compiled graph answers with the
   * winner tuned on this adapter, or the candidate the tuner is timing. Absent: the table's pick.
   */
  choose?<V extends KernelVariant>(choice: VariantChoice<V>): V;
}

/** One variant of a kernel (tile sizes, k-split, …): data with a name the tuner and the profile show. */
export interface KernelVariant {
  readonly name: string;
}

/**
 * A choice among kernel variants for one problem. `key` names the kernel family and the shape
 * ('gemm m64 n3136 k576 …'): tuned winners are stored under it. Every candidate computes the
 * problem (each is tested against the CPU reference); `preferred` is the table's pick, used
 * where nothing was tuned.
 */
export interface VariantChoice<V extends KernelVariant> {
  readonly key: string;
  readonly candidates: readonly V[];
  readonly preferred: V;
}

/** The variant the recorder picks for `choice` (the table's where it has no opinion). */
export function chooseVariant<V extends KernelVariant>(k: KernelRecorder, choice: VariantChoice<V>): V {
  return k.choose ? k.choose(choice) : choice.preferred;
}

/**
 * An op's WebGPU lowering: records the dispatches that compute `outputs` from `inputs`.
 * Outputs are fresh or reused buffers: a lowering writes every element of them.
 */
export interface GpuLowering<A> {
  (k: KernelRecorder, inputs: readonly (GpuArg | null)[], outputs: readonly GpuArg[], attrs: A): void;
}

/** Little-endian uniform block writer: u32 / i32 / f32 fields in declaration order, 4 bytes each. */
export class Uniforms {
  readonly #words: number[] = [];
  readonly #kinds: ('u' | 'i' | 'f')[] = [];

  u32(...values: number[]): this {
    for (const v of values) this.#push('u', v);
    return this;
  }

  i32(...values: number[]): this {
    for (const v of values) this.#push('i', v);
    return this;
  }

  f32(...values: number[]): this {
    for (const v of values) this.#push('f', v);
    return this;
  }

  /** The bytes, padded to a multiple of 16 as uniform buffers need. */
  bytes(): ArrayBuffer {
    const n = Math.max(4, Math.ceil(this.#words.length / 4) * 4);
    const buf = new ArrayBuffer(n * 4);
    const view = new DataView(buf);
    this.#words.forEach((v, i) => {
      const kind = this.#kinds[i];
      if (kind === 'f') view.setFloat32(i * 4, v, true);
      else if (kind === 'i') view.setInt32(i * 4, v, true);
      else view.setUint32(i * 4, v, true);
    });
    return buf;
  }

  #push(kind: 'u' | 'i' | 'f', v: number): void {
    this.#words.push(v);
    this.#kinds.push(kind);
  }
}

export const uniforms = (): Uniforms => new Uniforms();

/**
 * Workgroups for `invocations` threads in groups of `workgroupSize`, spread over x and y so no
 * dimension exceeds the 65 535 limit. Shaders recover the flat index as
 * `gid.x + gid.y * num_workgroups.x * WORKGROUP_SIZE` and return when it is past the end.
 */
export function grid(invocations: number, workgroupSize: number, maxPerDim = 65535): Workgroups {
  const groups = Math.ceil(invocations / workgroupSize);
  if (groups <= maxPerDim) return [groups, 1, 1];
  const y = Math.ceil(groups / maxPerDim);
  return [Math.ceil(groups / y), y, 1];
}
