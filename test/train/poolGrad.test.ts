// The pooling gradients (maxPool2dGrad, avgPool2dGrad, adaptiveAvgPool2dGrad) on the CPU against
// central finite differences of float64 poolings, over random shapes and every option; ties and
// the global poolings by hand.
import { describe, expect, it } from 'vitest';
import * as nn from '../../src/index';
import { adaptiveAvgPool2dGradOp } from '../../src/ops/pool/adaptiveAvgPool2dGrad';
import { avgPool2dGradOp } from '../../src/ops/pool/avgPool2dGrad';
import { maxPool2dGradOp } from '../../src/ops/pool/maxPool2dGrad';
import type { PoolGradWindowAttrs } from '../../src/ops/pool/poolGradShapes';
import { paddingAttr, resolveWindow, type PaddingOption } from '../../src/ops/window';
import { cpu, expectClose, Random } from '../helpers';
import { numericGrad, randomValues } from './gradCheck';

type Shape4 = [number, number, number, number];

/** Float64 max or average pooling, tap by tap (padding cells: skipped by max, counted by avg when countIncludePad). */
function poolOracle(mode: 'max' | 'avg', xShape: Shape4, attrs: PoolGradWindowAttrs, countIncludePad: boolean) {
  const [N, C, H, W] = xShape;
  const { pads, output, stride, dilation, kernel } = resolveWindow('oracle', xShape, attrs.kernel, attrs, attrs.ceilMode);
  const [OH, OW] = output;
  return ([x]: Float64Array[]) => {
    const y = new Float64Array(N * C * OH * OW);
    for (let plane = 0; plane < N * C; plane++)
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let max = -Infinity;
          let sum = 0;
          let real = 0;
          let padded = 0;
          for (let ky = 0; ky < kernel[0]; ky++)
            for (let kx = 0; kx < kernel[1]; kx++) {
              const iy = oy * stride[0] + ky * dilation[0] - pads[0];
              const ix = ox * stride[1] + kx * dilation[1] - pads[1];
              if (iy >= -pads[0] && iy < H + pads[2] && ix >= -pads[1] && ix < W + pads[3]) padded++;
              if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
              const v = x[(plane * H + iy) * W + ix];
              max = Math.max(max, v);
              sum += v;
              real++;
            }
          // A window wholly in the padding is a constant (−∞ for max): 0 here, as it has no gradient.
          y[(plane * OH + oy) * OW + ox] = real === 0 ? 0 : mode === 'max' ? max : sum / (countIncludePad ? padded : real);
        }
    return y;
  };
}

function randomPool(rng: Random): { xShape: Shape4; attrs: PoolGradWindowAttrs; yShape: Shape4 } {
  for (;;) {
    const xShape: Shape4 = [rng.int(1, 2), rng.int(1, 3), rng.int(1, 8), rng.int(1, 8)];
    const kernel: [number, number] = [rng.int(1, 3), rng.int(1, 3)];
    const paddings: PaddingOption[] = [0, 1, [rng.int(0, 1), rng.int(0, 1)], [rng.int(0, 1), rng.int(0, 1), rng.int(0, 2), rng.int(0, 1)], 'same'];
    const attrs: PoolGradWindowAttrs = {
      kernel,
      stride: [rng.int(1, 3), rng.int(1, 3)],
      padding: paddingAttr(paddings[rng.int(0, paddings.length - 1)], 'padding'),
      dilation: [rng.int(1, 2), rng.int(1, 2)],
      ceilMode: rng.next() < 0.5,
    };
    try {
      const { output } = resolveWindow('draw', xShape, kernel, attrs, attrs.ceilMode);
      return { xShape, attrs, yShape: [xShape[0], xShape[1], output[0], output[1]] };
    } catch (e) {
      if (!(e instanceof nn.ShapeError)) throw e;
    }
  }
}

