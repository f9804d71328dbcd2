// The convolution gradients (conv2dGradInput, conv2dGradWeight, conv2dGradBias) on the CPU against
// central finite differences of a float64 convolution, over random shapes and every option.
import { describe, expect, it } from 'vitest';
import * as nn from '../../src/index';
import { conv2dAttrs, conv2dGradBias, type Conv2dOptions } from '../../src/ops/conv/conv2d';
import { conv2dGradInputOp } from '../../src/ops/conv/conv2dGradInput';
import { conv2dGradWeightOp } from '../../src/ops/conv/conv2dGradWeight';
import type { ConvGradAttrs } from '../../src/ops/conv/convGradShapes';
import { resolveWindow, type PaddingOption } from '../../src/ops/window';
import { cpu, expectClose, Random } from '../helpers';
import { numericGrad, randomValues } from './gradCheck';

type Shape4 = [number, number, number, number];

/** Float64 convolution y = conv(x, w) + b, written out tap by tap. */
function convOracle(xShape: Shape4, wShape: Shape4, attrs: ConvGradAttrs) {
  const [N, C, H, W] = xShape;
  const [O, Cg, kh, kw] = wShape;
  const { pads, output, stride, dilation } = resolveWindow('oracle', xShape, [kh, kw], attrs);
  const [OH, OW] = output;
  const Og = O / attrs.groups;
  return ([x, w, b]: Float64Array[]) => {
    const y = new Float64Array(N * O * OH * OW);
    for (let n = 0; n < N; n++)
      for (let o = 0; o < O; o++)
        for (let oy = 0; oy < OH; oy++)
          for (let ox = 0; ox < OW; ox++) {
            let sum = b[o];
            for (let ci = 0; ci < Cg; ci++)
              for (let ky = 0; ky < kh; ky++)
                for (let kx = 0; kx < kw; kx++) {
                  const iy = oy * stride[0] + ky * dilation[0] - pads[0];
                  const ix = ox * stride[1] + kx * dilation[1] - pads[1];
                  if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                  const c = Math.floor(o / Og) * Cg + ci;
                  sum += x[((n * C + c) * H + iy) * W + ix] * w[((o * Cg + ci) * kh + ky) * kw + kx];
                }
            y[((n * O + o) * OH + oy) * OW + ox] = sum;
          }
    return y;
  };
}

/** A random convolution that fits its input (drawn again until the window fits). */
function randomConv(rng: Random): { xShape: Shape4; wShape: Shape4; opts: Conv2dOptions } {
  for (;;) {
    const groups = [1, 1, 2, 3][rng.int(0, 3)];
    const depthwise = rng.next() < 0.2;
    const C = depthwise ? rng.int(1, 4) : groups * rng.int(1, 2);
    const g = depthwise ? C : groups;
    const O = g * rng.int(1, 2);
    const xShape: Shape4 = [rng.int(1, 2), C, rng.int(1, 7), rng.int(1, 7)];
    const wShape: Shape4 = [O, C / g, rng.int(1, 3), rng.int(1, 3)];
    const paddings: PaddingOption[] = [0, 1, [rng.int(0, 2), rng.int(0, 1)], [rng.int(0, 2), rng.int(0, 1), rng.int(0, 3), rng.int(0, 2)], 'same', 'valid'];
    const opts: Conv2dOptions = {
      stride: [rng.int(1, 3), rng.int(1, 3)],
      dilation: [rng.int(1, 2), rng.int(1, 2)],
      padding: paddings[rng.int(0, paddings.length - 1)],
      groups: g,
    };
    try {
      resolveWindow('draw', xShape, [wShape[2], wShape[3]], conv2dAttrs(opts));
      return { xShape, wShape, opts };
    } catch (e) {
      if (!(e instanceof nn.ShapeError)) throw e;
    }
  }
}

describe('convolution gradients (CPU) against finite differences', () => {
  it('dx, dw and db over random shapes, strides, dilations, padding forms, groups and depthwise', async () => {
    const rng = new Random(81);
    for (let trial = 0; trial < 40; trial++) {
      const { xShape, wShape, opts } = randomConv(rng);
      const attrs = conv2dAttrs(opts);
      const f = convOracle(xShape, wShape, attrs);
      const x = randomValues(rng, xShape);
      const w = randomValues(rng, wShape);
      const b = randomValues(rng, [wShape[0]]);
      const yShape = [xShape[0], wShape[0], ...resolveWindow('oracle', xShape, [wShape[2], wShape[3]], attrs).output];
      const dy = randomValues(rng, yShape);
      const what = `x [${xShape}] w [${wShape}] ${JSON.stringify(opts)}`;

      const dyT = cpu.tensor(Float32Array.from(dy), yShape);
      const [dx] = cpu.runOp(conv2dGradInputOp, [dyT, cpu.tensor(Float32Array.from(w), wShape)], { ...attrs, inputShape: xShape });
      expect(dx.shape, what).toEqual(xShape);
      expectClose(await dx.data(), numericGrad(f, [x, w, b], dy, 0), `dx ${what}`);

      const [dw] = cpu.runOp(conv2dGradWeightOp, [cpu.tensor(Float32Array.from(x), xShape), dyT], { ...attrs, weightShape: wShape });
      expect(dw.shape, what).toEqual(wShape);
      expectClose(await dw.data(), numericGrad(f, [x, w, b], dy, 1), `dw ${what}`);

      const db = conv2dGradBias(cpu, dyT);
      expectClose(await db.data(), numericGrad(f, [x, w, b], dy, 2), `db ${what}`);
    }
  });

  it('stride that leaves the last input rows unread gives them zero gradient', async () => {
    // x 1×1×4×4, 2×2 kernel, stride 3: only rows/cols 0, 1 are read.
    const attrs = { ...conv2dAttrs({ stride: 3 }), inputShape: [1, 1, 4, 4] as Shape4 };
    const [dx] = cpu.runOp(conv2dGradInputOp, [cpu.tensor([5], [1, 1, 1, 1]), cpu.tensor([1, 2, 3, 4], [1, 1, 2, 2])], attrs);
    expect(Array.from(await dx.data())).toEqual([5, 10, 0, 0, 15, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
  });

  it('mismatched shapes are ShapeErrors naming the op', () => {
    const attrs = conv2dAttrs({ padding: 1 });
    const dy = cpu.zeros([1, 4, 5, 5]);
    expect(() => cpu.runOp(conv2dGradInputOp, [dy, cpu.zeros([4, 3, 3, 3])], { ...attrs, inputShape: [1, 3, 6, 6] })).toThrow(
      /conv2dGradInput: dy must have the convolution's output shape \[1, 4, 6, 6\]/,
    );
    expect(() => cpu.runOp(conv2dGradWeightOp, [cpu.zeros([1, 3, 5, 5]), dy], { ...attrs, weightShape: [4, 2, 3, 3] })).toThrow(
      /conv2dGradWeight: groups 1/,
    );
  });
});
