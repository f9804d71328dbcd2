// narrow and select (PyTorch's names): a slice of `length` entries from `start` along one dim,
// and one entry with that dim removed (select = narrow by 1, squeezed). The last step of a
// sequence, one channel, a window: a copy of the slab, strided in the source.
import { ShapeError } from '../../errors.js';
import { formatShape, normalizeAxis, sizeOf, stridesOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { recordStridedCopy } from './stridedCopyGpu.js';

export interface NarrowAttrs {
  /** The axis, as given (negative counts from the end). */
  readonly dim: number;
  /** First index taken (negative counts from the end of the dim). */
  readonly start: number;
  readonly length: number;
  /** Drop the dim from the output (select). */
  readonly squeeze: boolean;
}

/** The axis and the first index, checked against the input shape. */
function resolve(shape: Shape, { dim, start, length, squeeze }: NarrowAttrs): { axis: number; first: number } {
  const what = squeeze ? 'select' : 'narrow';
  if (shape.length === 0) throw new ShapeError(`${what}: cannot slice a 0-D tensor`);
  const axis = normalizeAxis(dim, shape.length, what);
  const n = shape[axis];
  const first = start < 0 ? start + n : start;
  if (!Number.isInteger(start) || first < 0 || (squeeze ? first >= n : first > n)) {
    throw new ShapeError(`${what}: ${squeeze ? 'index' : 'start'} ${start} is out of range for dim ${dim} of size ${n} (shape ${formatShape(shape)})`);
  }
  if (!Number.isInteger(length) || length < 0 || first + length > n) {
    throw new ShapeError(`narrow: start ${start} and length ${length} run past dim ${dim} of size ${n} (shape ${formatShape(shape)})`);
  }
  return { axis, first };
}

export const narrowOp: OpDef<NarrowAttrs> = {
  name: 'narrow',
  inferShapes([x], attrs) {
    if (!x) throw new ShapeError(`${attrs.squeeze ? 'select' : 'narrow'}: input is missing`);
    const { axis } = resolve(x, attrs);
    return [attrs.squeeze ? x.filter((_, k) => k !== axis) : x.map((d, k) => (k === axis ? attrs.length : d))];
  },
  // x [outer, n, inner] -> y [outer, length, inner]: one contiguous run per outer index.
  cpu([x], [y], attrs) {
    const { axis, first } = resolve(x!.shape, attrs);
    const n = x!.shape[axis];
    const inner = sizeOf(x!.shape.slice(axis + 1));
    const outer = sizeOf(x!.shape.slice(0, axis));
    const run = attrs.length * inner;
    for (let o = 0; o < outer; o++) y.data.set(x!.data.subarray((o * n + first) * inner, (o * n + first) * inner + run), o * run);
  },
  // The slab of x, strided in x and dense in y (a plain buffer copy when it is contiguous).
  gpu(k, [x], [y], attrs) {
    const { axis, first } = resolve(x!.shape, attrs);
    const block = x!.shape.map((d, a) => (a === axis ? attrs.length : d));
    const xStrides = stridesOf(x!.shape);
    recordStridedCopy(k, { from: x!, to: y, shape: block, fromStrides: xStrides, fromOffset: first * xStrides[axis] }, attrs.squeeze ? 'select' : 'narrow');
  },
};

type Shaped = { readonly shape: Shape };

function integer(what: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ShapeError(`${what}: ${name} must be an integer, got ${String(value)}`);
  return value;
}

/** `length` entries of `x` from `start` along `dim` (torch.narrow); the rank is kept. */
export function narrow<T extends Shaped>(r: OpRunner<T>, x: T, dim: number, start: number, length: number): T {
  const attrs = { dim: integer('narrow', 'dim', dim), start: integer('narrow', 'start', start), length: integer('narrow', 'length', length), squeeze: false };
  return r.runOp(narrowOp, [x], attrs)[0];
}

/** Entry `index` of `x` along `dim`, that dim removed (torch.select): x[:, -1] is select(x, 1, -1). */
export function select<T extends Shaped>(r: OpRunner<T>, x: T, dim: number, index: number): T {
  return r.runOp(narrowOp, [x], { dim: integer('select', 'dim', dim), start: integer('select', 'index', index), length: 1, squeeze: true })[0];
}
