// matmul: NumPy's (and ONNX MatMul's) matrix product. Leading dims are batch dims that
// broadcast; a 1-D a is a row [1, K] and a 1-D b a column [K, 1], the added dim dropped from
// the result (so 1-D · 1-D is a scalar, shape []).
import { ShapeError } from '../../errors.js';
import { broadcastShapes, broadcastStrides, formatShape, sizeOf, type Shape } from '../../shape.js';
import type { GpuArg, KernelRecorder } from '../kernel.js';
import { referenceKernels } from '../cpuKernels.js';
import { recordGemm, type GemmGpuArgs } from './gemmGpu.js';
import type { OpDef, OpRunner } from '../op.js';
import { sumTo } from '../reduce/reduceSum.js';
import { permute } from '../shape/permute.js';
import { reshape, reshapeTo } from '../shape/reshape.js';

/** matmul has no attributes. */
export type MatmulAttrs = Record<string, never>;

/** The operands as matrices: batch dims, M, K, N, and whether a 1-D side drops its dim. */
interface MatmulGeometry {
  readonly aBatch: Shape;
  readonly bBatch: Shape;
  readonly batch: Shape;
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly output: Shape;
}

function geometry(a: Shape | null, b: Shape | null): MatmulGeometry {
  const shapes = `a ${formatShape(a)}, b ${formatShape(b)}`;
  if (!a || !b || a.length === 0 || b.length === 0) {
    throw new ShapeError(`matmul: both operands need rank >= 1, got ${shapes}`);
  }
  const aMatrix = a.length === 1 ? [1, a[0]] : a;
  const bMatrix = b.length === 1 ? [b[0], 1] : b;
  const m = aMatrix[aMatrix.length - 2];
  const k = aMatrix[aMatrix.length - 1];
  const n = bMatrix[bMatrix.length - 1];
  const bk = bMatrix[bMatrix.length - 2];
  if (k !== bk) {
    const bDim = b.length === 1 ? 'only' : 'second-to-last';
    throw new ShapeError(`matmul: a's last dim (${k}) must equal b's ${bDim} dim (${bk}), got ${shapes}`);
  }
  const aBatch = aMatrix.slice(0, -2);
  const bBatch = bMatrix.slice(0, -2);
  const batch = broadcastShapes(aBatch, bBatch, `matmul: batch dims of ${shapes}`);
  const output = [...batch];
  if (a.length > 1) output.push(m);
  if (b.length > 1) output.push(n);
  return { aBatch, bBatch, batch, m, k, n, output };
}

export const matmulOp: OpDef<MatmulAttrs> = {
  name: 'matmul',
  inferShapes([a, b]) {
    return [geometry(a, b).output];
  },
  macs([a, b]) {
    const { batch, m, k, n } = geometry(a, b);
    return sizeOf(batch) * m * n * k;
  },
  // a [...A, M, K], b [...B, K, N] -> y [broadcast(A, B), M, N] (1-D sides as described above)
  cpu([a, b], [y], _attrs, { gemm } = referenceKernels) {
    const { aBatch, bBatch, batch, m, k, n } = geometry(a!.shape, b!.shape);
    const count = sizeOf(batch);
    // One b for every batch entry and a's entries laid out one after another: the batch is
    // just more rows of a, and one bigger product keeps the kernel's tiles full.
    if (sizeOf(bBatch) === 1 && sizeOf(aBatch) === count) {
      gemm(false, false, count * m, n, k, a!.data, 0, k, b!.data, 0, n, y.data, 0, n);
      return;
    }
    // Otherwise one product per output batch entry; a stretched batch dim has stride 0.
    const aStrides = broadcastStrides(aBatch, batch);
    const bStrides = broadcastStrides(bBatch, batch);
    const index = new Array<number>(batch.length).fill(0);
    let aMatrix = 0;
    let bMatrix = 0;
    for (let e = 0; e < count; e++) {
      gemm(false, false, m, n, k, a!.data, aMatrix * m * k, k, b!.data, bMatrix * k * n, n, y.data, e * m * n, n);
      // Step the batch index like an odometer, moving both operands' matrix numbers along.
      for (let d = batch.length - 1; d >= 0; d--) {
        aMatrix += aStrides[d];
        bMatrix += bStrides[d];
        if (++index[d] < batch[d]) break;
        aMatrix -= aStrides[d] * batch[d];
        bMatrix -= bStrides[d] * batch[d];
        index[d] = 0;
      }
    }
  },
  // Same cases as the CPU: a batch over b's single matrix is more rows of a; otherwise the
  // innermost batch dims that one stride per operand can step through are one batched GEMM,
  // and the remaining outer dims are one GEMM each.
  gpu(k, [a, b], [y]) {
    const { aBatch, bBatch, batch, m, k: depth, n } = geometry(a!.shape, b!.shape);
    const count = sizeOf(batch);
    if (sizeOf(bBatch) === 1 && sizeOf(aBatch) === count) {
      recordMatmulGemm(k, a!, b!, y, { m: count * m, n, k: depth, offsetA: 0, offsetB: 0, offsetC: 0 });
      return;
    }
    const aStrides = broadcastStrides(aBatch, batch);
    const bStrides = broadcastStrides(bBatch, batch);
    // A b split into parts (a parameter larger than one binding) holds whole matrices per part:
    // step through it one matrix at a time.
    const inner = b!.parts ? batch.length : innerBatchDims(batch, aStrides, bStrides);
    const entries = sizeOf(batch.slice(inner));
    const outer = batch.slice(0, inner);
    const index = new Array<number>(outer.length).fill(0);
    let aMatrix = 0;
    let bMatrix = 0;
    for (let e = 0; e < sizeOf(outer); e++) {
      recordMatmulGemm(k, a!, b!, y, {
        m, n, k: depth, batch: entries,
        strideA: innerStride(batch, aStrides, inner) * m * depth,
        strideB: innerStride(batch, bStrides, inner) * depth * n,
        offsetA: aMatrix * m * depth, offsetB: bMatrix * depth * n, offsetC: e * entries * m * n,
      });
      for (let d = outer.length - 1; d >= 0; d--) {
        aMatrix += aStrides[d];
        bMatrix += bStrides[d];
        if (++index[d] < outer[d]) break;
        aMatrix -= aStrides[d] * outer[d];
        bMatrix -= bStrides[d] * outer[d];
        index[d] = 0;
      }
    }
  },
  gpuAcceptsParts: [1],
  // On matrices (a 1-D side given its unit dim back): da = dy · bᵀ, db = aᵀ · dy, each summed
  // back over the batch dims that broadcasting stretched.
  grad(r, { inputs: [a, b], dys: [dy], needs }) {
    const { m, k, n } = geometry(a!.shape, b!.shape);
    const a2 = a!.shape.length === 1 ? reshape(r, a!, [1, k]) : a!;
    const b2 = b!.shape.length === 1 ? reshape(r, b!, [k, 1]) : b!;
    const dy2 = a!.shape.length === 1 || b!.shape.length === 1 ? reshapeTo(r, dy!, [...dy!.shape.slice(0, dy!.shape.length - (a!.shape.length === 1 ? 0 : 1) - (b!.shape.length === 1 ? 0 : 1)), m, n]) : dy!;
    const transpose = (t: typeof a2) => {
      const dims = t.shape.map((_, i) => i);
      dims.splice(-2, 2, dims.length - 1, dims.length - 2);
      return permute(r, t, dims);
    };
    const da = needs[0] ? reshapeTo(r, sumTo(r, matmul(r, dy2, transpose(b2)), a2.shape), a!.shape) : null;
    const db = needs[1] ? reshapeTo(r, sumTo(r, matmul(r, transpose(a2), dy2), b2.shape), b!.shape) : null;
    return [da, db];
  },
};

