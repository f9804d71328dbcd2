// View ops: reshape, flatten and dropout (identity at inference) keep the elements in order and
// change only the shape, so backends hand output 0 the input's storage (OpDef.view). Their cpu()
// still copies, so each remains a correct reference kernel on its own.
import { ShapeError } from '../../errors.js';
import { formatShape, normalizeAxis, sameShape, sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';

/**
 * reshape keeps the requested shape with its −1, and flatten its dims rather than a fixed
 * shape, so a graph re-planned for another batch size still gets the right output shape.
 */
export type ViewAttrs =
  | { readonly kind: 'reshape'; readonly shape: readonly number[] }
  | { readonly kind: 'flatten'; readonly startDim: number; readonly endDim: number }
  | { readonly kind: 'dropout'; readonly p: number };

export interface FlattenOptions {
  /** First dim to merge (default 1, as nn.Flatten; negative counts from the end). */
  startDim?: number;
  /** Last dim to merge, inclusive (default −1). */
  endDim?: number;
}

export interface DropoutOptions {
  /** Probability of zeroing an element in training (default 0.5); unused at inference. */
  p?: number;
}

/** Resolves a reshape target: one −1 takes what is left of `size`; 0 is a literal 0. */
function reshapeTarget(x: Shape, target: readonly number[]): Shape {
  const size = sizeOf(x);
  let inferred = -1;
  let known = 1;
  target.forEach((d, i) => {
    if (!Number.isInteger(d) || d < -1) {
      throw new ShapeError(`reshape: shape ${formatShape(target)} may hold only non-negative integers and one −1`);
    }
    if (d !== -1) known *= d;
    else if (inferred >= 0) throw new ShapeError(`reshape: shape ${formatShape(target)} has more than one −1`);
    else inferred = i;
  });
  if (inferred < 0) {
    if (known !== size) {
      throw new ShapeError(`reshape: cannot reshape ${formatShape(x)} (${size} elements) into ${formatShape(target)} (${known} elements)`);
    }
    return [...target];
  }
  if (known === 0 && size === 0) {
    throw new ShapeError(`reshape: the −1 in ${formatShape(target)} is ambiguous for ${formatShape(x)}: the other dims hold zero elements`);
  }
  if (known === 0 || size % known !== 0) {
    throw new ShapeError(`reshape: cannot reshape ${formatShape(x)} (${size} elements) into ${formatShape(target)}: ${size} is not a multiple of ${known}`);
  }
  const out = [...target];
  out[inferred] = size / known;
  return out;
}

/** torch.flatten: merges dims startDim..endDim (inclusive); a 0-D tensor becomes [1]. */
function flattenShape(x: Shape, startDim: number, endDim: number): Shape {
  // As in PyTorch, a 0-D tensor takes dims in [−1, 0], like a tensor of rank 1.
  const rank = Math.max(x.length, 1);
  const start = normalizeAxis(startDim, rank, 'flatten');
  const end = normalizeAxis(endDim, rank, 'flatten');
  if (start > end) {
    throw new ShapeError(`flatten: startDim ${startDim} comes after endDim ${endDim} for a tensor of shape ${formatShape(x)}`);
  }
  if (x.length === 0) return [1];
  return [...x.slice(0, start), sizeOf(x.slice(start, end + 1)), ...x.slice(end + 1)];
}

export const viewOp: OpDef<ViewAttrs> = {
  name: 'view',
  view: true,
  inferShapes([x], a) {
    if (!x) throw new ShapeError(`${a.kind}: input is missing`);
    switch (a.kind) {
      case 'reshape':
        return [reshapeTarget(x, a.shape)];
      case 'flatten':
        return [flattenShape(x, a.startDim, a.endDim)];
      case 'dropout':
        if (!(a.p >= 0 && a.p <= 1)) throw new ShapeError(`dropout: p must be in [0, 1], got ${a.p}`);
        return [x];
    }
  },
  // x [...] -> y [...'], the same elements in the same order
  cpu([x], [y]) {
    y.data.set(x!.data);
  },
  // The gradient has x's shape. (In training graphs dropout is a masked op of its own; this
  // rule sees it only where p is 0 or the graph is not a training graph.)
  grad: (r, { inputs: [x], dys: [dy] }) => [reshapeTo(r, dy!, x!.shape)],
};

/**
 * `x` reshaped to `shape`, with dim 0 inferred (−1): graphs are planned again for other batch
 * sizes, and dim 0 is the batch, so a gradient rule must not freeze it.
 */
export function reshapeTo<T extends Shaped>(r: OpRunner<T>, x: T, shape: Shape): T {
  if (sameShape(x.shape, shape)) return x;
  const target = shape.length > 0 && sizeOf(shape) > 0 ? [-1, ...shape.slice(1)] : [...shape];
  return r.runOp(viewOp, [x], { kind: 'reshape', shape: target })[0];
}

function integer(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new ShapeError(`${what} must be an integer, got ${String(value)}`);
  return value;
}

type Shaped = { readonly shape: Shape };

/** The same elements in `shape`: one −1 is inferred, 0 is a literal 0. */
export function reshape<T extends Shaped>(r: OpRunner<T>, x: T, shape: readonly number[]): T {
  if (!Array.isArray(shape)) throw new ShapeError(`reshape: shape must be an array of integers, got ${String(shape)}`);
  return r.runOp(viewOp, [x], { kind: 'reshape', shape: [...shape] })[0];
}

/** Merges dims startDim..endDim (defaults 1 and −1, as nn.Flatten). */
export function flatten<T extends Shaped>(r: OpRunner<T>, x: T, opts: FlattenOptions = {}): T {
  const startDim = integer(opts?.startDim ?? 1, 'flatten: startDim');
  const endDim = integer(opts?.endDim ?? -1, 'flatten: endDim');
  return r.runOp(viewOp, [x], { kind: 'flatten', startDim, endDim })[0];
}

/** Dropout at inference: the input unchanged (p is checked, then unused). */
export function dropout<T extends Shaped>(r: OpRunner<T>, x: T, opts: DropoutOptions = {}): T {
  const p = opts?.p ?? 0.5;
  if (typeof p !== 'number') throw new ShapeError(`dropout: p must be a number in [0, 1], got ${String(p)}`);
  return r.runOp(viewOp, [x], { kind: 'dropout', p })[0];
}
