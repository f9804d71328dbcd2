import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import * as nn from '../src/index';
import { conv2d } from '../src/ops/conv/conv2d';
import type { Tensor } from '../src/tensor';
import { createGpuBackend } from './gpu';
import { CROSS_CORRELATION, PADDED, STRIDED, VOLUME_BIASES, VOLUME_FILTERS, VOLUME_INPUT, VOLUME_OUTPUT } from './lecture';
import { cpu, expectClose, expectValues, Random } from './helpers';

// Shapes, options, fused activations and the tiled kernels against the CPU: test/ops/cases.ts.
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('lecture worked examples on the GPU', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('3×3 input 0..8 with the 2×2 kernel [[0, 1], [2, 3]], plain, padded and strided', async () => {
    const x = gpu.tensor(range(9), [1, 1, 3, 3]);
    const k = gpu.tensor([0, 1, 2, 3], [1, 1, 2, 2]);
    expectValues(await conv2d(gpu, x, k).data(), CROSS_CORRELATION);
    expectValues(await conv2d(gpu, x, k, null, { padding: 1 }).data(), PADDED);
    expectValues(await conv2d(gpu, x, k, null, { stride: [3, 2], padding: 1 }).data(), STRIDED);
  });

  it('7×7×3 padded input, two 3×3×3 filters with biases 1 and 0, stride 2', async () => {
    const y = conv2d(gpu, gpu.tensor(VOLUME_INPUT, [1, 3, 7, 7]), gpu.tensor(VOLUME_FILTERS, [2, 3, 3, 3]), gpu.tensor(VOLUME_BIASES, [2]), { stride: 2 });
    expect(y.shape).toEqual([1, 2, 3, 3]);
    expectValues(await y.data(), VOLUME_OUTPUT);
  });
});

describe('conv2d in a compiled graph (WebGPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('conv → batchNorm → relu (BatchNorm folded, relu fused) equals the eager CPU ops', async () => {
    const model = nn.sequential([nn.layers.conv2d(3, 8, 3, { padding: 1 }), nn.layers.batchNorm2d(8), nn.layers.relu()], { inputShape: [3, 9, 9] });
    const rng = new Random(9);
    // Non-trivial BatchNorm statistics, so that folding changes the convolution's weights.
    for (const [name, p] of model.namedParameters()) {
      if (name.startsWith('1.')) p.assign(name.endsWith('running_var') ? rng.fill(8, 0.5, 2) : rng.fill(8, -0.5, 0.5));
    }
    const xData = rng.fill(2 * 3 * 9 * 9, -1, 1);
    const session = await nn.compile(model, gpu);
    try {
      const got = (await session.run(gpu.tensor(xData, [2, 3, 9, 9]))) as Tensor;
      const state = model.stateDict();
      const p = (name: string) => cpu.tensor(state.get(name)!.data, state.get(name)!.shape as number[]);
      const y = cpu.ops.conv2d(cpu.tensor(xData, [2, 3, 9, 9]), p('0.weight'), p('0.bias'), { padding: 1 });
      const bn = { weight: p('1.weight'), bias: p('1.bias'), runningMean: p('1.running_mean'), runningVar: p('1.running_var') };
      const want = cpu.ops.relu(cpu.ops.batchNorm2d(y, bn));
      expect(got.shape).toEqual([2, 8, 9, 9]);
      expectClose(await got.data(), await want.data(), 'conv-bn-relu graph');
    } finally {
      session.dispose();
    }
  });
});
