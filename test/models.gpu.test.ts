// nn.models on WebGPU: compiled models give the CPU's outputs within DESIGN's tolerance
// (|gpu − cpu| ≤ 1e-4 + 1e-3·max|cpu|). In npm test: ResNet-18 and VGG-11 at 224×224, and every
// row of the zoo registry (src/models/registry.ts) at its reduced size with batch 1 and 2. With FULL=1 (npm run test:full) every model
// also runs at its full input size.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as nn from '../src';
import type { Module } from '../src';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { ZOO } from '../src/models/registry';
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
  for (const name of ['resnet18()', 'vgg11()']) {
    const entry = ZOO.find((e) => e.name === name)!;
    test(`${name}, [${entry.input}]`, { timeout: 600_000 }, async () => {
      await expectGpuMatchesCpu(name, entry.build(), [...entry.input]);
    });
  }
});

describe('WebGPU equals CPU at reduced sizes, batch 1 and 2', () => {
  // Every row of the zoo registry, at the smallest input its pooling allows (recurrent models: 6 steps).
  for (const entry of ZOO) {
    // Image inputs are [N, …]; recurrent ones [T, N, I] with one-hot rows of I classes.
    const sequence = entry.kind === 'sequence';
    const withBatch = (n: number) => entry.reduced.input.map((d, k) => (k === (sequence ? 1 : 0) ? n : d));
    test(entry.name, async () => {
      const model = entry.build(entry.reduced.options);
      const oneHot = sequence ? entry.reduced.input[2] : undefined;
      await expectGpuMatchesCpu(`${entry.name}, batch 1`, model, withBatch(1), oneHot);
      await expectGpuMatchesCpu(`${entry.name}, batch 2`, model, withBatch(2), oneHot);
    });
  }
});

// Minutes on a software adapter: only with FULL=1 (npm run test:full).
if (FULL) {
  describe('WebGPU equals CPU at full size (FULL=1)', () => {
    // Every other row of the registry at its default input.
    for (const entry of ZOO.filter((e) => e.name !== 'resnet18()' && e.name !== 'vgg11()')) {
      test(entry.name, { timeout: 600_000 }, async () => {
        await expectGpuMatchesCpu(entry.name, entry.build(), [...entry.input], entry.kind === 'sequence' ? entry.input[2] : undefined);
      });
    }
  });
}
