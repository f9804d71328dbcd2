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
  if (sw == 2 && dw == 1 && pl == 0 && OW >= 4 && columnPairs(colLo, colHi, OW)) {
    pairedColumns(x, planes, H, W, OH, OW, sh, dh, pt, max, countIncludePad, rowLo, rowHi, rowPad, y);
    return;
  }
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

/** Whether every column window is two real cells, 2·ox and 2·ox + 1 (a 2-wide stride-2 window without padding). */
function columnPairs(colLo: usize, colHi: usize, OW: i32): bool {
  for (let ox = 0; ox < OW; ox++) {
    if (load<i32>(colLo + <usize>ox * 4) != 0 || load<i32>(colHi + <usize>ox * 4) != 2) return false;
  }
  return true;
}

/**
 * pool2d where each column window is a pair of neighbours (LeNet's and VGG's 2×2 stride-2 pooling),
 * 4 outputs at a time: 8 input cells per row split into even and odd lanes. Same order and
 * arithmetic as the scalar loops (float64 sums, NaN wins), so the results are identical.
 */
function pairedColumns(
  x: usize, planes: i32, H: i32, W: i32, OH: i32, OW: i32, sh: i32, dh: i32, pt: i32,
  max: bool, countIncludePad: bool, rowLo: usize, rowHi: usize, rowPad: usize, y: usize,
): void {
  const vectors = OW / 4;
  for (let plane = 0; plane < planes; plane++) {
    const xp = x + <usize>plane * H * W * 4;
    for (let oy = 0; oy < OH; oy++) {
      const ky0 = load<i32>(rowLo + <usize>oy * 4), ky1 = load<i32>(rowHi + <usize>oy * 4);
      const iy0 = oy * sh - pt;
      const rowsIn = ky1 - ky0;
      const divisor = f64x2.splat(<f64>(countIncludePad ? load<i32>(rowPad + <usize>oy * 4) * 2 : rowsIn * 2));
      // The last vector overlaps the one before when OW is not a multiple of 4 (stores of equal values).
      for (let v = 0; v <= vectors; v++) {
        const ox = v < vectors ? v * 4 : OW - 4;
        if (v == vectors && ox == (vectors - 1) * 4) break;
        let m = f32x4.splat(-Infinity);
        let sumLo = f64x2.splat(0), sumHi = f64x2.splat(0);
        for (let ky = ky0; ky < ky1; ky++) {
          const at = xp + <usize>((iy0 + ky * dh) * W + 2 * ox) * 4;
          const a = v128.load(at), b = v128.load(at, 16);
          const even = v128.shuffle<f32>(a, b, 0, 2, 4, 6);
          const odd = v128.shuffle<f32>(a, b, 1, 3, 5, 7);
          if (max) {
            m = v128.bitselect(even, m, v128.or(f32x4.gt(even, m), f32x4.ne(even, even)));
            m = v128.bitselect(odd, m, v128.or(f32x4.gt(odd, m), f32x4.ne(odd, odd)));
          } else {
            sumLo = f64x2.add(f64x2.add(sumLo, f64x2.promote_low_f32x4(even)), f64x2.promote_low_f32x4(odd));
            sumHi = f64x2.add(
              f64x2.add(sumHi, f64x2.promote_low_f32x4(v128.shuffle<f32>(even, even, 2, 3, 0, 1))),
              f64x2.promote_low_f32x4(v128.shuffle<f32>(odd, odd, 2, 3, 0, 1)),
            );
          }
        }
        const to = y + <usize>(oy * OW + ox) * 4;
        if (max) {
          v128.store(to, m);
        } else {
          const lo = f32x4.demote_f64x2_zero(f64x2.div(sumLo, divisor));
          const hi = f32x4.demote_f64x2_zero(f64x2.div(sumHi, divisor));
          v128.store(to, v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
        }
      }
    }
    y += <usize>OH * OW * 4;
  }
}
