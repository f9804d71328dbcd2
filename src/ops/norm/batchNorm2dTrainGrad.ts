// The gradient of batchNorm2dTrain (batch statistics). With x̂ = (x − mean)·invstd over the M =
// N·positions values of a channel:
//   dbias = Σ dy,   dweight = Σ dy·x̂,   dx = weight·invstd·(dy − dbias/M − x̂·dweight/M)
// (the mean and variance depend on x, hence the two subtracted terms). dweight and dbias are
// produced even when the layer has no affine parameters (weight null means 1).
// WebGPU: the two sums per channel, then dx elementwise (shaders/norm/batch_norm_grad.wgsl).
import batchNormGradWgsl from '../../../shaders/norm/batch_norm_grad.wgsl?raw';
import { ShapeError } from '../../errors.js';
import { formatShape, sizeOf } from '../../shape.js';
import { grid, uniforms, type GpuArg, type KernelRecorder } from '../kernel.js';
import type { OpDef } from '../op.js';

/**
 * Invocations per channel for the per-channel sums of the training BatchNorm kernels: 256 on a
 * GPU; 64 on a software adapter, where each barrier step costs more than the arithmetic it
 * spreads (as for global pooling, globalPool2d.ts).
 */
export const channelReductionWidth = (software: boolean): number => (software ? 64 : 256);

/** The inputs' positions. */
export const batchNorm2dTrainGradInputs = { dy: 0, x: 1, weight: 2, mean: 3, invstd: 4 } as const;

const name = 'batchNorm2dTrainGrad';
const gradShader = { label: 'batch_norm_grad', code: batchNormGradWgsl };

/** The uniform block of batch_norm_grad.wgsl for x [N, C, ...]. */
function gradUniforms(shape: readonly number[]): ArrayBuffer {
  const [N, C] = shape;
  const inner = sizeOf(shape.slice(2));
  return uniforms().u32(C, inner, N * inner, N * C * inner).bytes();
}

/**
 * db[c] = the sum of dy[n, c, ...] over n and the positions: batch_norm_grad.wgsl's channel sums
 * without the x̂ term (reduceSum over all axes but the channels: conv2d's bias gradient). The
 * unused bindings take dy, and dweight a 4-byte scratch.
 */
export function recordChannelSums(k: KernelRecorder, dy: GpuArg, db: GpuArg): void {
  k.dispatch({
    shader: gradShader,
    entryPoint: 'grad_sums',
    constants: { REDUCE_WG: channelReductionWidth(k.softwareAdapter), SUM_ONLY: 1 },
    uniforms: gradUniforms(dy.shape),
    bindings: [dy, dy, dy, dy, db, k.scratch(4)],
    workgroups: grid(dy.shape[1], 1),
  });
}

export const batchNorm2dTrainGradOp: OpDef<Record<string, never>> = {
  name,
  // dy, x [N, C, ...], weight [C] | null, mean, invstd [C] (batchNorm2dTrain's outputs)
  //   -> dx [N, C, ...], dweight [C], dbias [C]
  inferShapes([dy, x, weight, mean, invstd]) {
    if (!x || x.length < 2) throw new ShapeError(`${name}: x must have rank ≥ 2 ([N, C, ...]), got ${formatShape(x)}`);
    if (!dy || dy.length !== x.length || dy.some((d, i) => d !== x[i])) {
      throw new ShapeError(`${name}: dy must have x's shape ${formatShape(x)}, got ${formatShape(dy)}`);
    }
    const C = x[1];
    for (const [what, p, optional] of [['weight', weight, true], ['mean', mean, false], ['invstd', invstd, false]] as const) {
      if (!p && optional) continue;
      if (!p || p.length !== 1 || p[0] !== C) throw new ShapeError(`${name}: ${what} must have shape [${C}] for x ${formatShape(x)}, got ${formatShape(p)}`);
    }
    return [x, [C], [C]];
  },
  cpu([dy, x, weight, mean, invstd], [dx, dweight, dbias]) {
    const [N, C] = x!.shape;
    const inner = sizeOf(x!.shape.slice(2));
    const count = N * inner;
    for (let c = 0; c < C; c++) {
      const m = mean!.data[c];
      const inv = invstd!.data[c];
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let n = 0; n < N; n++) {
        for (let i = (n * C + c) * inner, end = i + inner; i < end; i++) {
          sumDy += dy!.data[i];
          sumDyXhat += dy!.data[i] * (x!.data[i] - m) * inv;
        }
      }
      const scale = (weight ? weight.data[c] : 1) * inv;
      for (let n = 0; n < N; n++) {
        for (let i = (n * C + c) * inner, end = i + inner; i < end; i++) {
          const xhat = (x!.data[i] - m) * inv;
          dx.data[i] = scale * (dy!.data[i] - sumDy / count - (xhat * sumDyXhat) / count);
        }
      }
      dweight.data[c] = sumDyXhat;
      dbias.data[c] = sumDy;
    }
  },
  gpu(k, [dy, x, weight, mean, invstd], [dx, dweight, dbias]) {
    const block = gradUniforms(x!.shape);
    k.dispatch({
      shader: gradShader,
      entryPoint: 'grad_sums',
      constants: { REDUCE_WG: channelReductionWidth(k.softwareAdapter), SUM_ONLY: 0 },
      uniforms: block,
      bindings: [dy!, x!, mean!, invstd!, dbias, dweight],
      workgroups: grid(x!.shape[1], 1),
    });
    const total = sizeOf(x!.shape);
    k.dispatch({
      shader: gradShader,
      entryPoint: 'grad_input',
      constants: { HAS_WEIGHT: weight ? 1 : 0 },
      uniforms: block,
      // Without a weight its binding takes the mean, which the shader then does not read.
      bindings: [dy!, x!, mean!, invstd!, dbias, dweight, weight ?? mean!, dx],
      workgroups: grid(total, 256),
    });
  },
};
