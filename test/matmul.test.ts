import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import { gemm } from '../src/ops/gemm/gemm';
import { linear, linearOp } from '../src/ops/gemm/linear';
import { matmul, matmulOp } from '../src/ops/gemm/matmul';
import { sizeOf } from '../src/shape';
import { cpu, expectClose, expectValues, Random, randomTensor } from './helpers';

/** The oracle: C[M, N] = A[M, K] · B[K, N] as a plain triple loop in float64. */
function naiveMatmul(a: ArrayLike<number>, b: ArrayLike<number>, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
      c[i * n + j] = sum;
    }
  }
  return c;
}

/** The transpose of a row-major [rows, cols] matrix. */
function transpose(x: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = x[i * cols + j];
  return t;
}

/**
 * The oracle for batched matmul: for every output batch index, the a and b matrices it reads
 * (a dim of 1 is stretched; missing leading dims count as 1), multiplied by the triple loop.
 */
function naiveBatched(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[]): Float64Array {
  const [m, k] = aShape.slice(-2);
  const n = bShape[bShape.length - 1];
  const aBatch = aShape.slice(0, -2);
  const bBatch = bShape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const pad = (s: number[]) => [...new Array<number>(rank - s.length).fill(1), ...s];
  const [ab, bb] = [pad(aBatch), pad(bBatch)];
  const batch = ab.map((d, i) => Math.max(d, bb[i]));
  const out = new Float64Array(sizeOf(batch) * m * n);
  for (let e = 0; e < sizeOf(batch); e++) {
    // Unravel e into a batch index, then ravel it into each operand's (stretched) batch shape.
    let rest = e;
    let aIndex = 0;
    let bIndex = 0;
    let aScale = 1;
    let bScale = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const i = rest % batch[d];
      rest = Math.floor(rest / batch[d]);
      aIndex += (ab[d] === 1 ? 0 : i) * aScale;
      bIndex += (bb[d] === 1 ? 0 : i) * bScale;
      aScale *= ab[d];
      bScale *= bb[d];
    }
    const c = naiveMatmul(a.subarray(aIndex * m * k, (aIndex + 1) * m * k), b.subarray(bIndex * k * n, (bIndex + 1) * k * n), m, k, n);
    out.set(c, e * m * n);
  }
  return out;
}

const ODD_SIZES = [1, 3, 17, 33, 65, 129];

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

describe('matmul (CPU)', () => {
  const rng = new Random(5);

  async function check(aShape: number[], bShape: number[], outShape: number[]): Promise<void> {
    const a = randomTensor(rng, aShape);
    const b = randomTensor(rng, bShape);
    const y = matmul(cpu, a, b);
    expect(y.shape).toEqual(outShape);
    // The oracle sees 1-D operands as the row [1, K] and the column [K, 1].
    const aMat = aShape.length === 1 ? [1, aShape[0]] : aShape;
    const bMat = bShape.length === 1 ? [bShape[0], 1] : bShape;
    expectClose(await y.data(), naiveBatched(await a.data(), aMat, await b.data(), bMat), `${aShape} · ${bShape}`);
  }

  it('matches the triple loop on random 2-D shapes', async () => {
    for (let t = 0; t < 12; t++) {
      const pick = () => ODD_SIZES[rng.int(0, ODD_SIZES.length - 1)];
      const [m, k, n] = [pick(), rng.int(1, 300), pick()];
      await check([m, k], [k, n], [m, n]);
    }
  });

  it('batches with broadcasting', async () => {
    await check([2, 1, 3, 4], [5, 4, 6], [2, 5, 3, 6]);
    await check([3, 17, 9], [3, 9, 33], [3, 17, 33]);
    await check([4, 3, 5], [5, 7], [4, 3, 7]); // one b for every a: folded into one product
    await check([5, 7], [2, 3, 7, 9], [2, 3, 5, 9]); // one a for every b
    await check([1, 2, 3], [4, 1, 3, 2], [4, 1, 2, 2]);
    await check([3, 1, 2, 3], [4, 3, 2], [3, 4, 2, 2]);
  });

  it('every 1-D case follows NumPy', async () => {
    await check([7], [7], []);
    await check([5], [5, 3], [3]);
    await check([4, 5], [5], [4]);
    await check([5], [2, 5, 3], [2, 3]);
    await check([2, 4, 5], [5], [2, 4]);
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

describe('linear (CPU)', () => {
  const rng = new Random(9);

  /** The oracle: x [rows, in] · wᵀ + b, by the triple loop on an explicitly transposed w. */
  function reference(x: Float32Array, w: Float32Array, b: Float32Array | null, rows: number, inF: number, outF: number) {
    const y = naiveMatmul(x, transpose(w, outF, inF), rows, inF, outF);
    if (b) for (let i = 0; i < y.length; i++) y[i] += b[i % outF];
    return y;
  }

  it('with and without bias, rank 1 and rank 3 inputs, odd sizes', async () => {
    for (const [xShape, outF] of [
      [[17], 33],
      [[1, 65], 9],
      [[2, 3, 33], 129],
      [[5, 300], 17],
      [[2, 2, 1029], 8],
    ] as [number[], number][]) {
      const inF = xShape[xShape.length - 1];
      const rows = sizeOf(xShape) / inF;
      const x = randomTensor(rng, xShape);
      const w = randomTensor(rng, [outF, inF]);
      const b = randomTensor(rng, [outF]);
      const [xd, wd, bd] = [await x.data(), await w.data(), await b.data()];
      const withBias = linear(cpu, x, w, b);
      expect(withBias.shape).toEqual([...xShape.slice(0, -1), outF]);
      expectClose(await withBias.data(), reference(xd, wd, bd, rows, inF, outF), `linear ${xShape} -> ${outF}`);
      const noBias = linear(cpu, x, w);
      expectClose(await noBias.data(), reference(xd, wd, null, rows, inF, outF), `linear ${xShape} -> ${outF}, no bias`);
    }
  });

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
