// Pooling on WebGPU: the lecture's examples and a compiled model with every pooling layer. The
// windows (padding forms, ceil mode, countIncludePad, dilation), global pooling (both kernels)
// and adaptive pooling against the CPU: test/ops/cases.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import * as nn from '../src/index';
import type { Tensor } from '../src/tensor';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, expectValues, Random } from './helpers';
import { AVG_POOLED, MAX_POOLED } from './lecture';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('pooling (WebGPU vs CPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it("the lecture's examples: 2×2 max of 0..8 is 4 5 / 7 8, the average 2 3 / 5 6", async () => {
    const x = gpu.tensor(range(9), [1, 1, 3, 3]);
    expectValues(await gpu.ops.maxPool2d(x, { kernelSize: 2, stride: 1 }).data(), MAX_POOLED);
    expectValues(await gpu.ops.avgPool2d(x, { kernelSize: 2, stride: 1 }).data(), AVG_POOLED);
  });

  it('a compiled model (max, avg, adaptive pooling, flatten, softmax) equals eager CPU', async () => {
    const model = nn.sequential(
      [
        nn.layers.maxPool2d(3, { stride: 2, padding: 1, ceilMode: true }),
        nn.layers.avgPool2d(2, { countIncludePad: false, padding: 1 }),
        nn.layers.adaptiveAvgPool2d([3, 2]),
        nn.layers.flatten(),
        nn.layers.softmax(),
      ],
      { inputShape: [4, 15, 13] },
    );
    const rng = new Random(27);
    const data = rng.fill(2 * 4 * 15 * 13, -3, 3);
    const shape = [2, 4, 15, 13];
    const xc = cpu.tensor(data, shape);
    let ref = cpu.ops.maxPool2d(xc, { kernelSize: 3, stride: 2, padding: 1, ceilMode: true });
    ref = cpu.ops.avgPool2d(ref, { kernelSize: 2, countIncludePad: false, padding: 1 });
    ref = cpu.ops.softmax(cpu.ops.flatten(cpu.ops.adaptiveAvgPool2d(ref, [3, 2])));
    const session = await nn.compile(model, gpu);
    try {
      for (let run = 0; run < 2; run++) {
        const y = (await session.run(gpu.tensor(data, shape))) as Tensor;
        expect(y.shape).toEqual([2, 24]);
        expectClose(await y.data(), await ref.data(), `run ${run}`);
        y.dispose();
      }
    } finally {
      session.dispose();
    }
  });
});
