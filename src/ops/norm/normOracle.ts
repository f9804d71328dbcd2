// The oracles of the normalisations (see ops/oracle.ts): batch norm (inference), local response
// norm and softmax / logSoftmax, each by its formula over explicit loops.
import { count, type OracleResult, type OracleTensor } from '../oracle.js';

/** (x − mean) / √(var + eps) · weight + bias per channel (dim 1); weight 1 and bias 0 when absent. */
export function batchNormOracle(
  x: OracleTensor,
  p: { weight: OracleTensor | null; bias: OracleTensor | null; runningMean: OracleTensor; runningVar: OracleTensor; eps: number },
): OracleResult {
  const C = x.shape[1];
  const inner = count(x.shape.slice(2));
  const y = Float64Array.from(x.data, (v, i) => {
    const c = Math.floor(i / inner) % C;
    const normalised = (v - p.runningMean.data[c]) / Math.sqrt(p.runningVar.data[c] + p.eps);
    return normalised * (p.weight ? p.weight.data[c] : 1) + (p.bias ? p.bias.data[c] : 0);
  });
  return { data: y, shape: [...x.shape] };
}

/**
 * y_c = x_c / (k + alpha/size · Σ x_w²)^beta over channels w in [c − before, c + size − 1 − before]:
 * before = floor(size / 2) as in PyTorch, floor((size − 1) / 2) as in ONNX (they differ for even sizes).
 */
export function localResponseNormOracle(x: OracleTensor, o: { size: number; alpha: number; beta: number; k: number; window: 'pytorch' | 'onnx' }): OracleResult {
  const [N, C] = x.shape;
  const inner = count(x.shape.slice(2));
  const before = o.window === 'onnx' ? Math.floor((o.size - 1) / 2) : Math.floor(o.size / 2);
  const y = new Float64Array(count(x.shape));
  for (let n = 0; n < N; n++)
    for (let c = 0; c < C; c++)
      for (let j = 0; j < inner; j++) {
        let sum = 0;
        for (let w = c - before; w <= c + o.size - 1 - before; w++) if (w >= 0 && w < C) sum += x.data[(n * C + w) * inner + j] ** 2;
        y[(n * C + c) * inner + j] = x.data[(n * C + c) * inner + j] / (o.k + (o.alpha / o.size) * sum) ** o.beta;
      }
  return { data: y, shape: [...x.shape] };
}

/** exp(x_i − max) / Σ exp(x_j − max) along `dim` (or its log), one line at a time. */
export function softmaxOracle(x: OracleTensor, dim: number, log: boolean): OracleResult {
  const shape = [...x.shape];
  const y = new Float64Array(count(shape));
  if (shape.length === 0) {
    y[0] = log ? 0 : 1;
    return { data: y, shape };
  }
  const axis = dim < 0 ? dim + shape.length : dim;
  const L = shape[axis];
  const inner = count(shape.slice(axis + 1));
  const outer = count(shape.slice(0, axis));
  for (let o = 0; o < outer; o++)
    for (let i = 0; i < inner; i++) {
      const at = (l: number) => (o * L + l) * inner + i;
      let max = -Infinity;
      for (let l = 0; l < L; l++) max = Math.max(max, x.data[at(l)]);
      let sum = 0;
      for (let l = 0; l < L; l++) sum += Math.exp(x.data[at(l)] - max);
      for (let l = 0; l < L; l++) y[at(l)] = log ? x.data[at(l)] - max - Math.log(sum) : Math.exp(x.data[at(l)] - max) / sum;
    }
  return { data: y, shape };
}
