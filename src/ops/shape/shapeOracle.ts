// The oracles of the data-movement ops (see ops/oracle.ts): every output element looks up its
// source by index arithmetic.
import { count, stridesOf, unravel, type OracleResult, type OracleTensor } from '../oracle.js';

/** Joins `xs` along `dim` (negative counts from the end). */
export function concatOracle(xs: readonly OracleTensor[], dim: number): OracleResult {
  const axis = dim < 0 ? dim + xs[0].shape.length : dim;
  const out = [...xs[0].shape];
  out[axis] = xs.reduce((s, t) => s + t.shape[axis], 0);
  const y = new Float64Array(count(out));
  for (let i = 0; i < y.length; i++) {
    const index = unravel(i, out);
    let which = 0;
    while (index[axis] >= xs[which].shape[axis]) index[axis] -= xs[which++].shape[axis];
    const strides = stridesOf(xs[which].shape);
    y[i] = xs[which].data[index.reduce((at, v, k) => at + v * strides[k], 0)];
  }
  return { data: y, shape: out };
}

/** y[i_0, …] = x at the index where axis dims[k] takes i_k (negative dims count from the end). */
export function permuteOracle(x: OracleTensor, dims: readonly number[]): OracleResult {
  const axes = dims.map((d) => (d < 0 ? d + x.shape.length : d));
  const out = axes.map((d) => x.shape[d]);
  const strides = stridesOf(x.shape);
  const y = new Float64Array(count(out));
  for (let i = 0; i < y.length; i++) {
    const index = unravel(i, out);
    y[i] = x.data[index.reduce((at, v, k) => at + v * strides[axes[k]], 0)];
  }
  return { data: y, shape: out };
}

/** Entries start … start + length − 1 of x along `dim` (negatives count from the end); `squeeze` drops the dim (select). */
export function narrowOracle(x: OracleTensor, dim: number, start: number, length: number, squeeze: boolean): OracleResult {
  const axis = dim < 0 ? dim + x.shape.length : dim;
  const first = start < 0 ? start + x.shape[axis] : start;
  const block = x.shape.map((d, k) => (k === axis ? length : d));
  const strides = stridesOf(x.shape);
  const y = new Float64Array(count(block));
  for (let i = 0; i < y.length; i++) {
    const index = unravel(i, block);
    index[axis] += first;
    y[i] = x.data[index.reduce((at, v, k) => at + v * strides[k], 0)];
  }
  return { data: y, shape: squeeze ? block.filter((_, k) => k !== axis) : block };
}

/** The same elements in the same order under `shape` (reshape, flatten, dropout at inference). */
export function viewOracle(x: OracleTensor, shape: readonly number[]): OracleResult {
  return { data: Float64Array.from(x.data), shape: [...shape] };
}
