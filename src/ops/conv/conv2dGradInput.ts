// The gradient of conv2d with respect to its input: dx = conv2dᵀ(dy, w). Every output pixel
// (n, o, oy, ox) scatters dy·w back onto the input cells its window read, so dx is a convolution
// of dy with the weights flipped in space and transposed per group, over dy spread out by the
// stride (see conv2dGpu.ts for how the WebGPU kernels run it as that convolution).
import type { OpDef } from '../op.js';
import { checkConvGrad, shapeAttr, type ConvGradAttrs } from './convGradShapes.js';
import { scatterPatches, TILE } from './im2col.js';

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
  // Per image, group and tile of output pixels: cols[k, j] = Σ_o w[o, k]·dy[o, p0 + j] (a 2 × 4
  // register block over taps and pixels, as conv2d's forward product), then cols added back onto
  // the input cells each tap read (col2im); float64 sums.
  cpu([dy, w], [dx], attrs) {
    const [N, C, H, W] = attrs.inputShape;
    const [O, Cg, kh, kw] = w!.shape;
    const win = checkConvGrad(name, attrs.inputShape, w!.shape, dy!.shape, attrs);
    const pixels = win.output[0] * win.output[1];
    const { groups } = attrs;
    const Og = O / groups;
    const K = Cg * kh * kw;
    // Per group, the weights transposed [K, Og] (one spare row for an odd K), so the product reads them in order.
    const rows = K + (K % 2);
    const wT = new Float64Array(groups * rows * Og);
    for (let g = 0; g < groups; g++) {
      for (let o = 0; o < Og; o++) for (let k = 0; k < K; k++) wT[(g * rows + k) * Og + o] = w!.data[(g * Og + o) * K + k];
    }
    const dyTile = new Float64Array(Og * TILE);
    const cols = new Float64Array(rows * TILE);
    const acc = new Float64Array(dx.data.length);
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < groups; g++) {
        for (let p0 = 0; p0 < pixels; p0 += TILE) {
          const count = Math.min(TILE, pixels - p0);
          const padded = Math.ceil(count / 4) * 4;
          for (let o = 0; o < Og; o++) {
            const from = (n * O + g * Og + o) * pixels + p0;
            for (let j = 0; j < padded; j++) dyTile[o * TILE + j] = j < count ? dy!.data[from + j] : 0;
          }
          for (let k = 0; k < K; k += 2) {
            const u0 = (g * rows + k) * Og;
            const v0 = u0 + Og;
            for (let j = 0; j < padded; j += 4) {
              let a0 = 0, a1 = 0, a2 = 0, a3 = 0, b0 = 0, b1 = 0, b2 = 0, b3 = 0;
              for (let o = 0, t = j; o < Og; o++, t += TILE) {
                const d0 = dyTile[t], d1 = dyTile[t + 1], d2 = dyTile[t + 2], d3 = dyTile[t + 3];
                const u = wT[u0 + o], v = wT[v0 + o];
                a0 += u * d0; a1 += u * d1; a2 += u * d2; a3 += u * d3;
                b0 += v * d0; b1 += v * d1; b2 += v * d2; b3 += v * d3;
              }
              const c0 = k * TILE + j;
              const c1 = c0 + TILE;
              cols[c0] = a0; cols[c0 + 1] = a1; cols[c0 + 2] = a2; cols[c0 + 3] = a3;
              cols[c1] = b0; cols[c1 + 1] = b1; cols[c1 + 2] = b2; cols[c1 + 3] = b3;
            }
          }
          scatterPatches(acc, cols, (n * C + g * Cg) * H * W, [Cg, H, W], win, p0, count);
        }
      }
    }
    dx.data.set(acc);
  },

};
