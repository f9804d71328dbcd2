// batchNorm2d at inference: a per-channel affine map from the running statistics. Channels are
// dim 1 and everything after it is elementwise, so [N, C], [N, C, L], [N, C, H, W] and
// [N, C, D, H, W] all work (BatchNorm1d/2d/3d in eval mode).
import batchNormWgsl from '../../../shaders/norm/batch_norm.wgsl?raw';
import { grid, uniforms } from '../kernel.js';
import { ShapeError } from '../../errors.js';
import { formatShape, sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';

/**
 * Positions of the op's inputs. The graph pass that folds BatchNorm into the preceding
 * convolution reads weight, bias, runningMean and runningVar from these same slots.
 */
export const batchNormInputs = { x: 0, weight: 1, bias: 2, runningMean: 3, runningVar: 4 } as const;

export interface BatchNormAttrs {
  readonly eps: number;
}

export interface BatchNorm2dOptions<T> {
  /** Per-channel scale γ [C]; absent means 1. */
  weight?: T | null;
  /** Per-channel shift β [C]; absent means 0. */
  bias?: T | null;
  /** Per-channel mean [C] used at inference. */
  runningMean: T;
  /** Per-channel variance [C] used at inference. */
  runningVar: T;
  /** Added to the variance (default 1e-5, as PyTorch). */
  eps?: number;
}

const batchNormShader = { label: 'batch_norm', code: batchNormWgsl };

export const batchNorm2dOp: OpDef<BatchNormAttrs> = {
  name: 'batchNorm2d',
  inferShapes(inputs, { eps }) {
    const x = inputs[batchNormInputs.x];
    if (!x || x.length < 2) throw new ShapeError(`batchNorm2d: x must have rank ≥ 2 ([N, C, ...]), got ${formatShape(x)}`);
    if (!(eps > 0 && eps < Infinity)) throw new ShapeError(`batchNorm2d: eps must be a positive number, got ${eps}`);
    const channels = x[1];
    for (const name of ['weight', 'bias', 'runningMean', 'runningVar'] as const) {
      const p = inputs[batchNormInputs[name]];
      const optional = name === 'weight' || name === 'bias';
      if (!p && optional) continue;
      if (!p || p.length !== 1 || p[0] !== channels) {
        throw new ShapeError(`batchNorm2d: ${name} must have shape [${channels}] for x ${formatShape(x)}, got ${formatShape(p)}`);
      }
    }
    return [x];
  },
  // x [N, C, ...], weight/bias/runningMean/runningVar [C] -> y [N, C, ...]
  cpu(inputs, [y], { eps }) {
    const x = inputs[batchNormInputs.x]!;
    const weight = inputs[batchNormInputs.weight];
    const bias = inputs[batchNormInputs.bias];
    const mean = inputs[batchNormInputs.runningMean]!.data;
    const variance = inputs[batchNormInputs.runningVar]!.data;
    const [batch, channels] = x.shape;
    const inner = sizeOf(x.shape.slice(2));
    let i = 0;
    for (let n = 0; n < batch; n++) {
      for (let c = 0; c < channels; c++) {
        const m = mean[c];
        const scale = (weight ? weight.data[c] : 1) / Math.sqrt(variance[c] + eps);
        const shift = bias ? bias.data[c] : 0;
        for (let j = 0; j < inner; j++, i++) y.data[i] = (x.data[i] - m) * scale + shift;
      }
    }
  },
  gpu(k, inputs, [y], { eps }) {
    const x = inputs[batchNormInputs.x]!;
    const weight = inputs[batchNormInputs.weight];
    const bias = inputs[batchNormInputs.bias];
    const mean = inputs[batchNormInputs.runningMean]!;
    const variance = inputs[batchNormInputs.runningVar]!;
    const count = sizeOf(x.shape);
    k.dispatch({
      shader: batchNormShader,
      constants: { HAS_WEIGHT: weight ? 1 : 0, HAS_BIAS: bias ? 1 : 0 },
      uniforms: uniforms().u32(count, x.shape[1], sizeOf(x.shape.slice(2))).f32(eps).bytes(),
      // An absent weight or bias binds the mean in its place; the shader does not read it.
      bindings: [x, weight ?? mean, bias ?? mean, mean, variance, y],
      workgroups: grid(count, 256),
    });
  },
};

type Shaped = { readonly shape: Shape };

/** y = (x − runningMean) / √(runningVar + eps) · weight + bias, per channel (dim 1). */
export function batchNorm2d<T extends Shaped>(r: OpRunner<T>, x: T, opts: BatchNorm2dOptions<T>): T {
  if (!opts || typeof opts !== 'object') {
    throw new ShapeError('batchNorm2d: options { runningMean, runningVar, weight?, bias?, eps? } are required');
  }
  const eps = opts.eps ?? 1e-5;
  if (typeof eps !== 'number') throw new ShapeError(`batchNorm2d: eps must be a positive number, got ${String(eps)}`);
  const inputs: (T | null)[] = [];
  inputs[batchNormInputs.x] = x;
  inputs[batchNormInputs.weight] = opts.weight ?? null;
  inputs[batchNormInputs.bias] = opts.bias ?? null;
  inputs[batchNormInputs.runningMean] = opts.runningMean ?? null;
  inputs[batchNormInputs.runningVar] = opts.runningVar ?? null;
  return r.runOp(batchNorm2dOp, inputs, { eps })[0];
}
