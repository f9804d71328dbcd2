// Strided copies on the GPU: one kernel (shaders/shape/strided_copy.wgsl) that moves a block of
// elements between two strided layouts. permute and concat are lowered to it, and any kernel
// author who needs to move a block (a final recurrent state into its slab of h, a transposed
// weight, …) can record one with `recordStridedCopy` instead of writing another copy shader.
//
// Also what strided kernels share (binary.ts uses it too): `mergeAxes` drops unit axes and
// fuses neighbours that are contiguous in every operand, so a copy or a broadcast runs over as
// few axes as its layout allows (most become 1–3); `withStridedOffsets` prepends the WGSL that
// maps a flat index to offsets in two strided layouts, and `stridedUniforms` fills its
// uniform block.
import stridedCopyWgsl from '../../../shaders/shape/strided_copy.wgsl?raw';
import stridedOffsetsWgsl from '../../../shaders/shape/strided_offsets.wgsl?raw';
import { grid, uniforms, type GpuRegion, type KernelRecorder, type Shader } from '../kernel.js';
import { ShapeError, UnsupportedError } from '../../errors.js';
import { formatShape, sizeOf, stridesOf, type Shape } from '../../shape.js';

/** Axes a strided kernel's uniform block holds (two vec4 per array), after merging. */
export const MAX_GPU_AXES = 8;

/**
 * The same iteration over fewer axes: unit axes dropped, and axis d fused into the kept axis
 * before it when, in every operand, one step of that axis equals `shape[d]` steps of d.
 * `strides` holds one stride list per operand (each as long as `shape`); 0 strides (broadcast)
 * fuse like any other. A shape with a 0 extent comes back unchanged (nothing to iterate).
 */
export function mergeAxes(shape: Shape, strides: readonly (readonly number[])[]): { shape: number[]; strides: number[][] } {
  if (sizeOf(shape) === 0) return { shape: [...shape], strides: strides.map((s) => [...s]) };
  const merged: number[] = [];
  const mergedStrides: number[][] = strides.map(() => []);
  shape.forEach((extent, d) => {
    if (extent === 1) return;
    const last = merged.length - 1;
    if (last >= 0 && strides.every((s, k) => mergedStrides[k][last] === s[d] * extent)) {
      merged[last] *= extent;
      strides.forEach((s, k) => (mergedStrides[k][last] = s[d]));
    } else {
      merged.push(extent);
      strides.forEach((s, k) => mergedStrides[k].push(s[d]));
    }
  });
  return { shape: merged, strides: mergedStrides };
}

/** A shader whose source starts with strided_offsets.wgsl (its uniform block, RANK, strided_offsets()). */
/* @__NO_SIDE_EFFECTS__ */
export function withStridedOffsets(label: string, code: string): Shader {
  return { label, code: `${stridedOffsetsWgsl}\n${code}` };
}

/** What fills strided_offsets.wgsl's uniform block; the shape is merged (at most MAX_GPU_AXES axes). */
export interface StridedBlock {
  /** Invocations of the dispatch. */
  readonly count: number;
  readonly shape: readonly number[];
  readonly strides0: readonly number[];
  readonly strides1: readonly number[];
  /** Element offsets of the block's first element in layouts 0 and 1 (default 0). */
  readonly offset0?: number;
  readonly offset1?: number;
}

/**
 * The uniform block of strided_offsets.wgsl: count, the two offsets, then the shape and the
 * two stride lists as MAX_GPU_AXES u32 slots each, innermost axis FIRST, unused slots 1 for the
 * shape and 0 for strides. The dispatch sets the override RANK to `shape.length`.
 */
export function stridedUniforms(b: StridedBlock): ArrayBuffer {
  const u = uniforms().u32(b.count, b.offset0 ?? 0, b.offset1 ?? 0, 0);
  const slots = (values: readonly number[], fill: number) => {
    for (let slot = 0; slot < MAX_GPU_AXES; slot++) u.u32(slot < values.length ? values[values.length - 1 - slot] : fill);
  };
  slots(b.shape, 1);
  slots(b.strides0, 0);
  slots(b.strides1, 0);
  return u.bytes();
}

