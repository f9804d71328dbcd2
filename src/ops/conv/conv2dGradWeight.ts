// The gradient of conv2d with respect to its weights: dw[o, ci, ky, kx] is the sum over every
// image and output pixel of dy[n, o, oy, ox] times the input cell that tap read. Per group it is
// the product dW_g [O/g, K] = dY_g [O/g, N·OH·OW] · im2col(x)ᵀ [N·OH·OW, K], K = C/g·kh·kw.
import conv2dGradWeightWgsl from '../../../shaders/conv/conv2d_grad_weight.wgsl?raw';
import { grid, uniforms } from '../kernel.js';
import { sizeOf } from '../../shape.js';
import type { OpDef } from '../op.js';
import { checkConvGrad, shapeAttr, type ConvGradAttrs } from './convGradShapes.js';
import { gatherPatches, TILE } from './im2col.js';

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
  // Per image, group and tile of output pixels: the tile's patches (im2col), then
  // dw[o, k] += Σ_j dy[o, p0 + j]·patches[k, j], four taps at a time; float64 sums.
  cpu([x, dy], [dw], attrs) {
    const [N, C, H, W] = x!.shape;
    const [O, Cg, kh, kw] = attrs.weightShape;
    const win = checkConvGrad(name, x!.shape, attrs.weightShape, dy!.shape, attrs);
    const pixels = win.output[0] * win.output[1];
    const Og = O / attrs.groups;
    const K = Cg * kh * kw;
    const acc = new Float64Array(O * K);
    const patches = new Float64Array(K * TILE);
    const d = new Float64Array(TILE);
    const dyd = dy!.data;
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < attrs.groups; g++) {
        for (let p0 = 0; p0 < pixels; p0 += TILE) {
          const count = Math.min(TILE, pixels - p0);
          gatherPatches(patches, x!.data, (n * C + g * Cg) * H * W, [Cg, H, W], win, p0, count);
          for (let o = g * Og; o < (g + 1) * Og; o++) {
            const from = (n * O + o) * pixels + p0;
            for (let j = 0; j < count; j++) d[j] = dyd[from + j];
            const row = o * K;
            let k = 0;
            for (; k + 4 <= K; k += 4) {
              const r0 = k * TILE, r1 = r0 + TILE, r2 = r1 + TILE, r3 = r2 + TILE;
              let s0 = 0, s1 = 0, s2 = 0, s3 = 0;
              for (let j = 0; j < count; j++) {
                const v = d[j];
                s0 += v * patches[r0 + j]; s1 += v * patches[r1 + j]; s2 += v * patches[r2 + j]; s3 += v * patches[r3 + j];
              }
              acc[row + k] += s0; acc[row + k + 1] += s1; acc[row + k + 2] += s2; acc[row + k + 3] += s3;
            }
            for (; k < K; k++) {
              let sum = 0;
              for (let j = 0, r = k * TILE; j < count; j++) sum += d[j] * patches[r + j];
              acc[row + k] += sum;
            }
          }
        }
      }
    }
    dw.data.set(acc);
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
