// The gradient of conv2d with respect to its input: dx = conv2dᵀ(dy, w). Every output pixel
// (n, o, oy, ox) scatters dy·w back onto the input cells its window read, so dx is a convolution
// of dy with the weights flipped in space and transposed per group, over dy spread out by the
// stride (see conv2dGpu.ts for how the WebGPU kernels run it as that convolution).
import type { OpDef } from '../op.js';
import { checkConvGrad, shapeAttr, type ConvGradAttrs } from './convGradShapes.js';

export interface Conv2dGradInputAttrs extends ConvGradAttrs {
  /** The forward input's shape [N, C, H, W] (the stride may leave its last rows unread). */
  readonly inputShape: readonly [number, number, number, number];
}

const name = 'conv2dGradInput';

export const conv2dGradInputOp: OpDef<Conv2dGradInputAttrs> = {
  name,
  // dy [N, O, OH, OW], w [O, C/g, kh, kw] -> dx [N, C, H, W]
  inferShapes([dy, w], attrs) {
    const x = shapeAttr(name, 'inputShape', attrs.inputShape);
    checkConvGrad(name, x, w ?? [], dy, attrs);
    return [[...x]];
  },
  macs([dy, w]) {
    return dy![0] * dy![2] * dy![3] * w![0] * w![1] * w![2] * w![3];
  },
  cpu([dy, w], [dx], attrs) {
    const [N, C, H, W] = attrs.inputShape;
    const [O, Cg, kh, kw] = w!.shape;
    const { stride, dilation, pads, output } = checkConvGrad(name, attrs.inputShape, w!.shape, dy!.shape, attrs);
    const [sh, sw] = stride;
    const [OH, OW] = output;
    const Og = O / attrs.groups;
    const acc = new Float64Array(dx.data.length);
    for (let n = 0; n < N; n++) {
      for (let o = 0; o < O; o++) {
        const dyPlane = (n * O + o) * OH * OW;
        const c0 = Math.floor(o / Og) * Cg;
        for (let ci = 0; ci < Cg; ci++) {
          const dxPlane = (n * C + c0 + ci) * H * W;
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              const wv = w!.data[((o * Cg + ci) * kh + ky) * kw + kx];
              for (let oy = 0; oy < OH; oy++) {
                const iy = oy * sh + ky * dilation[0] - pads[0];
                if (iy < 0 || iy >= H) continue;
                for (let ox = 0; ox < OW; ox++) {
                  const ix = ox * sw + kx * dilation[1] - pads[1];
                  if (ix >= 0 && ix < W) acc[dxPlane + iy * W + ix] += wv * dy!.data[dyPlane + oy * OW + ox];
                }
              }
            }
          }
        }
      }
    }
    dx.data.set(acc);
  },
};
