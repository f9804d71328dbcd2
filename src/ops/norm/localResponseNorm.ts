// Local response normalisation across channels (AlexNet, GoogLeNet):
//   y_c = x_c / (k + alpha/size · Σ_{c' in window(c)} x_{c'}²)^beta
// with a window of `size` channels around c, clipped to the channel range. For odd sizes PyTorch
// and ONNX agree (c ± (size−1)/2); for even sizes PyTorch reaches one channel further back
// (size/2 before, size/2 − 1 after) and ONNX one further ahead, so the attrs say how many before.
import lrnWgsl from '../../../shaders/norm/lrn.wgsl?raw';
import { grid, uniforms, type GpuArg, type KernelRecorder } from '../kernel.js';
import { ShapeError } from '../../errors.js';
import { formatShape, sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';

export interface LocalResponseNormAttrs {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
  /** Channels of the window before c; the other size − 1 − before lie after it. */
  readonly before: number;
}

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

const lrnShader = { label: 'lrn', code: lrnWgsl };

export const localResponseNormOp: OpDef<LocalResponseNormAttrs> = {
  name: 'localResponseNorm',
  inferShapes([x], { size, alpha, beta, k, before }) {
    if (!x || x.length < 3) throw new ShapeError(`localResponseNorm: x must have rank ≥ 3 ([N, C, ...]), got ${formatShape(x)}`);
    if (!Number.isInteger(size) || size < 1) throw new ShapeError(`localResponseNorm: size must be a positive integer, got ${size}`);
    if (!Number.isInteger(before) || before < 0 || before >= size) {
      throw new ShapeError(`localResponseNorm: the window must start 0..${size - 1} channels before c, got ${before}`);
    }
    for (const [what, v] of [['alpha', alpha], ['beta', beta], ['k', k]] as const) {
      if (typeof v !== 'number' || Number.isNaN(v)) throw new ShapeError(`localResponseNorm: ${what} must be a number, got ${String(v)}`);
    }
    return [x];
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
};

/**
 * Records shaders/norm/lrn.wgsl's `main` (bindings [x, y]) or `grad` (bindings [x, dx, dy], for
 * localResponseNormGrad.ts): one invocation per element of x.
 */
export function recordLrn(kr: KernelRecorder, entryPoint: 'main' | 'grad', bindings: readonly GpuArg[], { size, alpha, beta, k, before }: LocalResponseNormAttrs): void {
  const x = bindings[0];
  const count = sizeOf(x.shape);
  kr.dispatch({
    shader: lrnShader,
    entryPoint,
    uniforms: uniforms()
      .u32(count, x.shape[1], sizeOf(x.shape.slice(2)), before, size - 1 - before)
      .f32(alpha / size, beta, k)
      .bytes(),
    bindings,
    workgroups: grid(count, 256),
  });
}

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