/** One strided copy: for every coordinate c of `shape`, to[toOffset + c·toStrides] = from[fromOffset + c·fromStrides]. */
export interface StridedCopy {
  /**
   * Source and destination regions (a GpuArg will do), in two different buffers. Offsets and
   * strides below count elements from each region's start.
   */
  readonly from: GpuRegion;
  readonly to: GpuRegion;
  /** The block copied. Rank is free as long as it merges into at most MAX_GPU_AXES axes. */
  readonly shape: Shape;
  /** Element strides per axis in `from` (default: row-major strides of `shape`, a dense block). 0 repeats an element. */
  readonly fromStrides?: readonly number[];
  /** Element strides per axis in `to` (default row-major). Must address distinct elements. */
  readonly toStrides?: readonly number[];
  /** Element offset of the block's first element in `from` (default 0). */
  readonly fromOffset?: number;
  /** Element offset of the block's first element in `to` (default 0). */
  readonly toOffset?: number;
}

const stridedCopyShader = withStridedOffsets('strided_copy', stridedCopyWgsl);

/**
 * Records `copy` on `k`: a buffer-to-buffer copy when both sides are one contiguous run, else
 * one dispatch of strided_copy.wgsl. Nothing for an empty block.
 * `opName` prefixes the errors (an UnsupportedError when the layout needs more than
 * MAX_GPU_AXES axes; a ShapeError when a stride list does not match the shape's rank).
 */
export function recordStridedCopy(k: KernelRecorder, copy: StridedCopy, opName = 'strided copy'): void {
  const { from, to, shape, fromOffset = 0, toOffset = 0 } = copy;
  const dense = stridesOf(shape);
  const fromStrides = copy.fromStrides ?? dense;
  const toStrides = copy.toStrides ?? dense;
  if (fromStrides.length !== shape.length || toStrides.length !== shape.length) {
    throw new ShapeError(
      `${opName}: strides ${formatShape(fromStrides)} and ${formatShape(toStrides)} must have one entry per axis of the block ${formatShape(shape)}`,
    );
  }
  const count = sizeOf(shape);
  if (count === 0) return;
  const merged = mergeAxes(shape, [fromStrides, toStrides]);
  const [mergedFrom, mergedTo] = merged.strides;
  const rank = merged.shape.length;
  if (from.buffer === to.buffer) {
    // A dispatch may not bind one buffer as read-only and writable storage, nor copy within it.
    throw new UnsupportedError(`${opName}: source and destination of a strided copy must be different GPU buffers`);
  }
  if (rank <= 1 && (rank === 0 || (mergedFrom[0] === 1 && mergedTo[0] === 1))) {
    // One contiguous run: copyBufferToBuffer, the cheapest copy there is (the copy engine on real GPUs).
    const bytes = count * 4;
    k.copy({ buffer: from.buffer, offset: from.offset + fromOffset * 4, size: bytes }, { buffer: to.buffer, offset: to.offset + toOffset * 4, size: bytes }, bytes);
    return;
  }
  if (rank > MAX_GPU_AXES) {
    throw new UnsupportedError(
      `${opName}: the block ${formatShape(shape)} with strides ${formatShape(fromStrides)} → ${formatShape(toStrides)} needs ${rank} axes; the WebGPU copy kernel handles at most ${MAX_GPU_AXES}`,
    );
  }
  k.dispatch({
    shader: stridedCopyShader,
    constants: { RANK: rank },
    uniforms: stridedUniforms({ count, shape: merged.shape, strides0: mergedFrom, strides1: mergedTo, offset0: fromOffset, offset1: toOffset }),
    bindings: [from, to],
    workgroups: grid(count, 256),
  });
}
