// The gradient of conv2d with respect to its weights: dw[o, ci, ky, kx] is the sum over every
// image and output pixel of dy[n, o, oy, ox] times the input cell that tap read. Per group it is
// the product dW_g [O/g, K] = dY_g [O/g, N·OH·OW] · im2col(x)ᵀ [N·OH·OW, K], K = C/g·kh·kw.
import type { OpDef } from '../op.js';
import { checkConvGrad, shapeAttr, type ConvGradAttrs } from './convGradShapes.js';
import { gatherPatches, TILE } from './im2col.js';

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

};
