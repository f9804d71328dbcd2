// linear: y = x · wᵀ + b, PyTorch's nn.Linear (and ONNX Gemm with transB = 1), with an optional
// fused activation that the graph fusion pass sets (graph/passes.ts).
import { ShapeError, UnsupportedError } from '../../errors.js';
import { formatShape, sizeOf, type Shape } from '../../shape.js';
import type { Activation } from '../elementwise/activation.js';
import { referenceKernels } from '../cpuKernels.js';
import { recordGemm } from './gemmGpu.js';
import type { OpDef, OpRunner } from '../op.js';
import { sumTo } from '../reduce/reduceSum.js';
import { permute } from '../shape/permute.js';
import { reshape } from '../shape/reshape.js';
import { matmul } from './matmul.js';

export interface LinearAttrs {
  /** Applied after the bias (fused epilogue); absent for a plain linear layer. */
  readonly activation?: Activation;
}

/** Checks x [..., in], w [out, in], b [out] | null; returns [rows, in, out]. */
function checkLinear(x: Shape | null, w: Shape | null, b: Shape | null): [number, number, number] {
  const shapes = `x ${formatShape(x)}, w ${formatShape(w)}, b ${formatShape(b)}`;
  if (!x || x.length === 0) throw new ShapeError(`linear: x must have rank >= 1 [..., in], got ${shapes}`);
  if (!w || w.length !== 2) throw new ShapeError(`linear: w must have rank 2 [out, in], got ${shapes}`);
  const [outFeatures, inFeatures] = w;
  if (x[x.length - 1] !== inFeatures) {
    throw new ShapeError(`linear: x's last dim must be w's in-features ${inFeatures}, got ${shapes}`);
  }
  if (b && (b.length !== 1 || b[0] !== outFeatures)) {
    throw new ShapeError(`linear: b must be [${outFeatures}] (one per output feature), got ${shapes}`);
  }
  return [sizeOf(x.slice(0, -1)), inFeatures, outFeatures];
}

export const linearOp: OpDef<LinearAttrs> = {
  name: 'linear',
  inferShapes([x, w, b]) {
    checkLinear(x, w, b ?? null);
    return [[...x!.slice(0, -1), w![0]]];
  },
  macs([x, w, b]) {
    const [rows, inFeatures, outFeatures] = checkLinear(x, w, b ?? null);
    return rows * outFeatures * inFeatures;
  },
  // x [R, in] (leading dims flattened), w [out, in], b [out] | null -> y [R, out]
  cpu([x, w, b], [y], attrs, kernels = referenceKernels) {
    const [rows, inFeatures, outFeatures] = checkLinear(x!.shape, w!.shape, b?.shape ?? null);
    kernels.gemm(false, true, rows, outFeatures, inFeatures, x!.data, 0, inFeatures, w!.data, 0, inFeatures, y.data, 0, outFeatures, false, {
      bias: b?.data ?? null,
      biasPer: 'column',
      activation: attrs.activation,
    });
  },
  // x [R, in], w [out, in] (or its parts: consecutive row blocks), b [out] | null -> y [R, out]
  gpu(k, [x, w, b], [y], attrs) {
    const [rows, inFeatures, outFeatures] = checkLinear(x!.shape, w!.shape, b?.shape ?? null);
    // A weight too large for one binding arrives as blocks of output rows: each block is one
    // GEMM writing its own columns of y.
    let column = 0;
    for (const part of w!.parts ?? [w!]) {
      const n = part.shape[0];
      recordGemm(k, {
        a: x!, b: part, c: y, m: rows, n, k: inFeatures, transB: true, ldc: outFeatures, offsetC: column,
        bias: b, biasPer: 'column', biasOffset: column, activation: attrs.activation,
      });
      column += n;
    }
  },
  gpuAcceptsParts: [1],
  // dx = dy · w; dw = dyᵀ · x over all rows; db = Σ_rows dy.
  grad(r, { inputs: [x, w, b], dys: [dy], needs, attrs }) {
    if (attrs.activation) throw new UnsupportedError('linear: no gradient for a fused activation (training graphs are not fused)');
    const [outFeatures, inFeatures] = w!.shape;
    const dx = needs[0] ? matmul(r, dy!, w!) : null;
    const dw = needs[1]
      ? matmul(r, permute(r, reshape(r, dy!, [-1, outFeatures]), [1, 0]), reshape(r, x!, [-1, inFeatures]))
      : null;
    const db = b && needs[2] ? sumTo(r, dy!, b.shape) : null;
    return [dx, dw, db];
  },
};

/** x · wᵀ + b for x [..., in], w [out, in] (PyTorch's layout) and b [out] or null. */
export function linear<T extends { readonly shape: Shape }>(r: OpRunner<T>, x: T, w: T, b: T | null = null): T {
  return r.runOp(linearOp, [x, w, b], {})[0];
}
