// conv2d through im2col + the shared GEMM (src/ops/conv/conv2dGpu.ts), the kernel a software adapter
// gives one-group convolutions with ≥ 16 output channels. Its shapes, chunks, residuals and fused
// activations against the CPU: test/ops/cases.ts; here, which convolutions take it and NaN/±∞.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { chooseConvKernel, convChoice, convGeometry } from '../src/ops/conv/conv2dGpu';
import { conv2dAttrs, type Conv2dOptions } from '../src/ops/conv/conv2d';
import { createGpuBackend } from './gpu';
import { cpu, expectClose } from './helpers';

const geometry = (x: number[], w: number[], o: Conv2dOptions = {}) => convGeometry(x, w, conv2dAttrs(o));

describe('the conv kernel table', () => {
  it('sends one-group convolutions with ≥ 16 output channels to im2col + GEMM on a software adapter, and only there', () => {
    const resnet = geometry([1, 64, 56, 56], [64, 64, 3, 3], { padding: 1 });
    expect(chooseConvKernel(resnet, true).name).toBe('im2col + gemm');
    expect(chooseConvKernel(geometry([1, 3, 224, 224], [64, 3, 7, 7], { stride: 2, padding: 3 }), true).name).toBe('im2col + gemm');
    expect(chooseConvKernel(geometry([1, 64, 56, 56], [128, 64, 1, 1], { stride: 2 }), true).name).toBe('im2col + gemm');
    expect(chooseConvKernel(geometry([1, 64, 56, 56], [128, 64, 1, 1]), true).name).toBe('gemm 1×1');
    expect(chooseConvKernel(geometry([1, 6, 14, 14], [8, 6, 5, 5]), true).kind).toBe('register'); // few channels
    expect(chooseConvKernel(geometry([1, 32, 56, 56], [32, 1, 3, 3], { padding: 1, groups: 32 }), true).kind).toBe('depthwise'); // its own kernel (depthwiseConv2dGpu.ts)
    expect(chooseConvKernel(geometry([1, 32, 56, 56], [64, 16, 3, 3], { padding: 1, groups: 2 }), true).kind).toBe('register');
    expect(chooseConvKernel(resnet, false).kind).toBe('tiled');
    // A tuning candidate wherever it applies, on either adapter; never for grouped convolutions.
    expect(convChoice(resnet, false).candidates.map((c) => c.name)).toContain('im2col + gemm');
    expect(convChoice(geometry([1, 32, 8, 8], [32, 1, 3, 3], { groups: 32 }), true).candidates.map((c) => c.name)).not.toContain('im2col + gemm');
  });
});

describe('im2col + GEMM on WebGPU', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('propagates NaN and ±∞ as the CPU does, through the padding and the GEMM (∞·0 = NaN)', async () => {
    const x = new Float32Array(2 * 3 * 9 * 7).map((_, i) => (i % 11 === 4 ? [NaN, Infinity, -Infinity][(i / 11) % 3 | 0] : Math.sin(i * 1.3)));
    const w = new Float32Array(16 * 3 * 3 * 3).map((_, i) => (i % 9 === 5 ? 0 : Math.cos(i)));
    w[40] = Infinity;
    const b = new Float32Array(16).map((_, i) => i / 8 - 1);
    const options: Conv2dOptions = { stride: [2, 1], padding: 1 };
    const run = async (backend: typeof cpu | WebGpuBackend) =>
      backend.ops.conv2d(backend.tensor(x, [2, 3, 9, 7]), backend.tensor(w, [16, 3, 3, 3]), backend.tensor(b, [16]), options).data();
    const want = await run(cpu);
    expect(want.some(Number.isNaN) && want.some((v) => v === Infinity)).toBe(true);
    expectClose(await run(gpu), want, 'conv2d through im2col');
  });
});
