// Softmax on WebGPU: a hand-worked line of large values. BatchNorm (inference), local response
// normalisation and softmax / logSoftmax over shapes and options against the CPU: test/ops/cases.ts.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { createGpuBackend } from './gpu';
import { expectClose } from './helpers';

describe('softmax (WebGPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('[10000, 10000, −10000] gives [0.5, 0.5, 0] (no overflow)', async () => {
    const y = await gpu.ops.softmax(gpu.tensor([10000, 10000, -10000], [3])).data();
    expectClose(y, [0.5, 0.5, 0]);
  });
});
