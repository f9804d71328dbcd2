// The oracles of matmul and linear (see ops/oracle.ts): the triple loop in float64. The CPU
// kernels run the blocked GEMM of gemm.ts instead.
import { activate, type Activation } from '../elementwise/activation.js';
import { count, type OracleResult, type OracleTensor } from '../oracle.js';

/** C[M, N] = A[M, K] · B[K, N], reading A from `a0` and B from `b0`. */
function product(a: ArrayLike<number>, a0: number, b: ArrayLike<number>, b0: number, m: number, k: number, n: number, c: Float64Array, c0: number): void {
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += a[a0 + i * k + p] * b[b0 + p * n + j];
      c[c0 + i * n + j] = s;
    }
}

/**
 * NumPy's matmul: a 1-D a is the row [1, K] and a 1-D b the column [K, 1] (their dim dropped from
 * the result); batch dims broadcast (a dim of 1 is stretched, missing leading dims count as 1).
 */
export function matmulOracle(a: OracleTensor, b: OracleTensor): OracleResult {
  const aShape = a.shape.length === 1 ? [1, a.shape[0]] : [...a.shape];
  const bShape = b.shape.length === 1 ? [b.shape[0], 1] : [...b.shape];
  const [m, k] = aShape.slice(-2);
  const n = bShape[bShape.length - 1];
  const rank = Math.max(aShape.length, bShape.length) - 2;
  const pad = (s: number[]) => [...new Array<number>(rank - (s.length - 2)).fill(1), ...s.slice(0, -2)];
  const [ab, bb] = [pad(aShape), pad(bShape)];
  const batch = ab.map((d, i) => (d === 1 ? bb[i] : d));
  const c = new Float64Array(count(batch) * m * n);
  for (let e = 0; e < count(batch); e++) {
    // Unravel e into a batch index, then ravel it into each operand's (stretched) batch shape.
    let rest = e;
    let [ai, bi, as, bs] = [0, 0, 1, 1];
    for (let d = rank - 1; d >= 0; d--) {
      const i = rest % batch[d];
      rest = Math.floor(rest / batch[d]);
      ai += (ab[d] === 1 ? 0 : i) * as;
      bi += (bb[d] === 1 ? 0 : i) * bs;
      as *= ab[d];
      bs *= bb[d];
    }
    product(a.data, ai * m * k, b.data, bi * k * n, m, k, n, c, e * m * n);
  }
  const shape = [...batch, ...(a.shape.length === 1 ? [] : [m]), ...(b.shape.length === 1 ? [] : [n])];
  return { data: c, shape };
}

/** x [..., in] · wᵀ + b, w [out, in], b [out] | null, then the fused activation if any. */
export function linearOracle(x: OracleTensor, w: OracleTensor, b: OracleTensor | null, activation?: Activation): OracleResult {
  const [outF, inF] = w.shape;
  const rows = count(x.shape.slice(0, -1));
  const y = new Float64Array(rows * outF);
  for (let r = 0; r < rows; r++)
    for (let o = 0; o < outF; o++) {
      let s = b ? b.data[o] : 0;
      for (let i = 0; i < inF; i++) s += x.data[r * inF + i] * w.data[o * inF + i];
      y[r * outF + o] = activation ? activate(s, activation) : s;
    }
  return { data: y, shape: [...x.shape.slice(0, -1), outF] };
}
