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
  // Columns [a, b) have whole windows (taps 0 … kw − 1, all over real cells): 4 at a time there.
  let kw = 0;
  for (let ox = 0; ox < OW; ox++) {
    const hi = load<i32>(colHi + <usize>ox * 4);
    if (hi > kw) kw = hi;
  }
  let a = 0;
  while (a < OW && !whole(colLo, colHi, a, kw)) a++;
  let b = a;
  while (b < OW && whole(colLo, colHi, b, kw)) b++;
  if (b - a < 4) b = a;
  for (let plane = 0; plane < planes; plane++) {
    const xp = x + <usize>plane * H * W * 4;
    const yp = y + <usize>plane * OH * OW * 4;
    for (let oy = 0; oy < OH; oy++) {
      const ky0 = load<i32>(rowLo + <usize>oy * 4), ky1 = load<i32>(rowHi + <usize>oy * 4);
      const iy0 = oy * sh - pt;
      const yRow = yp + <usize>oy * OW * 4;
      const rowDivisor = <f64>(countIncludePad ? load<i32>(rowPad + <usize>oy * 4) : (ky1 - ky0) * kw);
      // The last group overlaps the one before where b − a is not a multiple of 4 (equal values stored twice).
      for (let ox = a; ox < b; ox = ox + 4 < b ? (ox + 8 <= b ? ox + 4 : b - 4) : b) {
        let divisorLo = f64x2.splat(rowDivisor), divisorHi = divisorLo;
        if (countIncludePad) {
          const pads = v128.load(colPad + <usize>ox * 4);
          divisorLo = f64x2.mul(divisorLo, f64x2.convert_low_i32x4_s(pads));
          divisorHi = f64x2.mul(divisorHi, f64x2.convert_low_i32x4_s(i32x4.shuffle(pads, pads, 2, 3, 0, 1)));
        }
        vectorWindow(xp, W, sw, dh, dw, iy0, ox * sw - pl, ky0, ky1, kw, max, divisorLo, divisorHi, yRow + <usize>ox * 4);
      }
      for (let ox = 0; ox < a; ox++) scalarWindow(xp, W, sw, pl, dh, dw, iy0, ky0, ky1, max, countIncludePad, rowPad, colLo, colHi, colPad, oy, ox, yRow);
      for (let ox = b; ox < OW; ox++) scalarWindow(xp, W, sw, pl, dh, dw, iy0, ky0, ky1, max, countIncludePad, rowPad, colLo, colHi, colPad, oy, ox, yRow);
    }
  }
}

/** Output (oy, ox) alone, any window: rows [ky0, ky1) and the column's taps from its tables. */
function scalarWindow(
  xp: usize, W: i32, sw: i32, pl: i32, dh: i32, dw: i32, iy0: i32, ky0: i32, ky1: i32, max: bool, countIncludePad: bool,
  rowPad: usize, colLo: usize, colHi: usize, colPad: usize, oy: i32, ox: i32, yRow: usize,
): void {
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
  store<f32>(yRow + <usize>ox * 4, result);
}

/** Whether column ox's window is taps 0 … kw − 1, all over real cells. */
// @ts-ignore: decorator
@inline
function whole(colLo: usize, colHi: usize, ox: i32, kw: i32): bool {
  return load<i32>(colLo + <usize>ox * 4) == 0 && load<i32>(colHi + <usize>ox * 4) == kw;
}

/**
 * Four neighbouring outputs whose column windows are whole, at y: input columns ix + l·sw + kx·dw
 * for lane l, rows iy0 + ky·dh for ky in [ky0, ky1). The same order and arithmetic per lane as
 * the scalar loop (float64 sums, NaN wins), so the results are identical.
 */
// @ts-ignore: decorator
@inline
function vectorWindow(
  xp: usize, W: i32, sw: i32, dh: i32, dw: i32, iy0: i32, ix: i32, ky0: i32, ky1: i32, kw: i32, max: bool,
  divisorLo: v128, divisorHi: v128, y: usize,
): void {
  let m = f32x4.splat(-Infinity);
  let sumLo = f64x2.splat(0), sumHi = f64x2.splat(0);
  for (let ky = ky0; ky < ky1; ky++) {
    const row = xp + <usize>((iy0 + ky * dh) * W + ix) * 4;
    for (let kx = 0; kx < kw; kx++) {
      const at = row + <usize>(kx * dw) * 4;
      let v: v128;
      if (sw == 1) {
        v = v128.load(at);
      } else if (sw == 2) {
        // Cells 0, 2, 4, 6 from two loads that stay inside the window's cells (0–3 and 3–6).
        v = v128.shuffle<f32>(v128.load(at), v128.load(at, 12), 0, 2, 5, 7);
      } else {
        const s = <usize>sw * 4;
        v = f32x4.splat(load<f32>(at));
        v = f32x4.replace_lane(v, 1, load<f32>(at + s));
        v = f32x4.replace_lane(v, 2, load<f32>(at + 2 * s));
        v = f32x4.replace_lane(v, 3, load<f32>(at + 3 * s));
      }
      if (max) {
        m = v128.bitselect(v, m, v128.or(f32x4.gt(v, m), f32x4.ne(v, v)));
      } else {
        sumLo = f64x2.add(sumLo, f64x2.promote_low_f32x4(v));
        sumHi = f64x2.add(sumHi, f64x2.promote_low_f32x4(v128.shuffle<f32>(v, v, 2, 3, 0, 1)));
      }
    }
  }
  if (max) {
    v128.store(y, m);
  } else {
    const lo = f32x4.demote_f64x2_zero(f64x2.div(sumLo, divisorLo));
    const hi = f32x4.demote_f64x2_zero(f64x2.div(sumHi, divisorHi));
    v128.store(y, v128.shuffle<f32>(lo, hi, 0, 1, 4, 5));
  }
}
