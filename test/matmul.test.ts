import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import { gemm } from '../src/ops/gemm/gemm';
import { linear, linearOp } from '../src/ops/gemm/linear';
import { matmul, matmulOp } from '../src/ops/gemm/matmul';
import { matmulOracle } from '../src/ops/gemm/matmulOracle';
import { cpu, expectClose, expectValues, Random } from './helpers';

/** The oracle's C[M, N] = A[M, K] · B[K, N] (src/ops/gemm/matmulOracle.ts). */
const naiveMatmul = (a: Float32Array, b: Float32Array, m: number, k: number, n: number) => matmulOracle({ data: a, shape: [m, k] }, { data: b, shape: [k, n] }).data;

/** The transpose of a row-major [rows, cols] matrix. */
function transpose(x: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
  return t;
}

describe('gemm (the shared CPU kernel)', () => {
  const rng = new Random(11);

  it('matches the triple loop over odd sizes (tile edges, several K and M blocks)', () => {
    for (const [m, k, n] of [
      [1, 1, 1],
      [3, 17, 8],
      [17, 33, 65],
      [65, 3, 129],
      [129, 300, 17],
      [2, 513, 9],
      [1, 1000, 33],
      [70, 65, 16],
    ]) {
      const a = rng.fill(m * k);
      const b = rng.fill(k * n);
      const c = new Float32Array(m * n);
      gemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n);
      expectClose(c, naiveMatmul(a, b, m, k, n), `gemm ${m}x${k}x${n}`);
    }
  });

  it('transposed B (x · wᵀ) and transposed A', () => {
    for (const [m, k, n] of [
      [1, 513, 33],
      [3, 17, 129],
      [8, 2049, 17],
      [65, 65, 3],
      [129, 300, 24],
    ]) {
      const a = rng.fill(m * k);
      const b = rng.fill(k * n);
      const ref = naiveMatmul(a, b, m, k, n);
      const bt = transpose(b, k, n); // [n, k]
      const at = transpose(a, m, k); // [k, m]
      const c1 = new Float32Array(m * n);
      gemm(false, true, m, n, k, a, 0, k, bt, 0, k, c1, 0, n);
      expectClose(c1, ref, `transB ${m}x${k}x${n}`);
      const c2 = new Float32Array(m * n);
      gemm(true, false, m, n, k, at, 0, m, b, 0, n, c2, 0, n);
      expectClose(c2, ref, `transA ${m}x${k}x${n}`);
      const c3 = new Float32Array(m * n);
      gemm(true, true, m, n, k, at, 0, m, bt, 0, k, c3, 0, n);
      expectClose(c3, ref, `transA transB ${m}x${k}x${n}`);
    }
  });

  it('works on sub-arrays (offsets, row strides wider than the matrix) and accumulates', () => {
    const [m, k, n] = [5, 19, 11];
    const a = rng.fill(m * k);
    const b = rng.fill(k * n);
    const ref = naiveMatmul(a, b, m, k, n);
    // A inside a wider [m, k + 4] array starting at column 2, B after 7 unrelated elements, C in a
    // wider [m, n + 3] array at offset 1 whose other elements must stay untouched.
    const aWide = new Float32Array(m * (k + 4)).fill(99);
    for (let i = 0; i < m; i++) aWide.set(a.subarray(i * k, (i + 1) * k), i * (k + 4) + 2);
    const bShifted = new Float32Array(7 + k * n).fill(99);
    bShifted.set(b, 7);
    const cWide = new Float32Array(1 + m * (n + 3)).fill(-5);
    gemm(false, false, m, n, k, aWide, 2, k + 4, bShifted, 7, n, cWide, 1, n + 3);
    const got = new Float32Array(m * n);
    for (let i = 0; i < m; i++) got.set(cWide.subarray(1 + i * (n + 3), 1 + i * (n + 3) + n), i * n);
    expectClose(got, ref, 'sub-array product');
    expect(cWide[0]).toBe(-5);
    for (let i = 0; i < m; i++) expectValues(cWide.subarray(1 + i * (n + 3) + n, 1 + (i + 1) * (n + 3)), [-5, -5, -5]);

    // accumulate: C += A · B on top of what C holds.
    const c = Float32Array.from({ length: m * n }, (_, i) => i);
    gemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, true);
    expectClose(c, ref.map((v, i) => v + i), 'accumulated product');
  });

  it('K = 0 gives zeros, or leaves C alone when accumulating', () => {
    const c = new Float32Array(6).fill(3);
    gemm(false, false, 2, 3, 0, new Float32Array(0), 0, 0, new Float32Array(0), 0, 3, c, 0, 3, true);
    expectValues(c, [3, 3, 3, 3, 3, 3]);
    gemm(false, false, 2, 3, 0, new Float32Array(0), 0, 0, new Float32Array(0), 0, 3, c, 0, 3);
    expectValues(c, [0, 0, 0, 0, 0, 0]);
  });

  it('rejects an operand that does not fit its array with a ShapeError', () => {
    const a = new Float32Array(6);
    const c = new Float32Array(4);
    expect(() => gemm(false, false, 2, 2, 3, a, 0, 3, new Float32Array(5), 0, 2, c, 0, 2)).toThrow(ShapeError);
    expect(() => gemm(false, false, 2, 2, 3, a, 1, 3, new Float32Array(6), 0, 2, c, 0, 2)).toThrow(/gemm: A \[2, 3\]/);
  });
});