describe('pooling gradients (CPU) against finite differences', () => {
  it('max and avg over random shapes, strides, paddings, dilations, ceil mode and countIncludePad', async () => {
    const rng = new Random(82);
    for (let trial = 0; trial < 60; trial++) {
      const { xShape, attrs, yShape } = randomPool(rng);
      const countIncludePad = rng.next() < 0.5;
      const what = `x [${xShape}] ${JSON.stringify({ ...attrs, countIncludePad })}`;
      // Distinct values spaced well beyond the step, so no window has a tie for its maximum.
      const x = randomValues(rng, xShape);
      const dy = randomValues(rng, yShape);
      const dyT = cpu.tensor(Float32Array.from(dy), yShape);

      const [dxMax] = cpu.runOp(maxPool2dGradOp, [cpu.tensor(Float32Array.from(x), xShape), dyT], attrs);
      expectClose(await dxMax.data(), numericGrad(poolOracle('max', xShape, attrs, false), [x], dy, 0, 1e-6), `max ${what}`);

      const [dxAvg] = cpu.runOp(avgPool2dGradOp, [dyT], { ...attrs, countIncludePad, inputShape: xShape });
      expect(dxAvg.shape).toEqual(xShape);
      expectClose(await dxAvg.data(), numericGrad(poolOracle('avg', xShape, attrs, countIncludePad), [x], dy, 0), `avg ${what}`);
    }
  });

  it('max: the first maximum of a window takes the gradient (PyTorch), overlapping windows add up', async () => {
    const x = cpu.tensor([1, 3, 3, 0, 3, 3, 2, 2, 2], [1, 1, 3, 3]);
    const dy = cpu.tensor([10, 20, 30, 40], [1, 1, 2, 2]);
    const attrs: PoolGradWindowAttrs = { kernel: [2, 2], stride: [1, 1], padding: [0, 0, 0, 0], dilation: [1, 1], ceilMode: false };
    const [dx] = cpu.runOp(maxPool2dGradOp, [x, dy], attrs);
    // Windows: {1,3,0,3} max first at (0,1); {3,3,3,3} at (0,1); {0,3,2,2} at (1,1); {3,3,2,2} at (1,1).
    expect(Array.from(await dx.data())).toEqual([0, 30, 0, 0, 70, 0, 0, 0, 0]);
  });

  it('max: a window of −∞ gives its first cell the gradient, a NaN takes it from the numbers', async () => {
    const x = cpu.tensor([-Infinity, -Infinity, 1, NaN], [1, 1, 2, 2]);
    const attrs: PoolGradWindowAttrs = { kernel: [1, 2], stride: [1, 2], padding: [0, 0, 0, 0], dilation: [1, 1], ceilMode: false };
    const [dx] = cpu.runOp(maxPool2dGradOp, [x, cpu.tensor([5, 7], [1, 1, 2, 1])], attrs);
    expect(Array.from(await dx.data())).toEqual([5, 0, 0, 7]);
  });

  it('adaptive average pooling (overlapping and uneven bins) and global average pooling as its 1×1 case', async () => {
    const rng = new Random(83);
    for (const [xShape, out] of [
      [[2, 3, 7, 5], [3, 2]],
      [[1, 2, 4, 6], [4, 6]],
      [[1, 1, 5, 5], [7, 3]],
      [[2, 2, 3, 4], [1, 1]],
    ] as [Shape4, [number, number]][]) {
      const [N, C, H, W] = xShape;
      const [OH, OW] = out;
      const f = ([x]: Float64Array[]) => {
        const y = new Float64Array(N * C * OH * OW);
        for (let p = 0; p < N * C; p++)
          for (let oy = 0; oy < OH; oy++)
            for (let ox = 0; ox < OW; ox++) {
              const [y0, y1] = [Math.floor((oy * H) / OH), Math.ceil(((oy + 1) * H) / OH)];
              const [x0, x1] = [Math.floor((ox * W) / OW), Math.ceil(((ox + 1) * W) / OW)];
              let sum = 0;
              for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) sum += x[(p * H + iy) * W + ix];
              y[(p * OH + oy) * OW + ox] = sum / ((y1 - y0) * (x1 - x0));
            }
        return y;
      };
      const x = randomValues(rng, xShape);
      const dy = randomValues(rng, [N, C, OH, OW]);
      const [dx] = cpu.runOp(adaptiveAvgPool2dGradOp, [cpu.tensor(Float32Array.from(dy), [N, C, OH, OW])], { inputShape: xShape });
      expectClose(await dx.data(), numericGrad(f, [x], dy, 0), `adaptive x [${xShape}] -> [${out}]`);
    }
  });

  it('mismatched shapes are ShapeErrors naming the op', () => {
    const attrs: PoolGradWindowAttrs = { kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0], dilation: [1, 1], ceilMode: false };
    expect(() => cpu.runOp(maxPool2dGradOp, [cpu.zeros([1, 1, 4, 4]), cpu.zeros([1, 1, 3, 2])], attrs)).toThrow(/maxPool2dGrad: dy must have the pooling's output shape \[1, 1, 2, 2\]/);
    expect(() => cpu.runOp(avgPool2dGradOp, [cpu.zeros([1, 1, 2, 2])], { ...attrs, countIncludePad: true, inputShape: [1, 1, 4] as never })).toThrow(
      /avgPool2dGrad: inputShape must be four/,
    );
    expect(() => cpu.runOp(adaptiveAvgPool2dGradOp, [cpu.zeros([1, 2, 2, 2])], { inputShape: [1, 1, 4, 4] })).toThrow(/adaptiveAvgPool2dGrad: dy must be/);
  });
});
