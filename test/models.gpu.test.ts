// nn.models on WebGPU: compiled models give the CPU's outputs within DESIGN's tolerance
// (|gpu − cpu| ≤ 1e-4 + 1e-3·max|cpu|). In npm test: ResNet-18 and VGG-11 at 224×224, and every
// builder at a reduced size with batch 1 and 2. With FULL=1 (npm run test:full) every model
// also runs at its full input size.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as nn from '../src';
import type { Module } from '../src';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { sizeOf } from '../src/shape';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random } from './helpers';

const FULL = process.env.FULL === '1';

let gpu: WebGpuBackend;
beforeAll(async () => {
  gpu = await createGpuBackend();
});
afterAll(() => gpu?.dispose());

async function runOn(backend: nn.Backend, model: Module, x: Float32Array, shape: number[]): Promise<{ shape: readonly number[]; data: Float32Array }> {
  const session = await nn.compile(model, backend);
  try {
    const input = backend.tensor(x, shape);
    const y = await session.run(input);
    input.dispose();
    if (!(y instanceof nn.Tensor)) throw new Error('expected one output tensor');
    const data = await y.data();
    y.dispose();
    return { shape: y.shape, data };
  } finally {
    session.dispose();
  }
}

/** Runs `model` on x of `shape` (uniform in ±1, or one-hot rows of `oneHot` classes) on both backends. */
async function expectGpuMatchesCpu(name: string, model: Module, shape: number[], oneHot?: number): Promise<void> {
  const rng = new Random(11);
  const n = sizeOf(shape);
  let x = rng.fill(n, -1, 1);
  if (oneHot) {
    x = new Float32Array(n);
    for (let r = 0; r < n / oneHot; r++) x[r * oneHot + rng.int(0, oneHot - 1)] = 1;
  }
  const ref = await runOn(cpu, model, x, shape);
  const got = await runOn(gpu, model, x, shape);
  expect(got.shape).toEqual(ref.shape);
  expect(ref.data.every(Number.isFinite), `${name}: finite CPU outputs`).toBe(true);
  expectClose(got.data, ref.data, name);
}

// Full-size runs take a minute or two on the SwiftShader adapter (VGG-11: 7.6 GMACs).
describe('WebGPU equals CPU at full size', () => {
  test('ResNet-18, 3×224×224, batch 1', { timeout: 600_000 }, async () => {
    await expectGpuMatchesCpu('resnet18', nn.models.resnet18(), [1, 3, 224, 224]);
  });

  test('VGG-11, 3×224×224, batch 1', { timeout: 600_000 }, async () => {
    await expectGpuMatchesCpu('vgg11', nn.models.vgg11(), [1, 3, 224, 224]);
  });
});

