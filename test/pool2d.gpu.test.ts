// Pooling on WebGPU against the CPU reference: max/avg windows (padding forms, ceil mode,
// countIncludePad, dilation), global pooling (both kernels), adaptive average pooling, and a
// compiled model with every pooling layer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import * as nn from '../src/index';
import type { AvgPool2dOptions, MaxPool2dOptions } from '../src/ops/pool/pool2d';
import type { PaddingOption, PairOption } from '../src/ops/window';
import type { Tensor } from '../src/tensor';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, expectValues, Random, twinTensors } from './helpers';
import { AVG_POOLED, MAX_POOLED } from './lecture';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

describe('pooling (WebGPU vs CPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  /** The same data on both backends. */
  const pair = (rng: Random, shape: number[], lo = -1, hi = 1) => twinTensors(rng, shape, gpu, lo, hi);

  it("the lecture's examples: 2×2 max of 0..8 is 4 5 / 7 8, the average 2 3 / 5 6", async () => {
    const x = gpu.tensor(range(9), [1, 1, 3, 3]);
    expectValues(await gpu.ops.maxPool2d(x, { kernelSize: 2, stride: 1 }).data(), MAX_POOLED);
    expectValues(await gpu.ops.avgPool2d(x, { kernelSize: 2, stride: 1 }).data(), AVG_POOLED);
  });

  it('max and avg over random shapes, strides, paddings, dilations, ceil mode and countIncludePad', async () => {
    const rng = new Random(21);
    let compared = 0;
    for (let trial = 0; trial < 40; trial++) {
      const shape = [rng.int(1, 3), rng.int(1, 4), rng.int(1, 13), rng.int(1, 13)];
      const kernelSize: PairOption = [rng.int(1, 4), rng.int(1, 4)];
      // Strides up to 5, so often larger than the kernel (windows skip cells).
      const stride: PairOption = [rng.int(1, 5), rng.int(1, 5)];
      const dilation: PairOption = [rng.int(1, 2), rng.int(1, 3)];
      const paddings: PaddingOption[] = [0, 1, [rng.int(0, 2), rng.int(0, 2)], [rng.int(0, 2), rng.int(0, 1), rng.int(0, 2), rng.int(0, 3)], 'same'];
      const padding = paddings[rng.int(0, paddings.length - 1)];
      const ceilMode = rng.next() < 0.5;
      const max: MaxPool2dOptions = { kernelSize, stride, padding, dilation, ceilMode };
      const avg: AvgPool2dOptions = { ...max, countIncludePad: rng.next() < 0.5 };
      const what = `x [${shape}] ${JSON.stringify(avg)}`;
      const [xc, xg] = pair(rng, shape);
      let maxRef: Tensor;
      try {
        maxRef = cpu.ops.maxPool2d(xc, max);
      } catch (e) {
        if (e instanceof nn.ShapeError) continue; // kernel larger than the padded input: drawn again
        throw e;
      }
      const maxGot = gpu.ops.maxPool2d(xg, max);
      expect(maxGot.shape, what).toEqual(maxRef.shape);
      expectClose(await maxGot.data(), await maxRef.data(), `max ${what}`);
      expectClose(await gpu.ops.avgPool2d(xg, avg).data(), await cpu.ops.avgPool2d(xc, avg).data(), `avg ${what}`);
      compared++;
    }
    expect(compared).toBeGreaterThan(25);
  });

  it("ceil mode's last window, with and without countIncludePad", async () => {
    const rng = new Random(22);
    // 4×4, kernel 3, stride 2, padding 1: the last window covers a real row, a padding row and one past it.
    // 2×2, kernel 3, stride 3, padding 1: a window that would start in the trailing padding is dropped.
    for (const [shape, opts] of [
      [[1, 2, 4, 4], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
      [[2, 1, 2, 2], { kernelSize: 3, stride: 3, padding: 1, ceilMode: true }],
      [[1, 3, 9, 10], { kernelSize: 2, stride: 3, ceilMode: true }],
      [[1, 1, 7, 7], { kernelSize: [3, 2], stride: [2, 4], padding: [1, 0, 1, 0], ceilMode: true }],
    ] as [number[], AvgPool2dOptions][]) {
      const [xc, xg] = pair(rng, shape, 0, 1);
      for (const countIncludePad of [true, false]) {
        const o = { ...opts, countIncludePad };
        const ref = cpu.ops.avgPool2d(xc, o);
        const got = gpu.ops.avgPool2d(xg, o);
        expect(got.shape).toEqual(ref.shape);
        expectClose(await got.data(), await ref.data(), `avg [${shape}] ${JSON.stringify(o)}`);
      }
      expectClose(await gpu.ops.maxPool2d(xg, opts).data(), await cpu.ops.maxPool2d(xc, opts).data(), `max [${shape}]`);
    }
  });

  it('windows that hold only padding give −∞ (max) and 0 or NaN (avg), as on the CPU', async () => {
    const rng = new Random(23);
    const [xc, xg] = pair(rng, [1, 2, 3, 3]);
    const opts = { kernelSize: 2, stride: 2, padding: 2 };
    const maxGot = await gpu.ops.maxPool2d(xg, opts).data();
    expect(maxGot[0]).toBe(-Infinity);
    expectClose(maxGot, await cpu.ops.maxPool2d(xc, opts).data(), 'max');
    for (const countIncludePad of [true, false]) {
      const o = { ...opts, countIncludePad };
      expectClose(await gpu.ops.avgPool2d(xg, o).data(), await cpu.ops.avgPool2d(xc, o).data(), `avg countIncludePad ${countIncludePad}`);
    }
  });

  it('global pooling on ranks 3 to 5, small planes and large (the workgroup reductions)', async () => {
    const rng = new Random(25);
    // An invocation per plane below 256 positions, a workgroup of 64 from 256, of 256 from 4096.
    const small = [[2, 3, 7], [3, 5, 1], [1, 2048, 7, 7], [2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 4, 15, 17]];
    const large = [[1, 3, 16, 16], [1, 3, 40, 40], [2, 2, 4, 16, 17], [1, 1, 1500], [2, 8, 112, 112], [1, 2, 4096]];
    for (const shape of [...small, ...large]) {
      const [xc, xg] = pair(rng, shape, -5, 5);
      for (const op of ['globalAvgPool2d', 'globalMaxPool2d'] as const) {
        const ref = cpu.ops[op](xc);
        const got = gpu.ops[op](xg);
        expect(got.shape).toEqual(ref.shape);
        expectClose(await got.data(), await ref.data(), `${op} [${shape}]`);
      }
    }
  });

  it('adaptive average pooling: uneven and overlapping bins, output larger than the input', async () => {
    const rng = new Random(26);
    for (const [shape, size] of [
      [[2, 3, 10, 10], 7],
      [[1, 2, 13, 13], [6, 6]],
      [[1, 4, 7, 7], 7],
      [[1, 1, 3, 5], [5, 2]],
      [[2, 2, 14, 9], [7, 3]],
      [[1, 3, 2, 3], [5, 7]],
      [[3, 2, 11, 6], 1],
    ] as [number[], number | [number, number]][]) {
      const [xc, xg] = pair(rng, shape);
      const ref = cpu.ops.adaptiveAvgPool2d(xc, size);
      const got = gpu.ops.adaptiveAvgPool2d(xg, size);
      expect(got.shape).toEqual(ref.shape);
      expectClose(await got.data(), await ref.data(), `[${shape}] -> ${JSON.stringify(size)}`);
    }
  });

  it('an empty batch gives an empty tensor', async () => {
    const x = gpu.tensor(new Float32Array(0), [0, 3, 6, 6]);
    expect(gpu.ops.maxPool2d(x, { kernelSize: 2 }).shape).toEqual([0, 3, 3, 3]);
    expect(await gpu.ops.globalAvgPool2d(x).data()).toHaveLength(0);
    expect(await gpu.ops.adaptiveAvgPool2d(x, 2).data()).toHaveLength(0);
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
