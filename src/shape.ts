// Shape arithmetic shared by every op: sizes, strides, broadcasting, axis normalisation,
// and the checks that turn malformed shapes into a ShapeError naming the op.
import { ShapeError } from './errors.js';

export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides, in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

export function formatShape(shape: Shape | null | undefined): string {
  return shape ? `[${shape.join(', ')}]` : 'none';
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Checks that `shape` is a list of non-negative integers. */
export function checkShape(shape: unknown, what: string): Shape {
  if (!Array.isArray(shape) && !ArrayBuffer.isView(shape)) {
    throw new ShapeError(`${what}: shape must be an array of integers, got ${String(shape)}`);
  }
  const dims = Array.from(shape as ArrayLike<number>);
  for (const d of dims) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(`${what}: shape ${formatShape(dims)} must hold non-negative integers`);
    }
  }
  return dims;
}

/** Resolves a possibly negative axis against `rank`. */
export function normalizeAxis(axis: number, rank: number, what: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= Math.max(rank, 1)) {
    throw new ShapeError(`${what}: dim ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** NumPy broadcasting of two shapes. */
export function broadcastShapes(a: Shape, b: Shape, what: string): Shape {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${what}: shapes ${formatShape(a)} and ${formatShape(b)} do not broadcast`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides of `shape` seen through a broadcast to `target`: 0 where the dim is stretched. */
export function broadcastStrides(shape: Shape, target: Shape): number[] {
  const strides = stridesOf(shape);
  const offset = target.length - shape.length;
  return target.map((_, i) => {
    const j = i - offset;
    return j < 0 || shape[j] === 1 ? 0 : strides[j];
  });
}

/** A number or a pair of numbers (PyTorch's `int or tuple`) as a pair. */
export function pair(value: number | readonly number[], what: string): [number, number] {
  const v = typeof value === 'number' ? [value, value] : Array.from(value);
  if (v.length !== 2 || !v.every((x) => typeof x === 'number' && Number.isInteger(x))) {
    throw new ShapeError(`${what} must be an integer or a pair of integers, got ${JSON.stringify(value)}`);
  }
  return [v[0], v[1]];
}
