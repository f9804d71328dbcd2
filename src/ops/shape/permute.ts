// permute: reorders the axes (torch.permute, ONNX Transpose). Output axis i is input axis dims[i].
import { ShapeError } from '../../errors.js';
import { formatShape, stridesOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { recordStridedCopy } from './stridedCopyGpu.js';

export interface PermuteAttrs {
  /** The permutation as given (negative entries count from the end). */
  readonly dims: readonly number[];
}

/** Checks that `dims` is a permutation of 0..rank−1 (negatives allowed) and resolves it. */
function resolvePermutation(x: Shape, dims: readonly number[]): number[] {
  const rank = x.length;
  const fail = (why: string): never => {
    throw new ShapeError(`permute: dims ${formatShape(dims)} must be a permutation of 0..${rank - 1} for shape ${formatShape(x)}: ${why}`);
  };
  if (dims.length !== rank) fail(`got ${dims.length} dims for rank ${rank}`);
  const seen = new Array<boolean>(rank).fill(false);
  return dims.map((d) => {
    if (!Number.isInteger(d) || d < -rank || d >= rank) fail(`${d} is out of range`);
    const axis = d < 0 ? d + rank : d;
    if (seen[axis]) fail(`axis ${axis} appears twice`);
    seen[axis] = true;
    return axis;
  });
}

export const permuteOp: OpDef<PermuteAttrs> = {
  name: 'permute',
  inferShapes([x], { dims }) {
    if (!x) throw new ShapeError('permute: input is missing');
    return [resolvePermutation(x, dims).map((axis) => x[axis])];
  },
  // x [d_0, …, d_{r−1}] -> y [d_dims[0], …, d_dims[r−1]]
  cpu([x], [y], { dims }) {
    const perm = resolvePermutation(x!.shape, dims);
    const out = y.shape;
    const rank = out.length;
    const n = y.data.length;
    if (n === 0) return;
    if (rank === 0) {
      y.data[0] = x!.data[0];
      return;
    }
    // Walk y contiguously; stepping output axis i moves the input offset by x's stride of axis perm[i].
    const xStrides = stridesOf(x!.shape);
    const strides = perm.map((axis) => xStrides[axis]);
    const last = rank - 1;
    const inner = out[last];
    const step = strides[last];
    const index = new Array<number>(rank).fill(0);
    let offset = 0;
    for (let i = 0; i < n; i += inner) {
      for (let j = 0; j < inner; j++) y.data[i + j] = x!.data[offset + j * step];
      for (let d = last - 1; d >= 0; d--) {
        offset += strides[d];
        if (++index[d] < out[d]) break;
        offset -= strides[d] * out[d];
        index[d] = 0;
      }
    }
  },
  // One strided copy over y's shape: y is written densely, x read through its permuted strides.
  gpu(k, [x], [y], { dims }) {
    const xStrides = stridesOf(x!.shape);
    const fromStrides = resolvePermutation(x!.shape, dims).map((axis) => xStrides[axis]);
    recordStridedCopy(k, { from: x!, to: y, shape: y.shape, fromStrides }, 'permute');
  },
  // The inverse permutation carries dy back: axis perm[i] of dx is axis i of dy.
  grad(r, { inputs: [x], dys: [dy], attrs: { dims } }) {
    const inverse: number[] = [];
    resolvePermutation(x!.shape, dims).forEach((axis, i) => (inverse[axis] = i));
    return [r.runOp(permuteOp, [dy!], { dims: inverse })[0]];
  },
};

type Shaped = { readonly shape: Shape };

/** The tensor with its axes reordered: output axis i is input axis dims[i]. */
export function permute<T extends Shaped>(r: OpRunner<T>, x: T, dims: readonly number[]): T {
  if (!Array.isArray(dims)) throw new ShapeError(`permute: dims must be an array of integers, got ${String(dims)}`);
  return r.runOp(permuteOp, [x], { dims: [...dims] })[0];
}
