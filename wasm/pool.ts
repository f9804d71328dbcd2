// 2-D max and average pooling over `planes` planes [H, W] -> [OH, OW], the same windows as
// src/ops/pool/pool2d.ts's reference: per output row and column the caller passes the taps over
// real input cells [lo, hi) and, for countIncludePad, how many taps lie in the padded input.

/**
 * taps: six i32 tables, rows (lo, hi, padded) [OH] each, then columns (lo, hi, padded) [OW] each.
 * Max: a window's largest value, NaN if it holds one (−∞ for a window of padding alone). Avg: the
 * sum (in float64, as the reference) over the divisor: padded taps (countIncludePad) or real ones.
 */
export function pool2d(
  x: usize, planes: i32, H: i32, W: i32, OH: i32, OW: i32, sh: i32, sw: i32, dh: i32, dw: i32,
  pt: i32, pl: i32, max: bool, countIncludePad: bool, taps: usize, y: usize,
): void {
  const rowLo = taps, rowHi = rowLo + <usize>OH * 4, rowPad = rowHi + <usize>OH * 4;
  const colLo = rowPad + <usize>OH * 4, colHi = colLo + <usize>OW * 4, colPad = colHi + <usize>OW * 4;
  for (let plane = 0; plane < planes; plane++) {
    const xp = x + <usize>plane * H * W * 4;
    for (let oy = 0; oy < OH; oy++) {
      const ky0 = load<i32>(rowLo + <usize>oy * 4), ky1 = load<i32>(rowHi + <usize>oy * 4);
      const iy0 = oy * sh - pt;
      for (let ox = 0; ox < OW; ox++) {
        const kx0 = load<i32>(colLo + <usize>ox * 4), kx1 = load<i32>(colHi + <usize>ox * 4);
        const ix0 = ox * sw - pl;
        let result: f32;
        if (max) {
          let m: f32 = -Infinity;
          for (let ky = ky0; ky < ky1; ky++) {
            const row = xp + <usize>((iy0 + ky * dh) * W + ix0) * 4;
            for (let kx = kx0; kx < kx1; kx++) {
              const v = load<f32>(row + <usize>(kx * dw) * 4);
              if (v > m || v != v) m = v; // NaN wins, as in PyTorch
            }
          }
          result = m;
        } else {
          let sum: f64 = 0;
          for (let ky = ky0; ky < ky1; ky++) {
            const row = xp + <usize>((iy0 + ky * dh) * W + ix0) * 4;
            for (let kx = kx0; kx < kx1; kx++) sum += <f64>load<f32>(row + <usize>(kx * dw) * 4);
          }
          const divisor = countIncludePad
            ? load<i32>(rowPad + <usize>oy * 4) * load<i32>(colPad + <usize>ox * 4)
            : (ky1 - ky0) * (kx1 - kx0);
          result = <f32>(sum / <f64>divisor); // 0/0 = NaN for a window with no cell to average
        }
        store<f32>(y, result);
        y += 4;
      }
    }
  }
}
