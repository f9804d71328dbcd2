// The oracles of the elementwise ops (see ops/oracle.ts): each activation by its formula, and
// add / mul with NumPy broadcasting by index arithmetic, output index to each input's index.
import type { Activation } from './activation.js';
import { count, unravel, type OracleResult, type OracleTensor } from '../oracle.js';

/** The activation's formula, one value at a time (NaN passes through every one of them). */
export function activationOracle(x: OracleTensor, a: Activation): OracleResult {
  const f = (v: number): number => {
    switch (a.kind) {
      case 'relu':
        return Number.isNaN(v) ? v : Math.max(v, 0);
      case 'sigmoid':
        return 1 / (1 + Math.exp(-v));
      case 'tanh':
        return Math.tanh(v);
      case 'leakyRelu':
        return v < 0 ? a.negativeSlope * v : v;
      case 'clip':
        // ONNX: min > max gives max everywhere.
        return Number.isNaN(v) ? v : Math.min(a.max, Math.max(a.min, v));
    }
  };
  return { data: Float64Array.from(x.data, f), shape: [...x.shape] };
}

/** a ⊕ b with NumPy broadcasting; the result is rounded to float32 as the kernels store it. */
export function broadcastOracle(a: OracleTensor, b: OracleTensor, f: (x: number, y: number) => number): OracleResult {
  const rank = Math.max(a.shape.length, b.shape.length);
  const pad = (s: readonly number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const [as, bs] = [pad(a.shape), pad(b.shape)];
  const out = as.map((d, i) => (d === 1 ? bs[i] : d));
  const flat = (shape: number[], index: number[]) => shape.reduce((at, d, k) => at * d + (d === 1 ? 0 : index[k]), 0);
  const y = new Float64Array(count(out));
  for (let i = 0; i < y.length; i++) {
    const index = unravel(i, out);
    y[i] = Math.fround(f(a.data[flat(as, index)], b.data[flat(bs, index)]));
  }
  return { data: y, shape: out };
}
