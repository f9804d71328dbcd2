// im2col for the wasm convolution: the input cells under every kernel tap, for a range of output
// pixels, as the B operand [K, count] (K = Cg·kh·kw taps) of one GEMM with the weights [O/g, K].

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
              // Zeros where the run reaches into the left or right padding, one copy between.
              const left = min(run, max(0, -ix));
              const right = min(run - left, max(0, ix + run - W));
              const middle = run - left - right;
              zeroFloats(out, left);
              copyFloats(out + <usize>left * 4, line + <usize>(ix + left) * 4, middle);
              zeroFloats(out + <usize>(left + middle) * 4, right);
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
 * im2col's common case, stride 1 along rows and whole output rows [oy0, oy0 + rows): a tap's
 * padding columns are the same on every row, so each row is one test and one copy.
 */
function wholeRows(
  x: usize, channels: i32, H: i32, W: i32, kh: i32, kw: i32, sh: i32, dh: i32, dw: i32,
  pt: i32, pl: i32, OW: i32, oy0: i32, rows: i32, dst: usize,
): void {
  for (let ci = 0; ci < channels; ci++) {
    const plane = x + <usize>ci * H * W * 4;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++) {
        const ix = kx * dw - pl;
        const left = min(OW, max(0, -ix));
        const right = min(OW - left, max(0, ix + OW - W));
        const middle = OW - left - right;
        let iy = oy0 * sh + ky * dh - pt;
        for (let r = 0; r < rows; r++, iy += sh) {
          if (iy < 0 || iy >= H) {
            zeroFloats(dst, OW);
          } else {
            zeroFloats(dst, left);
            copyFloats(dst + <usize>left * 4, plane + <usize>(iy * W + ix + left) * 4, middle);
            zeroFloats(dst + <usize>(left + middle) * 4, right);
          }
          dst += <usize>OW * 4;
        }
      }
    }
  }
}

// Runs are short (an output row: 10 to 224 floats): a loop of v128 moves beats memory.copy's and
// memory.fill's call overhead there, and the last vector overlaps the one before instead of a
// scalar tail (dst never overlaps src).

/** n floats from src to dst. */
// @ts-ignore: decorator
@inline
function copyFloats(dst: usize, src: usize, n: i32): void {
  if (n < 4) {
    for (let i = 0; i < n; i++) store<f32>(dst + <usize>i * 4, load<f32>(src + <usize>i * 4));
    return;
  }
  const last = <usize>(n - 4) * 4;
  for (let i: usize = 0; i < last; i += 16) v128.store(dst + i, v128.load(src + i));
  v128.store(dst + last, v128.load(src + last));
}

/** n zeros at dst. */
// @ts-ignore: decorator
@inline
function zeroFloats(dst: usize, n: i32): void {
  if (n < 4) {
    for (let i = 0; i < n; i++) store<f32>(dst + <usize>i * 4, 0);
    return;
  }
  const last = <usize>(n - 4) * 4;
  for (let i: usize = 0; i < last; i += 16) v128.store(dst + i, i32x4.splat(0));
  v128.store(dst + last, i32x4.splat(0));
}
