// The depthwise kernel (shaders/conv/depthwise_conv2d.wgsl) beyond the op-case table's shapes:
// which geometries conv2dGpu.ts sends to it, and NaN/±∞ reaching exactly the outputs whose
// window covers them on both of its paths (3×3 rows written out, the shifted row).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { conv2dAttrs, type Conv2dOptions } from '../src/ops/conv/conv2d';
import { chooseConvKernel, convGeometry } from '../src/ops/conv/conv2dGpu';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random } from './helpers';

const CASES: { x: number[]; w: number[]; opts: Conv2dOptions; path: string }[] = [
  { x: [2, 3, 10, 13], w: [3, 1, 3, 3], opts: { padding: 1, groups: 3 }, path: '3×3 rows written out' },
  { x: [1, 2, 7, 9], w: [4, 1, 3, 3], opts: { padding: [0, 1, 2, 1], groups: 2 }, path: '3×3, multiplier 2, uneven padding' },
  { x: [1, 3, 9, 11], w: [3, 1, 2, 5], opts: { padding: 2, groups: 3 }, path: 'shifted row' },
  { x: [1, 3, 9, 11], w: [3, 1, 3, 3], opts: { stride: [2, 1], dilation: [2, 1], padding: 1, groups: 3 }, path: '3×3 strided between rows: shifted row' },
];

describe('depthwise conv2d on WebGPU', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('takes groups = C > 1 (any multiplier) with stride and dilation 1 along the rows on both tables, nothing else', () => {
    const kernel = (x: number[], w: number[], opts: Conv2dOptions, software: boolean) => chooseConvKernel(convGeometry(x, w, conv2dAttrs(opts)), software).kind;
    for (const software of [true, false]) {
      for (const c of CASES) expect(kernel(c.x, c.w, c.opts, software), c.path).toBe('depthwise');
      expect(kernel([1, 1, 28, 28], [6, 1, 5, 5], { padding: 2 }, software)).not.toBe('depthwise');
      expect(kernel([1, 4, 8, 8], [4, 2, 3, 3], { groups: 2 }, software)).not.toBe('depthwise');
      expect(kernel([1, 4, 8, 8], [4, 1, 3, 3], { groups: 4, stride: 2 }, software)).not.toBe('depthwise');
      expect(kernel([1, 4, 8, 8], [4, 1, 3, 3], { groups: 4, dilation: [1, 2] }, software)).not.toBe('depthwise');
    }
  });

  it.each(CASES)('NaN and ±∞ reach exactly the outputs they should ($path)', async ({ x, w, opts }) => {
    const rng = new Random(3);
    const xData = rng.fill(x.reduce((a, d) => a * d, 1));
    const wData = rng.fill(w.reduce((a, d) => a * d, 1));
    const bData = rng.fill(w[0]);
    const plane = x[2] * x[3];
    xData[x[3]] = NaN; // row 1, first column
    xData[plane + x[3] + 5] = Infinity; // channel 1, row 1
    xData[(x[1] - 1) * plane + x[3] * 3 + x[3] - 1] = -Infinity; // last channel, row 3, last column
    const run = (b: typeof cpu | WebGpuBackend) => b.ops.conv2d(b.tensor(xData, x), b.tensor(wData, w), b.tensor(bData, [w[0]]), opts).data();
    const want = await run(cpu);
    expect(want.some(Number.isNaN) && want.some((v) => v === Infinity || v === -Infinity)).toBe(true);
    expectClose(await run(gpu), want, 'depthwise with NaN and ±∞');
  });
});
