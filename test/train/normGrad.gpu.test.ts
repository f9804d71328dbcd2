// Training-mode BatchNorm, its gradient and LRN's gradient on WebGPU against the CPU reference,
// with the software adapter's reduction widths and (tuning 'gpu') the GPU's.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { WebGpuBackend } from '../../src/backends/webgpu/webgpuBackend';
import { batchNorm2dTrainOp } from '../../src/ops/norm/batchNorm2dTrain';
import { batchNorm2dTrainGradOp } from '../../src/ops/norm/batchNorm2dTrainGrad';
import { localResponseNormAttrs } from '../../src/ops/norm/localResponseNorm';
import { localResponseNormGradOp } from '../../src/ops/norm/localResponseNormGrad';
import type { Tensor } from '../../src/tensor';
import { createGpuBackend } from '../gpu';
import { cpu, expectClose, Random, twinTensors } from '../helpers';

describe.each(['auto', 'gpu'] as const)('normalisation gradients (WebGPU, tuning %s) vs CPU', (tuning) => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend({ tuning });
  });
  afterAll(() => gpu?.dispose());

  it('batchNorm2dTrain and batchNorm2dTrainGrad, ranks 2–5, with and without affine parameters', async () => {
    const rng = new Random(96);
    for (const shape of [[7, 3], [2, 4, 9], [4, 6, 9, 9], [2, 3, 2, 3, 4], [3, 2, 17, 17]]) {
      const affine = shape.length !== 3;
      const C = shape[1];
      const [xC, xG] = twinTensors(rng, shape, gpu, -2, 3);
      const [dyC, dyG] = twinTensors(rng, shape, gpu);
      const [wC, wG] = affine ? twinTensors(rng, [C], gpu) : [null, null];
      const [bC, bG] = affine ? twinTensors(rng, [C], gpu) : [null, null];
      const [rmC, rmG] = twinTensors(rng, [C], gpu);
      const [rvC, rvG] = twinTensors(rng, [C], gpu, 0.5, 2);
      const attrs = { eps: 1e-5, momentum: 0.1 };
      const want = cpu.runOp(batchNorm2dTrainOp, [xC, wC, bC, rmC, rvC], attrs);
      const got = gpu.runOp(batchNorm2dTrainOp, [xG, wG, bG, rmG, rvG], attrs);
      const names = ['y', 'mean', 'invstd', 'runningMean', 'runningVar'];
      for (let i = 0; i < 5; i++) expectClose(await got[i].data(), await want[i].data(), `${names[i]} x [${shape}]`);
      const gradWant = cpu.runOp(batchNorm2dTrainGradOp, [dyC, xC, wC, want[1], want[2]], {});
      const gradGot = gpu.runOp(batchNorm2dTrainGradOp, [dyG, xG, wG, got[1], got[2]], {});
      for (const [i, what] of ['dx', 'dweight', 'dbias'].entries()) {
        expectClose(await (gradGot[i] as Tensor).data(), await gradWant[i].data(), `${what} x [${shape}] affine ${affine}`);
      }
    }
  });

  it('localResponseNormGrad, odd and even windows, ranks 3–5', async () => {
    const rng = new Random(97);
    for (const [shape, opts, placement] of [
      [[2, 7, 5], { size: 5 }, 'pytorch'],
      [[1, 6, 3, 4], { size: 4, alpha: 0.5, beta: 0.6, k: 2 }, 'pytorch'],
      [[1, 6, 3, 4], { size: 2, alpha: 0.3, beta: 0.75, k: 1 }, 'onnx'],
      [[2, 3, 2, 2, 3], { size: 3, alpha: 1, beta: 1.5, k: 0.5 }, 'pytorch'],
    ] as [number[], Parameters<typeof localResponseNormAttrs>[0], 'pytorch' | 'onnx'][]) {
      const attrs = localResponseNormAttrs(opts, placement);
      const [xC, xG] = twinTensors(rng, shape, gpu, -2, 2);
      const [dyC, dyG] = twinTensors(rng, shape, gpu);
      const [want] = cpu.runOp(localResponseNormGradOp, [xC, dyC], attrs);
      const [got] = gpu.runOp(localResponseNormGradOp, [xG, dyG], attrs);
      expectClose(await got.data(), await want.data(), `x [${shape}] ${JSON.stringify(attrs)}`);
    }
  });
});