/** The GEMM fields matmul sets itself (the offsets always, as it walks the batch). */
type MatmulGemm = Pick<GemmGpuArgs, 'm' | 'n' | 'k' | 'batch' | 'strideA' | 'strideB'> & { offsetA: number; offsetB: number; offsetC: number };

/** One (batched) GEMM of matmul; b may be in parts (split along its dim 0). */
function recordMatmulGemm(r: KernelRecorder, a: GpuArg, b: GpuArg, y: GpuArg, g: MatmulGemm): void {
  if (!b.parts) {
    recordGemm(r, { a, b, c: y, ...g });
    return;
  }
  // A 1-D or 2-D b is split along k: the product is the sum of A's column blocks times b's
  // row blocks, accumulated in y. Batched b is split into whole matrices: find the one this
  // GEMM reads (always a single matrix here).
  if (b.shape.length <= 2) {
    let row = 0;
    for (const part of b.parts) {
      const rows = part.shape[0];
      recordGemm(r, { a, b: part, c: y, ...g, k: rows, lda: g.k, offsetA: g.offsetA + row, offsetB: 0, accumulate: row > 0 });
      row += rows;
    }
    return;
  }
  const matrix = g.offsetB / (g.k * g.n);
  let first = 0;
  for (const part of b.parts) {
    const matrices = sizeOf(part.shape) / (g.k * g.n);
    if (matrix < first + matrices) {
      recordGemm(r, { a, b: part, c: y, ...g, offsetB: (matrix - first) * g.k * g.n });
      return;
    }
    first += matrices;
  }
}

/**
 * How many trailing batch dims start the flattened batch of one GEMM: the longest suffix over
 * which each operand's matrix index is (flat index) × (one stride). Returns the first such dim.
 */
function innerBatchDims(batch: Shape, aStrides: readonly number[], bStrides: readonly number[]): number {
  let d = batch.length;
  let span = 1;
  let strideA: number | null = null;
  let strideB: number | null = null;
  while (d > 0) {
    const size = batch[d - 1];
    if (size !== 1) {
      const sa = aStrides[d - 1];
      const sb = bStrides[d - 1];
      if (strideA !== null && (sa !== strideA * span || sb !== strideB! * span)) break;
      if (strideA === null) [strideA, strideB] = [sa, sb];
      span *= size;
    }
    d--;
  }
  return d;
}

/** The matrix stride of the flattened batch dims from `inner` on (0 when they broadcast). */
function innerStride(batch: Shape, strides: readonly number[], inner: number): number {
  for (let d = batch.length - 1; d >= inner; d--) if (batch[d] !== 1) return strides[d];
  return 0;
}

/** The matrix product of `a` and `b` with NumPy's batching and 1-D rules. */
export function matmul<T extends { readonly shape: Shape }>(r: OpRunner<T>, a: T, b: T): T {
  return r.runOp(matmulOp, [a, b], {})[0];
}
