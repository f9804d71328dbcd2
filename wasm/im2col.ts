// im2col for the wasm convolution: the input cells under every kernel tap, for a range of output
// pixels, as the B operand [K, count] (K = Cg·kh·kw taps) of one GEMM with the weights [O/g, K].

import { copyFloats, zeroFloats } from './floats';

/**
 * dst[k·count + j] = x[ci, iy, ix] under tap k = (ci, ky, kx) for output pixel p0 + j (row-major
 * over [OH, OW]), 0 where the tap falls in the padding. x points at the group's first channel.
 */
export function im2col(
  x: usize, channels: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  pt: i32, pl: i32, OW: i32, p0: i32, count: i32, dst: usize,
): void {
  if (sw == 1 && p0 % OW == 0 && count % OW == 0) {
    wholeRows(x, channels, H, W, kh, kw, sh, dh, dw, pt, pl, OW, p0 / OW, count / OW, dst);
    return;
  }
  for (let ci = 0; ci < channels; ci++) {
    const plane = x + <usize>ci * H * W * 4;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        // The pixels are runs along output rows: one row test per run, then the run's columns.
        let oy = p0 / OW;
        let ox = p0 - oy * OW;
        for (let j = 0; j < count; oy++, ox = 0) {
          const run = min(OW - ox, count - j);
          const iy = oy * sh + ky * dh - pt;
          const out = dst + <usize>j * 4;
          if (iy < 0 || iy >= H) {
            zeroFloats(out, run);
          } else {
            const line = plane + <usize>iy * W * 4;
            let ix = ox * sw + kx * dw - pl;
            if (sw == 1) {
              paddedRun(out, line, ix, run, W);
            } else {
              for (let t = 0; t < run; t++, ix += sw) store<f32>(out + <usize>t * 4, ix >= 0 && ix < W ? load<f32>(line + <usize>ix * 4) : 0);
            }
          }
          j += run;
        }
        dst += <usize>count * 4;
      }
    }
  }
}

/**
 * im2col's common case, stride 1 along rows and whole output rows [oy0, oy0 + rows): each row
 * is one run, without the general loop's bookkeeping of runs that start or end inside a row.
 */
function wholeRows(
  x: usize, channels: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, dh: i32, dw: i32,
  pt: i32, pl: i32, OW: i32, oy0: i32, rows: i32, dst: usize,
): void {
  for (let ci = 0; ci < channels; ci++) {
    const plane = x + <usize>ci * H * W * 4;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        let iy = oy0 * sh + ky * dh - pt;
        for (let r = 0; r < rows; r++, iy += sh) {
          if (iy < 0 || iy >= H) zeroFloats(dst, OW);
          else paddedRun(dst, plane + <usize>iy * W * 4, kx * dw - pl, OW, W);
          dst += <usize>OW * 4;
        }
      }
    }
  }
}

/** n cells of an input row from column ix on (stride 1) into dst: zeros where they reach into the left or right padding, one copy between. */
// @ts-ignore: decorator
@inline
function paddedRun(dst: usize, line: usize, ix: i32, n: i32, W: i32): void {
  const left = min(n, max(0, -ix));
  const right = min(n - left, max(0, ix + n - W));
  const middle = n - left - right;
  zeroFloats(dst, left);
  copyFloats(dst + <usize>left * 4, line + <usize>(ix + left) * 4, middle);
  zeroFloats(dst + <usize>(left + middle) * 4, right);
}
