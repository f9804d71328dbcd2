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
            memory.fill(out, 0, <usize>run * 4);
          } else {
            const line = plane + <usize>iy * W * 4;
            let ix = ox * sw + kx * dw - pl;
            if (sw == 1) {
              // Zeros where the run reaches into the left or right padding, one copy between.
              const left = min(run, max(0, -ix));
              const right = min(run - left, max(0, ix + run - W));
              const middle = run - left - right;
              if (left > 0) memory.fill(out, 0, <usize>left * 4);
              if (middle > 0) memory.copy(out + <usize>left * 4, line + <usize>(ix + left) * 4, <usize>middle * 4);
              if (right > 0) memory.fill(out + <usize>(left + middle) * 4, 0, <usize>right * 4);
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
