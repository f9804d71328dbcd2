// The gradient of conv2d with respect to its weights: dw[o, ci, ky, kx] is the sum over every
// image and output pixel of dy[n, o, oy, ox] times the input cell that tap read. Per group it is
// the product dW_g [O/g, K] = dY_g [O/g, N·OH·OW] · im2col(x)ᵀ [N·OH·OW, K], K = C/g·kh·kw.
import conv2dGradWeightWgsl from '../../../shaders/conv/conv2d_grad_weight.wgsl?raw';
import { grid, uniforms } from '../kernel.js';
import { sizeOf } from '../../shape.js';
import type { OpDef } from '../op.js';
import { checkConvGrad, shapeAttr, type ConvGradAttrs } from './convGradShapes.js';

export interface Conv2dGradWeightAttrs extends ConvGradAttrs {
  /** The forward weights' shape [O, C/groups, kh, kw]. */
  readonly weightShape: readonly [number, number, number, number];
}

const name = 'conv2dGradWeight';
const gradWeightShader = { label: 'conv2d_grad_weight', code: conv2dGradWeightWgsl };

/**
 * How the pixel sum of each 4 × 4 block of dw is split (see the shader). On a GPU, a workgroup per
 * block, 256 wide for long sums (LeNet's first layer at batch 64: 50 176 pixels, 14 blocks) and
 * 64 wide for short ones; reasoned, not yet timed on a discrete GPU. On a software adapter one
 * invocation per block: SwiftShader took 25 s for the 576 barrier-reduced workgroups of a
 * [1, 32, 6, 6]·[33, 32, 3, 3] layer (under load) against well under a second this way.
 */
function chooseSplit(software: boolean, pixels: number): { entryPoint: 'main' | 'per_block'; wg: number } {
  if (software) return { entryPoint: 'per_block', wg: 64 };
  return { entryPoint: 'main', wg: pixels >= 4096 ? 256 : 64 };
}

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
  // x [N, C, H, W], dy [N, O, OH, OW] -> dw [O, C/g, kh, kw] (shaders/conv/conv2d_grad_weight.wgsl)
  gpu(k, [x, dy], [dw], attrs) {
    if (sizeOf(dw.shape) === 0) return;
    const [N, C, H, W] = x!.shape;
    const [O, Cg, kh, kw] = attrs.weightShape;
    const { stride, dilation, pads, output } = checkConvGrad(name, x!.shape, attrs.weightShape, dy!.shape, attrs);
    const Og = O / attrs.groups;
    const channelBlocks = Math.ceil(Og / 4);
    const tapBlocks = Math.ceil((Cg * kh * kw) / 4);
    const blocks = tapBlocks * channelBlocks * attrs.groups;
    const pixels = N * output[0] * output[1];
    const split = chooseSplit(k.softwareAdapter, pixels);
    k.dispatch({
      shader: gradWeightShader,
      entryPoint: split.entryPoint,
      constants: { WG: split.wg },
      uniforms: uniforms()
        .u32(C, H, W, O, ...output, Cg, Og, kh, kw)
        .i32(...stride, ...dilation, pads[0], pads[1])
        .u32(pixels, channelBlocks, tapBlocks, blocks)
        .bytes(),
      bindings: [x!, dy!, dw],
      workgroups: split.entryPoint === 'main' ? grid(blocks, 1) : grid(blocks, split.wg),
    });
  },
};