describe('WebGPU equals CPU at reduced sizes, batch 1 and 2', () => {
  // Every builder, at the smallest input its pooling allows (recurrent models: 6 steps).
  const cases: [string, () => Module, number[], number?][] = [
    ['lenet', () => nn.models.lenet(), [1, 28, 28]],
    ['lenet relu/max', () => nn.models.lenet({ activation: 'relu', pooling: 'max' }), [1, 28, 28]],
    ['lenet5', () => nn.models.lenet5(), [1, 32, 32]],
    ['alexnet', () => nn.models.alexnet({ inputSize: 63, numClasses: 10 }), [3, 63, 63]],
    ['alexnet lecture', () => nn.models.alexnet({ variant: 'lecture', inputSize: 65 }), [1, 65, 65]],
    ['vgg11', () => nn.models.vgg11({ inputSize: 32, numClasses: 10 }), [3, 32, 32]],
    ['vgg13 batchNorm', () => nn.models.vgg13({ inputSize: 32, numClasses: 10, batchNorm: true }), [3, 32, 32]],
    ['vgg16', () => nn.models.vgg16({ inputSize: 32, numClasses: 10 }), [3, 32, 32]],
    ['vgg19', () => nn.models.vgg19({ inputSize: 32, numClasses: 10 }), [3, 32, 32]],
    ['vgg A-LRN', () => nn.models.vgg({ config: 'A-LRN', inputSize: 32, numClasses: 10 }), [3, 32, 32]],
    ['vgg C', () => nn.models.vgg({ config: 'C', inputSize: 32, numClasses: 10 }), [3, 32, 32]],
    ['nin', () => nn.models.nin({ inputSize: 67 }), [1, 67, 67]],
    ['googlenet', () => nn.models.googlenet({ inputSize: 48, numClasses: 10 }), [3, 48, 48]],
    ['googlenet batchNorm', () => nn.models.googlenet({ inputSize: 32, numClasses: 10, batchNorm: true }), [3, 32, 32]],
    ['resnet18', () => nn.models.resnet18({ inputSize: 32, numClasses: 10 }), [3, 32, 32]],
    ['resnet34', () => nn.models.resnet34({ inputSize: 32, numClasses: 10 }), [3, 32, 32]],
    ['resnet50', () => nn.models.resnet50({ inputSize: 32, numClasses: 10 }), [3, 32, 32]],
    ['resnet101 v1', () => nn.models.resnet101({ inputSize: 32, numClasses: 10, variant: 'v1' }), [3, 32, 32]],
    ['resnet152', () => nn.models.resnet152({ inputSize: 32, numClasses: 10 }), [3, 32, 32]],
    ['rnn', () => nn.models.rnn(), [6, 0, 28], 28],
    ['lstm', () => nn.models.lstm({ numLayers: 2, bidirectional: true }), [6, 0, 28], 28],
    ['gru', () => nn.models.gru(), [6, 0, 28], 28],
  ];
  for (const [name, build, sample, oneHot] of cases) {
    // Image inputs are [N, …sample]; recurrent ones [T, N, I] (the 0 marks where N goes).
    const withBatch = (n: number) => (oneHot ? sample.map((d) => d || n) : [n, ...sample]);
    test(name, async () => {
      const model = build();
      await expectGpuMatchesCpu(`${name}, batch 1`, model, withBatch(1), oneHot);
      await expectGpuMatchesCpu(`${name}, batch 2`, model, withBatch(2), oneHot);
    });
  }
});

// Minutes on a software adapter: only with FULL=1 (npm run test:full).
if (FULL) {
  describe('WebGPU equals CPU at full size (FULL=1)', () => {
    const cases: [string, () => Module, number[], number?][] = [
      ['lenet', () => nn.models.lenet(), [1, 1, 28, 28]],
      ['lenet5', () => nn.models.lenet5(), [1, 1, 32, 32]],
      ['alexnet', () => nn.models.alexnet(), [1, 3, 224, 224]],
      ['alexnet lecture', () => nn.models.alexnet({ variant: 'lecture' }), [1, 1, 224, 224]],
      ['vgg11 batchNorm', () => nn.models.vgg11({ batchNorm: true }), [1, 3, 224, 224]],
      ['vgg13', () => nn.models.vgg13(), [1, 3, 224, 224]],
      ['vgg16', () => nn.models.vgg16(), [1, 3, 224, 224]],
      ['vgg19', () => nn.models.vgg19(), [1, 3, 224, 224]],
      ['vgg C', () => nn.models.vgg({ config: 'C' }), [1, 3, 224, 224]],
      ['vgg A-LRN', () => nn.models.vgg({ config: 'A-LRN' }), [1, 3, 224, 224]],
      ['nin', () => nn.models.nin(), [1, 1, 224, 224]],
      ['googlenet', () => nn.models.googlenet(), [1, 3, 224, 224]],
      ['googlenet batchNorm', () => nn.models.googlenet({ batchNorm: true }), [1, 3, 224, 224]],
      ['resnet34', () => nn.models.resnet34(), [1, 3, 224, 224]],
      ['resnet50', () => nn.models.resnet50(), [1, 3, 224, 224]],
      ['resnet50 v1', () => nn.models.resnet50({ variant: 'v1' }), [1, 3, 224, 224]],
      ['resnet101', () => nn.models.resnet101(), [1, 3, 224, 224]],
      ['resnet152', () => nn.models.resnet152(), [1, 3, 224, 224]],
      ['rnn', () => nn.models.rnn(), [35, 1, 28], 28],
      ['lstm', () => nn.models.lstm(), [35, 1, 28], 28],
      ['gru', () => nn.models.gru(), [35, 1, 28], 28],
    ];
    for (const [name, build, shape, oneHot] of cases) {
      test(name, { timeout: 600_000 }, async () => {
        await expectGpuMatchesCpu(name, build(), shape, oneHot);
      });
    }
  });
}
