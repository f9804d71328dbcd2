// batchNorm2d in training mode, as PyTorch's BatchNorm1d/2d/3d.train(): each channel (dim 1) is
// normalised with the statistics of this batch (mean and biased variance over N and every
// position), and the running statistics for inference are updated in the same op:
//   runningMean ← (1 − momentum)·runningMean + momentum·mean
//   runningVar  ← (1 − momentum)·runningVar  + momentum·var·M/(M − 1)   (unbiased; M = N·positions)
// Outputs: y, the batch mean and 1/√(var + eps) (what batchNorm2dTrainGrad needs), and the new
// running mean and variance, which the caller writes back over the old ones.
// WebGPU: the statistics per channel (shaders/norm/batch_norm_stats.wgsl), then the inference
// op's normalising kernel with the batch mean and variance in place of the running ones.
import batchNormStatsWgsl from '../../../shaders/norm/batch_norm_stats.wgsl?raw';
import { ShapeError } from '../../errors.js';
import { formatShape, sizeOf } from '../../shape.js';
import { grid, uniforms } from '../kernel.js';
import type { OpDef } from '../op.js';
import { batchNorm2dOp, batchNormInputs } from './batchNorm2d.js';
import { batchNorm2dTrainGradOp, channelReductionWidth } from './batchNorm2dTrainGrad.js';

export interface BatchNorm2dTrainAttrs {
  /** Added to the variance (PyTorch: 1e-5). */
  readonly eps: number;
  /** Weight of the batch statistics in the running ones (PyTorch: 0.1). */
  readonly momentum: number;
}

/** The outputs' positions. */
export const batchNorm2dTrainOutputs = { y: 0, mean: 1, invstd: 2, runningMean: 3, runningVar: 4 } as const;

const name = 'batchNorm2dTrain';
const statsShader = { label: 'batch_norm_stats', code: batchNormStatsWgsl };


export const batchNorm2dTrainOp: OpDef<BatchNorm2dTrainAttrs> = {
  name,
  // Only y carries a gradient (the statistics are outputs for the backward op and the running
  // update). dweight and dbias come out of the backward op whether or not the layer is affine.
  grad(r, { inputs, outputs, dys, needs }) {
    const [x, weight] = [inputs[batchNormInputs.x], inputs[batchNormInputs.weight]];
    const { mean, invstd } = batchNorm2dTrainOutputs;
    const [dx, dweight, dbias] = r.runOp(batchNorm2dTrainGradOp, [dys[0]!, x, weight, outputs[mean], outputs[invstd]], {});
    return inputs.map((_, i) => (!needs[i] ? null : i === batchNormInputs.x ? dx : i === batchNormInputs.weight ? dweight : i === batchNormInputs.bias ? dbias : null));
  },
  // x [N, C, ...], weight/bias [C] | null, runningMean/runningVar [C]
  //   -> y [N, C, ...], mean [C], invstd [C], runningMean' [C], runningVar' [C]
  inferShapes(inputs, { eps, momentum }) {
    // The inference op checks x, the parameters and eps, with the same input slots.
    const [x] = batchNorm2dOp.inferShapes(inputs, { eps });
    if (!(momentum >= 0 && momentum <= 1)) throw new ShapeError(`${name}: momentum must be in [0, 1], got ${momentum}`);
    if (x[0] * sizeOf(x.slice(2)) < 2) {
      throw new ShapeError(`${name}: training needs more than one value per channel (N × positions ≥ 2), got x ${formatShape(x)}`);
    }
    const C = [x[1]];
    return [x, C, C, C, C];
  },
  cpu(inputs, outputs, { eps, momentum }) {
    const x = inputs[batchNormInputs.x]!;
    const weight = inputs[batchNormInputs.weight];
    const bias = inputs[batchNormInputs.bias];
    const [y, mean, invstd, runningMean, runningVar] = outputs;
    const [N, C] = x.shape;
    const inner = sizeOf(x.shape.slice(2));
    const count = N * inner;
    for (let c = 0; c < C; c++) {
      // Two passes in float64: the mean, then the squared deviations from it.
      let sum = 0;
      for (let n = 0; n < N; n++) for (let i = (n * C + c) * inner, end = i + inner; i < end; i++) sum += x.data[i];
      const m = sum / count;
      let sq = 0;
      for (let n = 0; n < N; n++) for (let i = (n * C + c) * inner, end = i + inner; i < end; i++) sq += (x.data[i] - m) ** 2;
      const variance = sq / count;
      const inv = 1 / Math.sqrt(variance + eps);
      const scale = (weight ? weight.data[c] : 1) * inv;
      const shift = bias ? bias.data[c] : 0;
      for (let n = 0; n < N; n++) for (let i = (n * C + c) * inner, end = i + inner; i < end; i++) y.data[i] = (x.data[i] - m) * scale + shift;
      mean.data[c] = m;
      invstd.data[c] = inv;
      runningMean.data[c] = (1 - momentum) * inputs[batchNormInputs.runningMean]!.data[c] + momentum * m;
      runningVar.data[c] = (1 - momentum) * inputs[batchNormInputs.runningVar]!.data[c] + (momentum * variance * count) / (count - 1);
    }
  },
  gpu(k, inputs, outputs, { eps, momentum }) {
    const x = inputs[batchNormInputs.x]!;
    const [y, mean, invstd, runningMean, runningVar] = outputs;
    const [N, C] = x.shape;
    const inner = sizeOf(x.shape.slice(2));
    const variance = { ...k.scratch(C * 4), shape: [C] };
    k.dispatch({
      shader: statsShader,
      constants: { REDUCE_WG: channelReductionWidth(k.softwareAdapter) },
      uniforms: uniforms().u32(C, inner, N * inner).f32(eps, momentum).bytes(),
      bindings: [x, inputs[batchNormInputs.runningMean]!, inputs[batchNormInputs.runningVar]!, mean, invstd, variance, runningMean, runningVar],
      workgroups: grid(C, 1),
    });
    const normalise: (typeof inputs[number])[] = [];
    normalise[batchNormInputs.x] = x;
    normalise[batchNormInputs.weight] = inputs[batchNormInputs.weight];
    normalise[batchNormInputs.bias] = inputs[batchNormInputs.bias];
    normalise[batchNormInputs.runningMean] = mean;
    normalise[batchNormInputs.runningVar] = variance;
    batchNorm2dOp.gpu!(k, normalise, [y], { eps });
  },
};