// Random, batched, broadcast and 1-D shapes against the oracle: test/ops/cases.ts.
describe('matmul (CPU)', () => {
  it('the 1-D dot product follows NumPy', async () => {
    const dot = matmul(cpu, cpu.tensor([1, 2, 3], [3]), cpu.tensor([4, 5, 6], [3]));
    expect(dot.shape).toEqual([]);
    expectValues(await dot.data(), [32]);
  });

  it('a hand-worked product', async () => {
    const y = matmul(cpu, cpu.tensor([1, 2, 3, 4, 5, 6], [2, 3]), cpu.tensor([1, 0, 0, 1, 1, 1], [3, 2]));
    expectValues(await y.data(), [4, 5, 10, 11]);
  });

  it('zero-size dims give empty results, K = 0 gives zeros', async () => {
    expect(matmul(cpu, cpu.zeros([0, 4]), cpu.zeros([4, 3])).shape).toEqual([0, 3]);
    expect(matmul(cpu, cpu.zeros([2, 4]), cpu.zeros([4, 0])).shape).toEqual([2, 0]);
    expect(matmul(cpu, cpu.zeros([0, 2, 4]), cpu.zeros([4, 3])).shape).toEqual([0, 2, 3]);
    expect(matmul(cpu, cpu.zeros([3, 2, 4]), cpu.zeros([0, 1, 4, 3])).shape).toEqual([0, 3, 2, 3]);
    const y = matmul(cpu, cpu.zeros([2, 0]), cpu.zeros([0, 3]));
    expect(y.shape).toEqual([2, 3]);
    expectValues(await y.data(), [0, 0, 0, 0, 0, 0]);
    expectValues(await matmul(cpu, cpu.zeros([0]), cpu.zeros([0])).data(), [0]);
  });

  it('counts MACs as batch · M · N · K', () => {
    expect(matmulOp.macs!([[2, 1, 3, 4], [5, 4, 6]], {})).toBe(2 * 5 * 3 * 6 * 4);
    expect(matmulOp.macs!([[7], [7]], {})).toBe(7);
    expect(matmulOp.macs!([[4, 5], [5]], {})).toBe(20);
  });

  it('bad shapes are ShapeErrors naming the shapes', () => {
    const t = (s: number[]) => cpu.zeros(s);
    expect(() => matmul(cpu, t([2, 3]), t([4, 5]))).toThrow(ShapeError);
    expect(() => matmul(cpu, t([2, 3]), t([4, 5]))).toThrow(/a \[2, 3\], b \[4, 5\]/);
    expect(() => matmul(cpu, t([3]), t([4]))).toThrow(ShapeError);
    expect(() => matmul(cpu, t([2, 3, 4]), t([5, 4, 6]))).toThrow(ShapeError);
    expect(() => matmul(cpu, t([2, 3, 4]), t([5, 4, 6]))).toThrow(/\[2, 3, 4\].*\[5, 4, 6\]/);
    expect(() => matmul(cpu, t([]), t([3]))).toThrow(ShapeError);
  });
});

// Ranks 1-3 with and without bias, odd sizes: test/ops/cases.ts.
describe('linear (CPU)', () => {
  it('applies a fused activation after the bias', async () => {
    const x = cpu.tensor([1, 2, -1, 0.5], [2, 2]);
    const w = cpu.tensor([1, 1, 1, -1, -1, 0], [3, 2]);
    const b = cpu.tensor([0, 0.5, 1], [3]);
    // x·wᵀ + b = [[3, -0.5, 0], [-0.5, -1, 2]]
    expectValues(await linear(cpu, x, w, b).data(), [3, -0.5, 0, -0.5, -1, 2]);
    const [relu] = cpu.runOp(linearOp, [x, w, b], { activation: { kind: 'relu' } });
    expectValues(await relu.data(), [3, 0, 0, 0, 0, 2]);
    const [leaky] = cpu.runOp(linearOp, [x, w, null], { activation: { kind: 'leakyRelu', negativeSlope: 0.5 } });
    expectValues(await leaky.data(), [3, -0.5, -0.5, -0.25, -0.75, 1]);
  });

  it('zero-size dims: no rows gives an empty result, no in-features gives the bias', async () => {
    expect(linear(cpu, cpu.zeros([0, 4]), cpu.zeros([3, 4]), cpu.zeros([3])).shape).toEqual([0, 3]);
    const y = linear(cpu, cpu.zeros([2, 0]), cpu.zeros([3, 0]), cpu.tensor([1, 2, 3], [3]));
    expectValues(await y.data(), [1, 2, 3, 1, 2, 3]);
  });

  it('counts MACs as rows · out · in', () => {
    expect(linearOp.macs!([[2, 3, 10], [4, 10], [4]], {})).toBe(6 * 4 * 10);
    expect(linearOp.macs!([[10], [4, 10], null], {})).toBe(40);
  });

  it('bad shapes are ShapeErrors naming the shapes', () => {
    const t = (s: number[]) => cpu.zeros(s);
    expect(() => linear(cpu, t([2, 5]), t([3, 4]))).toThrow(ShapeError);
    expect(() => linear(cpu, t([2, 5]), t([3, 4]))).toThrow(/x \[2, 5\], w \[3, 4\]/);
    expect(() => linear(cpu, t([2, 4]), t([3, 4, 1]))).toThrow(ShapeError);
    expect(() => linear(cpu, t([2, 4]), t([4]))).toThrow(ShapeError);
    expect(() => linear(cpu, t([2, 4]), t([3, 4]), t([4]))).toThrow(ShapeError);
    expect(() => linear(cpu, t([2, 4]), t([3, 4]), t([1, 3]))).toThrow(ShapeError);
    expect(() => linear(cpu, t([]), t([3, 1]))).toThrow(ShapeError);
  });
});
