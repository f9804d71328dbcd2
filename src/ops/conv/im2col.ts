// im2col on the CPU, a tile of output pixels at a time: the input cells under every kernel tap
// (gatherPatches), and the reverse, adding per-tap values back onto the input cells they came
// from (scatterPatches, col2im). The convolution and its two gradients are then small dense
// products over a tile: conv2d  y[o, j] = Σ_k w[o, k]·patches[k, j];  conv2dGradWeight
// dw[o, k] += Σ_j dy[o, j]·patches[k, j];  conv2dGradInput  cols[k, j] = Σ_o w[o, k]·dy[o, j],
// then scattered. A tap k is (ci, ky, kx) of one group; j runs over TILE output pixels.
import type { Window2d } from '../window.js';

/** Output pixels per gathered tile (a multiple of 4, the pixel block of the product). */
export const TILE = 64;

/**
 * im2col for one tile: patches[k·TILE + j] = the input under kernel tap k = (ci, ky, kx) for output
 * pixel p0 + j (row-major over [OH, OW]), 0 where the tap falls in the padding. `xBase` is the
 * offset of the group's first input channel in x.
 */
export function gatherPatches(
  patches: Float64Array,
  x: Float32Array,
  xBase: number,
  [Cg, H, W]: readonly number[],
  win: Window2d,
  p0: number,
  count: number,
): void {
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.stride;
  const [dh, dw] = win.dilation;
  const [pt, pl] = win.pads;
  const OW = win.output[1];
  let row = 0;
  for (let ci = 0; ci < Cg; ci++) {
    const plane = xBase + ci * H * W;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row += TILE) {
        // The tile is runs of pixels along output rows: one row test per run, one column test per pixel.
        let oy = Math.floor(p0 / OW);
        let ox = p0 - oy * OW;
        for (let j = 0; j < count; oy++, ox = 0) {
          const run = Math.min(OW - ox, count - j);
          const iy = oy * sh + ky * dh - pt;
          if (iy < 0 || iy >= H) {
            patches.fill(0, row + j, row + j + run);
          } else {
            const line = plane + iy * W;
            for (let t = 0, ix = ox * sw + kx * dw - pl; t < run; t++, ix += sw) patches[row + j + t] = ix >= 0 && ix < W ? x[line + ix] : 0;
          }
          j += run;
        }
      }
    }
  }
}

/**
 * col2im for one tile, the adjoint of gatherPatches: acc[the input cell under tap k for output
 * pixel p0 + j] += cols[k·TILE + j], skipping taps in the padding. `base` is the offset of the
 * group's first input channel in acc.
 */
export function scatterPatches(
  acc: Float64Array,
  cols: Float64Array,
  base: number,
  [Cg, H, W]: readonly number[],
  win: Window2d,
  p0: number,
  count: number,
): void {
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.stride;
  const [dh, dw] = win.dilation;
  const [pt, pl] = win.pads;
  const OW = win.output[1];
  let row = 0;
  for (let ci = 0; ci < Cg; ci++) {
    const plane = base + ci * H * W;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row += TILE) {
        let oy = Math.floor(p0 / OW);
        let ox = p0 - oy * OW;
        for (let j = 0; j < count; oy++, ox = 0) {
          const run = Math.min(OW - ox, count - j);
          const iy = oy * sh + ky * dh - pt;
          if (iy >= 0 && iy < H) {
            const line = plane + iy * W;
            for (let t = 0, ix = ox * sw + kx * dw - pl; t < run; t++, ix += sw) if (ix >= 0 && ix < W) acc[line + ix] += cols[row + j + t];
          }
          j += run;
        }
      }
    }
  }
}
