// im2col on the CPU, a tile of output pixels at a time: the input cells under every kernel tap
// (gatherPatches), and the reverse, adding per-tap values back onto the input cells they came
// from (scatterPatches, col2im). The convolution and its two gradients are then small dense
// products over a tile: conv2d  y[o, j] = Σ_k w[o, k]·patches[k, j];  conv2dGradWeight
// dw[o, k] += Σ_j dy[o, j]·patches[k, j];  conv2dGradInput  cols[k, j] = Σ_o w[o, k]·dy[o, j],
// then scattered. A tap k is (ci, ky, kx) of one group; j runs over TILE output pixels.
import type { CpuArg } from '../op.js';
import type { Window2d } from '../window.js';

/** Output pixels per gathered tile (a multiple of 4, the pixel block of the product). */
export const TILE = 64;

/** Runs of tapRuns: 4 numbers each, reused from call to call (grown when a tile needs more). */
let runTable = new Int32Array(1024);

/**
 * The walk gatherPatches and scatterPatches share: for each kernel tap k = (ci, ky, kx) (row
 * k·TILE of the tile) and each run of the tile's pixels p0 … p0 + count − 1 along one output row,
 * four numbers in the returned table: `at` = k·TILE + the run's first pixel in the tile, its
 * length, `line` the offset of the input row under it (−1 when that row is in the padding), and
 * `ix0` the input column under its first pixel (each next pixel is stride[1] further). `base` is
 * the offset of the group's first input channel. One row test per run; the callers test the
 * columns in their own loops (a table, not a callback: V8 keeps their arrays in registers then).
 */
function tapRuns(base: number, [Cg, H, W]: readonly number[], win: Window2d, p0: number, count: number) {
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.stride;
  const [dh, dw] = win.dilation;
  const [pt, pl] = win.pads;
  const OW = win.output[1];
  const most = Cg * kh * kw * (Math.ceil(count / OW) + 1) * 4;
  if (runTable.length < most) runTable = new Int32Array(most);
  const table = runTable;
  let runs = 0;
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
          const at = runs * 4;
          table[at] = row + j;
          table[at + 1] = run;
          table[at + 2] = iy < 0 || iy >= H ? -1 : plane + iy * W;
          table[at + 3] = ox * sw + kx * dw - pl;
          runs++;
          j += run;
        }
      }
    }
  }
  // `end`: the table's used length; W and the column stride sw for the callers' column loops.
  return { table, end: runs * 4, W, sw };
}

/**
 * im2col for one tile: patches[k·TILE + j] = the input under kernel tap k = (ci, ky, kx) for output
 * pixel p0 + j (row-major over [OH, OW]), 0 where the tap falls in the padding. `xBase` is the
 * offset of the group's first input channel in x.
 */
export function gatherPatches(patches: Float64Array, x: Float32Array, xBase: number, shape: readonly number[], win: Window2d, p0: number, count: number): void {
  const { table, end, W, sw } = tapRuns(xBase, shape, win, p0, count);
  for (let r = 0; r < end; r += 4) {
    const at = table[r], run = table[r + 1], line = table[r + 2];
    if (line < 0) patches.fill(0, at, at + run);
    else for (let t = 0, ix = table[r + 3]; t < run; t++, ix += sw) patches[at + t] = ix >= 0 && ix < W ? x[line + ix] : 0;
  }
}

/**
 * col2im for one tile, the adjoint of gatherPatches: acc[the input cell under tap k for output
 * pixel p0 + j] += cols[k·TILE + j], skipping taps in the padding. `base` is the offset of the
 * group's first input channel in acc.
 */
export function scatterPatches(acc: Float64Array, cols: Float64Array, base: number, shape: readonly number[], win: Window2d, p0: number, count: number): void {
  const { table, end, W, sw } = tapRuns(base, shape, win, p0, count);
  for (let r = 0; r < end; r += 4) {
    const at = table[r], run = table[r + 1], line = table[r + 2];
    if (line < 0) continue;
    for (let t = 0, ix = table[r + 3]; t < run; t++, ix += sw) if (ix >= 0 && ix < W) acc[line + ix] += cols[at + t];
  }
}

/**
 * The convolution y = x * w (+ b) on the CPU, no activation: conv2d's kernel, and conv2dGradInput's
 * (a stride-1 convolution of the spread dy with the flipped weights).
 * x [N, C, H, W], w [O, C/g, kh, kw], b [O] | null -> y [N, O, OH, OW], the window resolved.
 * Per image and group g this is a matrix product y_g [O/g, OH·OW] = w_g [O/g, K] · patches [K, OH·OW],
 * K = C/g·kh·kw. The patches are gathered TILE output pixels at a time, and each block of 2 output
 * channels × 4 pixels accumulates in float64 locals, so every loaded value is used 2 or 4 times.
 */
export function convolveCpu(x: CpuArg, w: CpuArg, b: CpuArg | null, y: CpuArg, win: Window2d, groups: number): void {
    const [N, C, H, W] = x.shape;
    const [O, Cg, kh, kw] = w.shape;
    const pixels = win.output[0] * win.output[1];
    const outPerGroup = O / groups;
    const K = Cg * kh * kw;
    // Weight rows in float64, with a zero row after each group of odd size so that blocks of two
    // rows need no remainder case.
    const rowsPerGroup = outPerGroup + (outPerGroup % 2);
    const wRows = new Float64Array(groups * rowsPerGroup * K);
    for (let g = 0; g < groups; g++) {
      for (let o = 0; o < outPerGroup; o++) {
        const src = (g * outPerGroup + o) * K;
        wRows.set(w.data.subarray(src, src + K), (g * rowsPerGroup + o) * K);
      }
    }
    const patches = new Float64Array(K * TILE);
    const tileOut = new Float64Array(rowsPerGroup * TILE);
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < groups; g++) {
        for (let p0 = 0; p0 < pixels; p0 += TILE) {
          const count = Math.min(TILE, pixels - p0);
          gatherPatches(patches, x.data, (n * C + g * Cg) * H * W, [Cg, H, W], win, p0, count);
          for (let o = 0; o < outPerGroup; o += 2) {
            const w0 = (g * rowsPerGroup + o) * K;
            const w1 = w0 + K;
            // Past `count` the patch columns hold stale values: their sums land in tileOut unread.
            for (let j = 0; j < count; j += 4) {
              let a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
              for (let k = 0, pk = j; k < K; k++, pk += TILE) {
                const p0v = patches[pk], p1v = patches[pk + 1], p2v = patches[pk + 2], p3v = patches[pk + 3];
                const u = wRows[w0 + k], v = wRows[w1 + k];
                a00 += u * p0v; a01 += u * p1v; a02 += u * p2v; a03 += u * p3v;
                a10 += v * p0v; a11 += v * p1v; a12 += v * p2v; a13 += v * p3v;
              }
              const t0 = o * TILE + j;
              const t1 = t0 + TILE;
              tileOut[t0] = a00; tileOut[t0 + 1] = a01; tileOut[t0 + 2] = a02; tileOut[t0 + 3] = a03;
              tileOut[t1] = a10; tileOut[t1 + 1] = a11; tileOut[t1 + 2] = a12; tileOut[t1 + 3] = a13;
            }
          }
          for (let o = 0; o < outPerGroup; o++) {
            const oc = g * outPerGroup + o;
            const bias = b ? b.data[oc] : 0;
            const dst = (n * O + oc) * pixels + p0;
            for (let j = 0; j < count; j++) y.data[dst + j] = tileOut[o * TILE + j] + bias;
          }
        }
      }
    }
}
