// Concats written in place (graph/plan.ts, PlanOptions.writesSlice): on WebGPU the convolutions
// that produce a channel concat's inputs write straight into their slices of its output. The
// plans that do and the plans that copy (planOptions emptied) give the same outputs as the CPU,
// with fewer dispatches; images of a batch land apart (batchStride) on every convolution kernel.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import type { PlanOptions } from '../src/graph/plan';
import type { SymbolicTensor } from '../src/graph/tracer';
import * as nn from '../src/index';
import { Module, type ForwardContext } from '../src/layers/module';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random } from './helpers';

const L = nn.layers;

/** Runs `model` on `gpu` for x (shape `shape`) once with the backend's plans and once with concats copied. */
async function inPlaceAndCopied(gpu: WebGpuBackend, model: nn.Module, shape: number[], data: Float32Array) {
  const results: { out: Float32Array; dispatches: number }[] = [];
  const planOptions = gpu.planOptions;
  for (const options of [planOptions, {}]) {
    (gpu as { planOptions: PlanOptions }).planOptions = options;
    try {
      const session = await nn.compile(model, gpu, { inputShape: shape });
      const exe = await session.executableFor([shape]);
      const y = (await session.run(gpu.tensor(data, shape))) as nn.Tensor;
      results.push({ out: await y.data(), dispatches: exe.stats.dispatches ?? -1 });
      session.dispose();
    } finally {
      (gpu as { planOptions: PlanOptions }).planOptions = planOptions;
    }
  }
  const reference = await nn.compile(model, cpu, { inputShape: shape });
  const want = await ((await reference.run(cpu.tensor(data, shape))) as nn.Tensor).data();
  return { inPlace: results[0], copied: results[1], want };
}

/**
 * Branches on each convolution kernel, concatenated along channels: a 1×1 (the GEMM) with ReLU,
 * a 3×3 of 8 channels (register blocks), a depthwise 3×3, a 1×1 with a residual (the GEMM's copy,
 * image by image into the slice), and a 3×3 of 16 channels (im2col + GEMM on a software adapter)
 * with a 1×1's output as its residual; then a 3×3 over the concat reads it as one tensor.
 */
class Branches extends Module {
  readonly type = 'Branches';
  readonly a = this.addModule('a', L.conv2d(4, 4, 1));
  readonly b = this.addModule('b', L.conv2d(4, 8, 3, { padding: 1 }));
  readonly c = this.addModule('c', L.conv2d(4, 4, 3, { padding: 1, groups: 4 }));
  readonly d = this.addModule('d', L.conv2d(4, 4, 1));
  readonly e = this.addModule('e', L.conv2d(4, 16, 3, { padding: 1 }));
  readonly f = this.addModule('f', L.conv2d(4, 16, 1));
  readonly head = this.addModule('head', L.conv2d(36, 3, 3, { padding: 1 }));

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    const e = ctx.ops.add(ctx.call(this.e, x), ctx.call(this.f, x));
    const joined = ctx.ops.concat([ctx.ops.relu(ctx.call(this.a, x)), ctx.call(this.b, x), ctx.call(this.c, x), ctx.ops.add(ctx.call(this.d, x), x), e], { dim: 1 });
    return ctx.call(this.head, joined);
  }
}

describe('concats written in place on WebGPU', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('a branch on each convolution kernel, batch 3, with NaN and ±∞: the outputs of the copying plan and the CPU, 5 dispatches fewer', async () => {
    const model = new Branches();
    // 8×8 pixels: every slice starts at a multiple of 4 channels · 64 pixels · 4 bytes = 1 KiB.
    const shape = [3, 4, 8, 8];
    const data = new Random(4).fill(3 * 4 * 64);
    data[5] = NaN;
    data[256 + 64 + 9] = Infinity;
    data[2 * 256 + 3 * 64 + 63] = -Infinity;
    const { inPlace, copied, want } = await inPlaceAndCopied(gpu, model, shape, data);
    expectClose(inPlace.out, want, 'in place vs CPU');
    expectClose(copied.out, want, 'copied vs CPU');
    expect(want.some(Number.isNaN)).toBe(true);
    expect(inPlace.dispatches).toBe(copied.dispatches - 5);
  });

  it('slices at offsets no storage binding may have (5×5 pixels: 400 bytes) are copied as before', async () => {
    const shape = [2, 4, 5, 5];
    const { inPlace, copied, want } = await inPlaceAndCopied(gpu, new Branches(), shape, new Random(6).fill(2 * 4 * 25));
    expectClose(inPlace.out, want, 'unaligned vs CPU');
    expect(inPlace.dispatches).toBe(copied.dispatches);
  });

  it('GoogLeNet at 64 px, batch 2 (a batch of 1 copies slices with copyBufferToBuffer, not dispatches): every inception block in place, the CPU outputs, 4 dispatches fewer per block', async () => {
    const model = nn.models.googlenet({ inputSize: 64, numClasses: 16, seed: 1 });
    const shape = [2, 3, 64, 64];
    const { inPlace, copied, want } = await inPlaceAndCopied(gpu, model, shape, new Random(5).fill(2 * 3 * 64 * 64));
    expectClose(inPlace.out, want, 'GoogLeNet in place vs CPU');
    expectClose(copied.out, want, 'GoogLeNet copied vs CPU');
    expect(inPlace.dispatches).toBe(copied.dispatches - 9 * 4);
    console.log(`GoogLeNet 64 px batch 2: ${inPlace.dispatches} dispatches with concats in place, ${copied.dispatches} copying`);
  }, 120_000);
});
