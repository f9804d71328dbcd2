import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import { adaptiveAvgPool2d } from '../src/ops/pool/adaptiveAvgPool2d';
import { globalAvgPool2d, globalMaxPool2d } from '../src/ops/pool/globalPool2d';
import { avgPool2d, maxPool2d, pool2dOp, type AvgPool2dOptions, type MaxPool2dOptions } from '../src/ops/pool/pool2d';
import type { Tensor } from '../src/tensor';
import { cpu, expectClose, expectValues, Random, randomTensor } from './helpers';
import { AVG_POOLED, MAX_POOLED } from './lecture';

const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);
const view = (t: Tensor) => cpu.view(t);

describe('lecture worked examples', () => {
  const x = cpu.tensor(range(9), [1, 1, 3, 3]);

  it('2×2 max pooling of 0..8 with stride 1 gives 4 5 / 7 8', async () => {
    const y = maxPool2d(cpu, x, { kernelSize: 2, stride: 1 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expectValues(await y.data(), MAX_POOLED);
  });

  it('2×2 average pooling of 0..8 with stride 1 gives 2 3 / 5 6', async () => {
    const y = avgPool2d(cpu, x, { kernelSize: 2, stride: 1 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expectValues(await y.data(), AVG_POOLED);
  });

  it('pools each channel on its own: as many output channels as input channels', async () => {
    const y = maxPool2d(cpu, cpu.tensor([...range(9), ...range(9, 100)], [1, 2, 3, 3]), { kernelSize: 2, stride: 1 });
    expect(y.shape).toEqual([1, 2, 2, 2]);
    expectValues(await y.data(), [4, 5, 7, 8, 104, 105, 107, 108]);
  });
});

// Random windows, global pooling over ranks 3-5 and adaptive bins: test/ops/cases.ts (src/ops/pool/poolOracle.ts).
describe('maxPool2d and avgPool2d (CPU)', () => {
  const rng = new Random(11);
  // 1..16 as 4×4
  const x16 = cpu.tensor(range(16, 1), [1, 1, 4, 4]);

  it('stride defaults to the kernel size', async () => {
    const y = maxPool2d(cpu, x16, { kernelSize: 2 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expectValues(await y.data(), [6, 8, 14, 16]);
    expectValues(await avgPool2d(cpu, x16, { kernelSize: [2, 4] }).data(), [4.5, 12.5]);
  });

  it('ceilMode keeps the partial last window; the average divides by the cells it covers', async () => {
    const x = cpu.tensor(range(9, 1), [1, 1, 3, 3]);
    expect(avgPool2d(cpu, x, { kernelSize: 2 }).shape).toEqual([1, 1, 1, 1]);
    const avg = avgPool2d(cpu, x, { kernelSize: 2, ceilMode: true });
    expect(avg.shape).toEqual([1, 1, 2, 2]);
    // windows {1,2,4,5}, {3,6}, {7,8}, {9}: the overhang past the input is not counted even with countIncludePad
    expectValues(await avg.data(), [3, 4.5, 7.5, 9]);
    expectValues(await maxPool2d(cpu, x, { kernelSize: 2, ceilMode: true }).data(), [5, 6, 8, 9]);
  });

  it('countIncludePad counts padding cells but not the ceil-mode overhang past the padding', async () => {
    // 4×4, kernel 3, stride 2, padding 1, ceil mode: 3×3 outputs; the last window covers rows 3 (real),
    // 4 (padding) and 5 (past the padded input).
    const opts: AvgPool2dOptions = { kernelSize: 3, stride: 2, padding: 1, ceilMode: true };
    const incl = avgPool2d(cpu, x16, opts);
    const excl = avgPool2d(cpu, x16, { ...opts, countIncludePad: false });
    expect(incl.shape).toEqual([1, 1, 3, 3]);
    const a = await incl.data();
    const b = await excl.data();
    // corner (0, 0): cells 1, 2, 5, 6 (sum 14) under a 3×3 window, 5 of them padding
    expect(a[0]).toBeCloseTo(14 / 9, 6);
    expect(b[0]).toBeCloseTo(14 / 4, 6);
    // centre (1, 1): rows 1..3, cols 1..3, all real: 6+7+8 + 10+11+12 + 14+15+16 = 99
    expect(a[4]).toBeCloseTo(11, 6);
    expect(b[4]).toBeCloseTo(11, 6);
    // corner (2, 2): cell 16 and padding, in a 2×2 part of the padded input (the rest is overhang)
    expect(a[8]).toBeCloseTo(16 / 4, 6);
    expect(b[8]).toBeCloseTo(16, 6);
  });

  it('ceilMode drops a last window that would start in the trailing padding', () => {
    const shape = (opts: MaxPool2dOptions, hw: [number, number]) => maxPool2d(cpu, cpu.zeros([1, 1, ...hw]), opts).shape;
    // ONNX averagepool_2d_ceil_last_window_starts_on_pad: 2×2, kernel 3, stride 3, padding 1 -> 1×1, not 2×2
    expect(shape({ kernelSize: 3, stride: 3, padding: 1, ceilMode: true }, [2, 2])).toEqual([1, 1, 1, 1]);
    // ONNX maxpool_2d_ceil_output_size_reduce_by_one: 2×2, kernel 1, stride 2 -> 1×1
    expect(shape({ kernelSize: 1, stride: 2, ceilMode: true }, [2, 2])).toEqual([1, 1, 1, 1]);
    expect(shape({ kernelSize: 3, stride: 2, ceilMode: true }, [4, 4])).toEqual([1, 1, 2, 2]);
    expect(shape({ kernelSize: 3, stride: 2 }, [4, 4])).toEqual([1, 1, 1, 1]);
  });

  it('max ignores padding: an all-negative input keeps its values at the border', async () => {
    const x = cpu.tensor(range(4, -8), [1, 1, 2, 2]); // -8 -7 / -6 -5
    expectValues(await maxPool2d(cpu, x, { kernelSize: 2, stride: 1, padding: 1 }).data(), [-8, -7, -7, -6, -5, -5, -6, -5, -5]);
  });

  it('max propagates NaN', async () => {
    const y = maxPool2d(cpu, cpu.tensor([1, NaN, 3, 4], [1, 1, 2, 2]), { kernelSize: 2 });
    expect(Number.isNaN((await y.data())[0])).toBe(true);
  });

  it("'same' gives ceil(n / stride) with the extra padding at the bottom/right; 'valid' is no padding", () => {
    const x = randomTensor(rng, [2, 3, 7, 8]);
    const same = maxPool2d(cpu, x, { kernelSize: 2, stride: 1, padding: 'same' });
    expect(same.shape).toEqual([2, 3, 7, 8]);
    expectValues(view(same), Array.from(view(maxPool2d(cpu, x, { kernelSize: 2, stride: 1, padding: [0, 0, 1, 1] }))));
    expect(avgPool2d(cpu, x, { kernelSize: 3, stride: 2, padding: 'same' }).shape).toEqual([2, 3, 4, 4]);
    expectValues(view(avgPool2d(cpu, x, { kernelSize: 3, padding: 'valid' })), Array.from(view(avgPool2d(cpu, x, { kernelSize: 3 }))));
  });

  it('an empty batch gives an empty tensor', () => {
    expect(maxPool2d(cpu, cpu.zeros([0, 3, 6, 6]), { kernelSize: 2 }).shape).toEqual([0, 3, 3, 3]);
    expect(avgPool2d(cpu, cpu.zeros([2, 0, 6, 6]), { kernelSize: 3, stride: 1 }).shape).toEqual([2, 0, 4, 4]);
  });

  it('has no MAC count (not a convolution or a dense layer)', () => {
    expect(pool2dOp.macs).toBeUndefined();
  });

  describe('rejects bad shapes and options with a ShapeError', () => {
    const x = cpu.zeros([1, 2, 5, 5]);
    const cases: [string, () => unknown][] = [
      ['stride 0', () => maxPool2d(cpu, x, { kernelSize: 2, stride: 0 })],
      ['negative stride', () => avgPool2d(cpu, x, { kernelSize: 2, stride: [-1, 1] })],
      ['kernel size 0', () => maxPool2d(cpu, x, { kernelSize: 0 })],
      ['non-integer kernel size', () => maxPool2d(cpu, x, { kernelSize: 2.5 })],
      ['missing kernel size', () => maxPool2d(cpu, x, {} as MaxPool2dOptions)],
      ['missing options', () => avgPool2d(cpu, x, undefined as unknown as AvgPool2dOptions)],
      ['dilation 0', () => maxPool2d(cpu, x, { kernelSize: 2, dilation: 0 })],
      ['kernel larger than the padded input', () => maxPool2d(cpu, x, { kernelSize: 6 })],
      ['dilated kernel larger than the padded input', () => avgPool2d(cpu, x, { kernelSize: 3, dilation: 3 })],
      ['negative padding', () => avgPool2d(cpu, x, { kernelSize: 2, padding: -1 })],
      ['padding of three numbers', () => maxPool2d(cpu, x, { kernelSize: 2, padding: [1, 1, 1] as unknown as number })],
      ['padding by an unknown name', () => maxPool2d(cpu, x, { kernelSize: 2, padding: 'full' as 'same' })],
      ['ceilMode not a boolean', () => maxPool2d(cpu, x, { kernelSize: 2, ceilMode: 1 as unknown as boolean })],
      ['countIncludePad not a boolean', () => avgPool2d(cpu, x, { kernelSize: 2, countIncludePad: 'yes' as unknown as boolean })],
      ['x of rank 3', () => maxPool2d(cpu, cpu.zeros([2, 5, 5]), { kernelSize: 2 })],
      ['x of rank 5', () => avgPool2d(cpu, cpu.zeros([1, 1, 2, 5, 5]), { kernelSize: 2 })],
    ];
    for (const [what, call] of cases) {
      it(what, () => {
        expect(call).toThrow(ShapeError);
        expect(call).toThrow(/maxPool2d|avgPool2d/);
      });
    }
  });
});

describe('globalAvgPool2d and globalMaxPool2d (CPU)', () => {
  it('reduce every spatial position of each (sample, channel) to one value', async () => {
    const x = cpu.tensor([...range(6), ...range(6, -10)], [1, 2, 2, 3]);
    const avg = globalAvgPool2d(cpu, x);
    expect(avg.shape).toEqual([1, 2, 1, 1]);
    expectValues(await avg.data(), [2.5, -7.5]);
    expectValues(await globalMaxPool2d(cpu, x).data(), [5, -5]);
  });

  it('an empty batch gives an empty tensor', () => {
    expect(globalAvgPool2d(cpu, cpu.zeros([0, 3, 4, 4])).shape).toEqual([0, 3, 1, 1]);
    expect(globalMaxPool2d(cpu, cpu.zeros([2, 0, 4, 4])).shape).toEqual([2, 0, 1, 1]);
  });

  it('reject a rank below 3 and empty spatial dims with a ShapeError', () => {
    expect(() => globalAvgPool2d(cpu, cpu.zeros([2, 3]))).toThrow(ShapeError);
    expect(() => globalMaxPool2d(cpu, cpu.zeros([2, 3, 0, 4]))).toThrow(/globalMaxPool2d/);
  });
});

describe('adaptiveAvgPool2d (CPU)', () => {
  const rng = new Random(13);

  it('a 7×7 target from 7×7 is the input itself, and 1×1 is the global average', async () => {
    const x = randomTensor(rng, [1, 3, 7, 7]);
    expectValues(view(adaptiveAvgPool2d(cpu, x, 7)), Array.from(view(x)));
    expectClose(view(adaptiveAvgPool2d(cpu, x, 1)), view(globalAvgPool2d(cpu, x)));
  });

  it('an empty batch gives an empty tensor', () => {
    expect(adaptiveAvgPool2d(cpu, cpu.zeros([0, 3, 9, 9]), [2, 3]).shape).toEqual([0, 3, 2, 3]);
  });

  it('rejects bad sizes and shapes with a ShapeError', () => {
    const x = cpu.zeros([1, 2, 5, 5]);
    for (const call of [
      () => adaptiveAvgPool2d(cpu, x, 0),
      () => adaptiveAvgPool2d(cpu, x, [2, -1]),
      () => adaptiveAvgPool2d(cpu, x, [1, 2, 3] as unknown as number),
      () => adaptiveAvgPool2d(cpu, x, 1.5),
      () => adaptiveAvgPool2d(cpu, cpu.zeros([2, 5, 5]), 2),
      () => adaptiveAvgPool2d(cpu, cpu.zeros([1, 2, 0, 5]), 2),
    ]) {
      expect(call).toThrow(ShapeError);
      expect(call).toThrow(/adaptiveAvgPool2d/);
    }
  });
});
