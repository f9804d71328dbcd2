// Local response normalisation across channels (AlexNet, GoogLeNet):
//   y_c = x_c / (k + alpha/size · Σ_{c' in window(c)} x_{c'}²)^beta
// with a window of `size` channels around c, clipped to the channel range. For odd sizes PyTorch
// and ONNX agree (c ± (size−1)/2); for even sizes PyTorch reaches one channel further back
// (size/2 before, size/2 − 1 after) and ONNX one further ahead, so the attrs say how many before.
import { ShapeError } from '../../errors.js';
import { sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { localResponseNormGradOp } from './localResponseNormGrad.js';
import { checkLrn, recordLrn, type LocalResponseNormAttrs } from './lrnKernel.js';

export type { LocalResponseNormAttrs } from './lrnKernel.js';

export interface LocalResponseNormOptions {
  /** Channels in the window (required, as in torch.nn.LocalResponseNorm). */
  size: number;
  /** Scale of the sum of squares (default 1e-4). */
  alpha?: number;
  /** Exponent (default 0.75). */
  beta?: number;
  /** Additive constant (default 1; ONNX calls it bias). */
  k?: number;
}

export const localResponseNormOp: OpDef<LocalResponseNormAttrs> = {
  name: 'localResponseNorm',
  inferShapes([x], attrs) {
    return [checkLrn(x, attrs)];
  },
  // x [N, C, ...] -> y [N, C, ...]
  cpu([x], [y], { size, alpha, beta, k, before }) {
    const xs = x!.data;
    const ys = y.data;
    const [batch, channels] = x!.shape;
    const inner = sizeOf(x!.shape.slice(2));
    const after = size - 1 - before;
    const scale = alpha / size;
    // Per position, the window's sum of squares (float64), rebuilt for each output channel.
    const sumSq = new Float64Array(inner);
    for (let n = 0; n < batch; n++) {
      const image = n * channels * inner;
      for (let c = 0; c < channels; c++) {
        sumSq.fill(0);
        const lo = Math.max(0, c - before);
        const hi = Math.min(channels - 1, c + after);
        for (let w = lo; w <= hi; w++) {
          const plane = image + w * inner;
          for (let j = 0; j < inner; j++) {
            const v = xs[plane + j];
            sumSq[j] += v * v;
          }
        }
        const plane = image + c * inner;
        for (let j = 0; j < inner; j++) ys[plane + j] = xs[plane + j] / Math.pow(k + scale * sumSq[j], beta);
      }
    }
  },
  gpu(kr, [x], [y], attrs) {
    recordLrn(kr, 'main', [x!, y], attrs);
  },
  grad: (r, { inputs: [x], dys: [dy], attrs }) => [r.runOp(localResponseNormGradOp, [x!, dy!], attrs)[0]],
};


/**
 * Validates the options and builds the attrs. `window` 'pytorch' (the API's) puts floor(size/2)
 * channels before c; 'onnx' puts floor((size−1)/2) before, for the ONNX importer's LRN.
 */
export function localResponseNormAttrs(opts: LocalResponseNormOptions, window: 'pytorch' | 'onnx' = 'pytorch'): LocalResponseNormAttrs {
  if (!opts || typeof opts !== 'object') throw new ShapeError('localResponseNorm: options { size, alpha?, beta?, k? } are required');
  const { size, alpha = 1e-4, beta = 0.75, k = 1 } = opts;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < 1) {
    throw new ShapeError(`localResponseNorm: size must be a positive integer, got ${String(size)}`);
  }
  const before = window === 'pytorch' ? Math.floor(size / 2) : Math.floor((size - 1) / 2);
  return { size, alpha, beta, k, before };
}

type Shaped = { readonly shape: Shape };

/** LRN across channels (dim 1) with PyTorch's options and window; x rank ≥ 3. */
export const localResponseNorm = <T extends Shaped>(r: OpRunner<T>, x: T, opts: LocalResponseNormOptions): T =>
  r.runOp(localResponseNormOp, [x], localResponseNormAttrs(opts))[0];
