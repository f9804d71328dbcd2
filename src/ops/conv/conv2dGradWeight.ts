// The gradient of conv2d with respect to its weights: dw[o, ci, ky, kx] is the sum over every
// image and output pixel of dy[n, o, oy, ox] times the input cell that tap read. Per group it is
// the product dW_g [O/g, K] = dY_g [O/g, N·OH·OW] · im2col(x)ᵀ [N·OH·OW, K], K = C/g·kh·kw.
import type { OpDef } from '../op.js';
import { checkConvGrad, shapeAttr, type ConvGradAttrs } from './convGradShapes.js';

export interface Conv2dGradWeightAttrs extends ConvGradAttrs {
  /** The forward weights' shape [O, C/groups, kh, kw]. */
  readonly weightShape: readonly [number, number, number, number];
}

const name = 'conv2dGradWeight';

export const conv2dGradWeightOp: OpDef<Conv2dGradWeightAttrs> = {
  name,
  // x [N, C, H, W], dy [N, O, OH, OW] -> dw [O, C/g, kh, kw]
  inferShapes([x, dy], attrs) {
    const w = shapeAttr(name, 'weightShape', attrs.weightShape);
    checkConvGrad(name, x ?? [], w, dy, attrs);
    return [[...w]];
  },
  macs([, dy], attrs) {
    const [, Cg, kh, kw] = attrs.weightShape;
    return dy![0] * dy![1] * dy![2] * dy![3] * Cg * kh * kw;
  },
  cpu([x, dy], [dw], attrs) {
    const [N, C, H, W] = x!.shape;
    const [O, Cg, kh, kw] = attrs.weightShape;
    const { stride, dilation, pads, output } = checkConvGrad(name, x!.shape, attrs.weightShape, dy!.shape, attrs);
    const [sh, sw] = stride;
    const [OH, OW] = output;
    const Og = O / attrs.groups;
    for (let o = 0; o < O; o++) {
      const c0 = Math.floor(o / Og) * Cg;
      for (let ci = 0; ci < Cg; ci++) {
        for (let ky = 0; ky < kh; ky++) {
          for (let kx = 0; kx < kw; kx++) {
            let sum = 0;
            for (let n = 0; n < N; n++) {
              const dyPlane = (n * O + o) * OH * OW;
              const xPlane = (n * C + c0 + ci) * H * W;
              for (let oy = 0; oy < OH; oy++) {
                const iy = oy * sh + ky * dilation[0] - pads[0];
                if (iy < 0 || iy >= H) continue;
                for (let ox = 0; ox < OW; ox++) {
                  const ix = ox * sw + kx * dilation[1] - pads[1];
                  if (ix >= 0 && ix < W) sum += dy!.data[dyPlane + oy * OW + ox] * x!.data[xPlane + iy * W + ix];
                }
              }
            }
            dw.data[((o * Cg + ci) * kh + ky) * kw + kx] = sum;
          }
        }
      }
    }
  },
};
