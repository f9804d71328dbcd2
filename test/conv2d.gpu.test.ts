import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import * as nn from '../src/index';
import type { Activation } from '../src/ops/elementwise/activation';
import { conv2d, conv2dAttrs, conv2dOp, type Conv2dOptions } from '../src/ops/conv/conv2d';
import type { Pads } from '../src/ops/window';
import type { Tensor } from '../src/tensor';
import { createGpuBackend } from './gpu';
import { CROSS_CORRELATION, PADDED, STRIDED, VOLUME_BIASES, VOLUME_FILTERS, VOLUME_INPUT, VOLUME_OUTPUT } from './lecture';
import { cpu, expectClose, expectValues, Random } from './helpers';

interface Case {
  x: number[];
  w: number[];
  bias?: boolean;
  opts: Conv2dOptions;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const describeCase = (c: Case) => `x [${c.x}] w [${c.w}] ${JSON.stringify(c.opts)}${c.bias === false ? ' no bias' : ''}`;

/** Runs one case on both backends (same data) and compares; `activation` goes straight into the attrs. */
async function check(gpu: WebGpuBackend, rng: Random, c: Case, activation?: Activation): Promise<void> {
  const xData = rng.fill(c.x.reduce((a, d) => a * d, 1), -1, 1);
  const wData = rng.fill(c.w.reduce((a, d) => a * d, 1), -1, 1);
  const bData = c.bias === false ? null : rng.fill(c.w[0], -1, 1);
  const run = (r: typeof cpu | WebGpuBackend) => {
    const b = bData ? r.tensor(bData, [c.w[0]]) : null;
    const attrs = { ...conv2dAttrs(c.opts), ...(activation ? { activation } : {}) };
    return r.runOp(conv2dOp, [r.tensor(xData, c.x), r.tensor(wData, c.w), b], attrs)[0] as Tensor;
  };
  const want = run(cpu);
  const got = run(gpu);
  expect(got.shape, describeCase(c)).toEqual(want.shape);
  expectClose(await got.data(), await want.data(), `${describeCase(c)} ${activation?.kind ?? ''}`);
}

describe('conv2d (WebGPU vs CPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('matches the CPU over shapes and options', async () => {
    const rng = new Random(11);
    const cases: Case[] = [
      { x: [1, 3, 9, 11], w: [4, 3, 3, 3], opts: { padding: 1 } },
      { x: [2, 5, 13, 7], w: [6, 5, 3, 3], opts: {} },
      { x: [1, 4, 10, 7], w: [6, 2, 3, 2], opts: { stride: [2, 1], padding: [0, 2, 1, 0], dilation: [1, 2], groups: 2 } },
      { x: [3, 6, 13, 13], w: [3, 2, 5, 5], opts: { stride: [3, 2], padding: 2, groups: 3 } },
      { x: [1, 5, 12, 17], w: [7, 5, 3, 3], opts: { padding: [2, 1, 0, 3], dilation: [2, 3] } },
      { x: [2, 8, 20, 20], w: [8, 1, 3, 3], opts: { padding: 1, groups: 8 } }, // depthwise
      { x: [1, 4, 9, 9], w: [12, 1, 3, 3], opts: { padding: 1, groups: 4 } }, // depthwise, multiplier 3
      { x: [1, 16, 11, 9], w: [5, 16, 1, 1], opts: {} }, // 1×1
      { x: [2, 9, 7, 5], w: [17, 9, 1, 1], bias: false, opts: {} }, // 1×1, no bias
      { x: [1, 3, 11, 11], w: [4, 3, 1, 1], opts: { stride: 2 } }, // 1×1, strided
      { x: [2, 6, 5, 9], w: [9, 2, 1, 1], opts: { groups: 3 } }, // 1×1, grouped
      { x: [1, 2, 4, 4], w: [3, 2, 4, 4], opts: {} }, // one output pixel
      { x: [1, 3, 17, 19], w: [5, 3, 2, 2], opts: { stride: 5 } }, // stride larger than the kernel
      { x: [1, 3, 10, 9], w: [4, 3, 4, 3], opts: { padding: 'same' } },
      { x: [2, 3, 11, 8], w: [9, 3, 3, 2], opts: { padding: 'same', stride: [2, 3], dilation: [2, 1] } },
      { x: [1, 20, 6, 30], w: [33, 20, 3, 3], bias: false, opts: { padding: [1, 0, 1, 2] } },
      { x: [1, 1, 28, 28], w: [6, 1, 5, 5], opts: { padding: 2 } }, // LeNet
      { x: [1, 6, 14, 14], w: [16, 6, 5, 5], opts: {} },
      { x: [1, 3, 23, 23], w: [8, 3, 7, 7], opts: { stride: 2, padding: 3 } },
    ];
    for (const c of cases) await check(gpu, rng, c);
  });

  it('matches the CPU on random shapes and options', async () => {
    const rng = new Random(5);
    const int = (lo: number, hi: number) => lo + Math.floor(rng.next() * (hi - lo + 1));
    for (let t = 0; t < 24; t++) {
      const groups = [1, 1, 2, 3][int(0, 3)];
      const C = groups * int(1, 4);
      const O = groups * int(1, 5);
      const kernel: [number, number] = [int(1, 4), int(1, 4)];
      const dilation: [number, number] = [int(1, 2), int(1, 2)];
      const stride: [number, number] = [int(1, 4), int(1, 4)];
      const pads: Pads = [int(0, 2), int(0, 2), int(0, 2), int(0, 2)];
      const padding = rng.next() < 0.2 ? 'same' : pads;
      const H = (kernel[0] - 1) * dilation[0] + 1 + int(0, 12);
      const W = (kernel[1] - 1) * dilation[1] + 1 + int(0, 12);
      await check(gpu, rng, { x: [int(1, 3), C, H, W], w: [O, C / groups, ...kernel], bias: rng.next() < 0.7, opts: { stride, padding, dilation, groups } });
    }
  });

  it('fuses every activation into the epilogue', async () => {
    const rng = new Random(3);
    const activations: Activation[] = [
      { kind: 'relu' },
      { kind: 'sigmoid' },
      { kind: 'tanh' },
      { kind: 'leakyRelu', negativeSlope: 0.1 },
      { kind: 'clip', min: -0.5, max: 0.75 },
      { kind: 'clip', min: -Infinity, max: 0.5 },
    ];
    for (const a of activations) await check(gpu, rng, { x: [2, 4, 9, 8], w: [6, 4, 3, 3], opts: { padding: 1 } }, a);
    // The other kernel shapes: depthwise (TM 1) and 1×1 (the shared GEMM's epilogue).
    await check(gpu, rng, { x: [1, 6, 7, 7], w: [6, 1, 3, 3], bias: false, opts: { groups: 6, padding: 'same' } }, activations[3]);
    await check(gpu, rng, { x: [1, 8, 5, 6], w: [4, 8, 1, 1], opts: {} }, activations[0]);
    await check(gpu, rng, { x: [1, 8, 5, 6], w: [4, 8, 1, 1], bias: false, opts: {} }, activations[4]);
  });

  it('an empty batch gives an empty output', async () => {
    const y = conv2d(gpu, gpu.tensor(new Float32Array(0), [0, 3, 5, 5]), gpu.tensor(new Float32Array(4 * 27), [4, 3, 3, 3]), null, { padding: 1 });
    expect(y.shape).toEqual([0, 4, 5, 5]);
    expect((await y.data()).length).toBe(0);
  });
});

