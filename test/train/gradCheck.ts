// Central finite differences for the backward-op tests: the gradient of L = Σ dy·f(inputs) with
// respect to one input, from a float64 oracle f of the forward op.
import { sizeOf } from '../../src/shape';
import type { Random } from '../../src/random';

export type Oracle = (inputs: Float64Array[]) => Float64Array;

/**
 * dL/d inputs[which] by central differences of step h (exact up to rounding for linear f), at
 * every element or only at `elements` (the others stay 0).
 */
export function numericGrad(f: Oracle, inputs: Float64Array[], dy: ArrayLike<number>, which: number, h = 1e-3, elements?: readonly number[]): Float64Array {
  const loss = () => {
    const y = f(inputs);
    let sum = 0;
    for (let i = 0; i < y.length; i++) sum += dy[i] * y[i];
    return sum;
  };
  const x = inputs[which];
  const grad = new Float64Array(x.length);
  for (const i of elements ?? x.keys()) {
    const keep = x[i];
    x[i] = keep + h;
    const up = loss();
    x[i] = keep - h;
    const down = loss();
    x[i] = keep;
    grad[i] = (up - down) / (2 * h);
  }
  return grad;
}

/** Random float32-representable values as float64 (what the float32 op sees, exactly). */
export function randomValues(rng: Random, shape: readonly number[], lo = -1, hi = 1): Float64Array {
  return Float64Array.from(rng.fill(sizeOf(shape), lo, hi));
}
