// matmul: NumPy's (and ONNX MatMul's) matrix product. Leading dims are batch dims that
// broadcast; a 1-D a is a row [1, K] and a 1-D b a column [K, 1], the added dim dropped from
// the result (so 1-D · 1-D is a scalar, shape []).
import { ShapeError } from '../errors';
import { broadcastShapes, broadcastStrides, formatShape, sizeOf, type Shape } from '../shape';
import { gemm } from './gemm';
import type { OpDef, OpRunner } from './op';

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
  cpu([a, b], [y]) {
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
};

/** The matrix product of `a` and `b` with NumPy's batching and 1-D rules. */
export function matmul<T extends { readonly shape: Shape }>(r: OpRunner<T>, a: T, b: T): T {
  return r.runOp(matmulOp, [a, b], {})[0];
}
