import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NNError } from '../src/errors';
import type { OpDef } from '../src/ops/op';
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

  // Regression: a kernel WebGPU rejects must not come back as zeros (found with a WGSL typo).
  it('raises the errors WebGPU reports for eager work at data(), once', async () => {
    const broken: OpDef<null> = {
      name: 'broken',
      inferShapes: ([x]) => [x!],
      cpu: () => {},
      gpu: (k, [x], [y]) =>
        k.dispatch({ shader: { label: 'broken', code: 'fn main( {' }, bindings: [x!, y], workgroups: [1, 1, 1] }),
    };
    const x = gpu.tensor([1, 2, 3], [3]);
    const [y] = gpu.runOp(broken, [x], null);
    await expect(y.data()).rejects.toThrow(NNError);
    expect(Array.from(await gpu.ops.relu(x).data())).toEqual([1, 2, 3]);
  });
});
