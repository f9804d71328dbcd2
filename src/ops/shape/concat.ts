// concat: joins tensors of equal shape but for one axis (torch.cat; GoogLeNet's inception
// branches). Each input is a run of contiguous blocks, one per index of the outer axes.
import { ShapeError } from '../../errors.js';
import { formatShape, normalizeAxis, sizeOf, stridesOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { slice } from './slice.js';
import { recordStridedCopy } from './stridedCopyGpu.js';

export interface ConcatAttrs {
  /** The axis joined along, as given (negative counts from the end). */
  readonly dim: number;
}

export interface ConcatOptions {
  /** The axis to join along (default 0, as torch.cat). */
  dim?: number;
}

export const concatOp: OpDef<ConcatAttrs> = {
  name: 'concat',
  inferShapes(inputs, { dim }) {
    if (inputs.length === 0) throw new ShapeError('concat: needs at least one tensor, got an empty list');
    const first = inputs[0];
    if (!first) throw new ShapeError('concat: input 0 is missing');
    if (first.length === 0) throw new ShapeError('concat: cannot join 0-D tensors (input 0 has shape [])');
    const axis = normalizeAxis(dim, first.length, 'concat');
    const out = [...first];
    for (let i = 1; i < inputs.length; i++) {
      const s = inputs[i];
      if (!s) throw new ShapeError(`concat: input ${i} is missing`);
      const matches = s.length === first.length && s.every((d, k) => k === axis || d === first[k]);
      if (!matches) {
        const expected = first.map((d, k) => (k === axis ? '*' : String(d))).join(', ');
        throw new ShapeError(
          `concat: input ${i} has shape ${formatShape(s)}, expected [${expected}] (every dim but dim ${dim} must match input 0's ${formatShape(first)})`,
        );
      }
      out[axis] += s[axis];
    }
    return [out];
  },
  // xs[i] [outer, n_i, inner] -> y [outer, Σ n_i, inner]
  cpu(inputs, [y], { dim }) {
    const axis = normalizeAxis(dim, y.shape.length, 'concat');
    const outer = sizeOf(y.shape.slice(0, axis));
    let offset = 0;
    for (let o = 0; o < outer; o++) {
      for (const x of inputs) {
        // Each input's slice for outer index o is one contiguous block of n_i · inner elements.
        const block = x!.data.length / outer;
        y.data.set(x!.data.subarray(o * block, (o + 1) * block), offset);
        offset += block;
      }
    }
  },
  // One strided copy per input: x_i, dense, into its slab of y (y's strides, offset by the
  // inputs before it along the axis). Along dim 0 a slab is contiguous: a plain buffer copy.
  gpu(k, inputs, [y], { dim }) {
    const axis = normalizeAxis(dim, y.shape.length, 'concat');
    const yStrides = stridesOf(y.shape);
    let start = 0;
    for (const x of inputs) {
      recordStridedCopy(k, { from: x!, to: y, shape: x!.shape, toStrides: yStrides, toOffset: start * yStrides[axis] }, 'concat');
      start += x!.shape[axis];
    }
  },
  // Each input's gradient is its slab of dy.
  grad(r, { inputs, dys: [dy], needs, attrs: { dim } }) {
    let start = 0;
    return inputs.map((x, i) => {
      const axis = normalizeAxis(dim, x!.shape.length, 'concat');
      const at = start;
      start += x!.shape[axis];
      return needs[i] ? slice(r, dy!, axis, at, x!.shape[axis]) : null;
    });
  },
};

type Shaped = { readonly shape: Shape };

/** Joins `xs` along `dim` (default 0); all other dims must match. */
export function concat<T extends Shaped>(r: OpRunner<T>, xs: readonly T[], opts: ConcatOptions = {}): T {
  if (!Array.isArray(xs)) throw new ShapeError(`concat: expects an array of tensors, got ${typeof xs}`);
  const dim = opts?.dim ?? 0;
  if (typeof dim !== 'number' || !Number.isInteger(dim)) throw new ShapeError(`concat: dim must be an integer, got ${String(dim)}`);
  return r.runOp(concatOp, xs, { dim })[0];
}
