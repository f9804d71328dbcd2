import { afterAll, beforeAll, describe, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random } from './helpers';

describe('activations (WebGPU vs CPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('every activation on random data', async () => {
    const rng = new Random(1);
    for (const n of [1, 7, 1000, 70000]) {
      const data = rng.fill(n, -30, 30);
      const xc = cpu.tensor(data, [n]);
      const xg = gpu.tensor(data, [n]);
      for (const name of ['relu', 'sigmoid', 'tanh'] as const) {
        expectClose(await gpu.ops[name](xg).data(), await cpu.ops[name](xc).data(), `${name} n=${n}`);
      }
      expectClose(await gpu.ops.leakyRelu(xg, { negativeSlope: 0.2 }).data(), await cpu.ops.leakyRelu(xc, { negativeSlope: 0.2 }).data(), 'leakyRelu');
      expectClose(await gpu.ops.clip(xg, { min: -1 }).data(), await cpu.ops.clip(xc, { min: -1 }).data(), 'clip');
    }
  });
});
