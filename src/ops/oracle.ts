// The oracles: each op's definition as plain loops (float64 sums, no blocking, no shared
// geometry beyond SAME padding), one file per family beside the op (conv/conv2dOracle.ts, …).
// They are not the CPU backend: the CPU kernels (the ops' `cpu`) are the reference users and
// the WebGPU tests rely on, and may be fast (blocked GEMM, hoisted bounds); the oracles are
// what the CPU kernels are checked against, on the rows of test/ops/cases.ts. Nothing in the
// runtime calls them.

/** A dense row-major tensor as the oracles read and write it. */
export interface OracleTensor {
  readonly data: ArrayLike<number>;
  readonly shape: readonly number[];
}

/** The oracles' output: float64 values. */
export interface OracleResult {
  readonly data: Float64Array;
  readonly shape: number[];
}

/** Elements of a shape, and row-major strides: the shape arithmetic of shape.ts. */
export { sizeOf as count, stridesOf } from '../shape.js';

/** The multi-index of flat position `i` in `shape`. */
export function unravel(i: number, shape: readonly number[]): number[] {
  const index = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    index[d] = i % shape[d];
    i = Math.floor(i / shape[d]);
  }
  return index;
}
