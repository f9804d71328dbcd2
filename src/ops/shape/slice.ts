// slice: `length` consecutive entries of one axis from `start` (torch.narrow). Concat's gradient
// hands each input its slab of dy with it.
import { ShapeError } from '../../errors.js';
import { formatShape, normalizeAxis, sizeOf, stridesOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { recordStridedCopy } from './stridedCopyGpu.js';

export interface SliceAttrs {
  readonly dim: number;
  readonly start: number;
  readonly length: number;
}

function resolve(x: Shape, { dim, start, length }: SliceAttrs): number {
  if (x.length === 0) throw new ShapeError('slice: cannot slice a 0-D tensor');
  const axis = normalizeAxis(dim, x.length, 'slice');
  if (!Number.isInteger(start) || !Number.isInteger(length) || start < 0 || length < 0 || start + length > x[axis]) {
    throw new ShapeError(`slice: entries ${start}..${start + length} of dim ${dim} do not fit x ${formatShape(x)}`);
  }
  return axis;
}

export const sliceOp: OpDef<SliceAttrs> = {
  name: 'slice',
  inferShapes([x], attrs) {
    if (!x) throw new ShapeError('slice: input is missing');
    const axis = resolve(x, attrs);
    return [x.map((d, i) => (i === axis ? attrs.length : d))];
  },
  // x [outer, n, inner] -> y [outer, length, inner], entries start..start+length of n
  cpu([x], [y], attrs) {
    const axis = resolve(x!.shape, attrs);
    const outer = sizeOf(x!.shape.slice(0, axis));
    const inner = sizeOf(x!.shape.slice(axis + 1));
    const block = attrs.length * inner;
    for (let o = 0; o < outer; o++) {
      const from = (o * x!.shape[axis] + attrs.start) * inner;
      y.data.set(x!.data.subarray(from, from + block), o * block);
    }
  },
  gpu(k, [x], [y], attrs) {
    const axis = resolve(x!.shape, attrs);
    const strides = stridesOf(x!.shape);
    recordStridedCopy(k, { from: x!, to: y, shape: y.shape, fromStrides: strides, fromOffset: attrs.start * strides[axis] }, 'slice');
  },
};

type Shaped = { readonly shape: Shape };

/** Entries start..start+length of `dim`. */
export const slice = <T extends Shaped>(r: OpRunner<T>, x: T, dim: number, start: number, length: number): T =>
  r.runOp(sliceOp, [x], { dim, start, length })[0];