describe('conv2d with the GPU tuning (workgroup-memory tiles) on this adapter', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend({ tuning: 'gpu' });
  });
  afterAll(() => gpu?.dispose());

  it('matches the CPU: partial tiles in channels, pixels and K, groups, batches, padding forms', async () => {
    const rng = new Random(21);
    const cases: Case[] = [
      { x: [1, 5, 9, 13], w: [40, 5, 3, 3], opts: { padding: 1 } }, // K 45: a partial K step
      { x: [2, 4, 7, 6], w: [66, 2, 3, 3], opts: { groups: 2, padding: [0, 2, 1, 0] } }, // 33 per group
      { x: [1, 3, 17, 15], w: [64, 3, 7, 7], bias: false, opts: { stride: 2, padding: 3 } },
      { x: [3, 6, 8, 9], w: [32, 6, 2, 3], opts: { padding: 'same', stride: [2, 3], dilation: [2, 1] } },
      { x: [1, 8, 12, 12], w: [130, 8, 3, 3], opts: { stride: 3 } }, // three channel tiles
    ];
    for (const c of cases) await check(gpu, rng, c);
    await check(gpu, rng, { x: [1, 4, 6, 6], w: [32, 4, 3, 3], opts: { padding: 1 } }, { kind: 'leakyRelu', negativeSlope: 0.2 });
  });
});

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
