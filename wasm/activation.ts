// exp, sigmoid and tanh of 4 float32 lanes at once, for the GEMM epilogue and the recurrent steps.
// Error bound, relative to float64 (checked over [−30, 30] and near 0 by test/wasmKernels.test.ts):
// sigmoid4 and tanh4 < 4e-7, 1.5e-7 measured (exp4: Cephes' expf polynomial after a round-to-nearest range
// reduction; tanh: a Taylor polynomial below |x| 0.25, where (1 − e)/(1 + e) would cancel). NaN
// passes through each; ±∞ gives the limits (sigmoid(−∞) a denormal below 1e-37 rather than 0).

/** Inputs are clamped here first: 2^n of the reduction stays a normal float (n in [−126, 127]). */
const EXP_LO: f32 = -87.0;
const EXP_HI: f32 = 88.0;
const LOG2E: f32 = 1.44269504088896341;
// ln 2 split in two so that x − n·ln2 is exact in float32 for |n| ≤ 127 (Cephes).
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;

/** 1.5·2^23: adding it rounds a float below 2^22 in magnitude to an integer, which its low mantissa bits then hold. */
const ROUNDER: f32 = 12582912.0;

/** e^x per lane. */
// @ts-ignore: decorator
@inline
export function exp4(x: v128): v128 {
  // pmin/pmax are one instruction each on x64 (min/max are several, for NaN) and keep a NaN x.
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_HI)), f32x4.splat(EXP_LO));
  // n = round(x·log2 e), with the integer n also in the low bits of t.
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUNDER));
  const n = f32x4.sub(t, f32x4.splat(ROUNDER));
  const r = f32x4.sub(f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI))), f32x4.mul(n, f32x4.splat(LN2_LO)));
  // e^r on [−ln2/2, ln2/2]: 1 + r + r²·P(r).
  let p = f32x4.splat(1.9875691500e-4);
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.3981999507e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(8.3334519073e-3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(4.1665795894e-2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(1.6666665459e-1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(5.0000001201e-1));
  const er = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  // 2^n: n + 127 in the exponent field, from t's bits (ROUNDER's are 0x4B400000); er is NaN for a NaN x.
  const scale = i32x4.shl(i32x4.add(t, i32x4.splat(127 - 0x4b400000)), 23);
  return f32x4.mul(er, scale);
}

/** v clamped to [lo, hi] (a NaN v stays NaN): the gates' clip. */
// @ts-ignore: decorator
@inline
export function clamp4(v: v128, lo: v128, hi: v128): v128 {
  return f32x4.pmin(f32x4.pmax(v, lo), hi);
}

/** 1 / (1 + e^−x) per lane. */
// @ts-ignore: decorator
@inline
export function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, exp4(f32x4.neg(x))));
}

/** tanh x per lane: sign(x)·(1 − e)/(1 + e) with e = e^−2|x|, and an odd polynomial near 0. */
// @ts-ignore: decorator
@inline
export function tanh4(x: v128): v128 {
  const one = f32x4.splat(1);
  const a = f32x4.abs(x);
  const e = exp4(f32x4.mul(a, f32x4.splat(-2)));
  const far = f32x4.div(f32x4.sub(one, e), f32x4.add(one, e));
  // Taylor to x⁹: the x¹¹ term is < 1e-8 relative at 0.25.
  const x2 = f32x4.mul(x, x);
  let p = f32x4.splat(<f32>(62.0 / 2835.0));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(<f32>(-17.0 / 315.0)));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(<f32>(2.0 / 15.0)));
  p = f32x4.add(f32x4.mul(p, x2), f32x4.splat(<f32>(-1.0 / 3.0)));
  // x·(1 + x²·P(x²)): −0 stays −0.
  const near = f32x4.mul(x, f32x4.add(f32x4.splat(1), f32x4.mul(p, x2)));
  // far carries x's sign bit; NaN fails a < 0.25 and takes far (NaN).
  const signed = v128.bitselect(x, far, i32x4.splat(0x80000000));
  return v128.bitselect(near, signed, f32x4.lt(a, f32x4.splat(0.25)));
}

// Activation codes (shared with src/backends/cpu/wasm/wasmKernels.ts).
export const ACT_NONE = 0;
const ACT_RELU = 1;
const ACT_LEAKY = 2;
const ACT_CLIP = 3;
const ACT_SIGMOID = 4;
const ACT_TANH = 5;

/** The activation `act` of 4 values (alpha: leaky slope or clip min, beta: clip max); NaN passes through every one, as in activation.ts. */
// @ts-ignore: decorator
@inline
export function activate4(v: v128, act: i32, zero: v128, lo: v128, hi: v128): v128 {
  if (act == ACT_RELU) return v128.bitselect(zero, v, f32x4.lt(v, zero));
  if (act == ACT_LEAKY) return v128.bitselect(v, f32x4.mul(v, lo), f32x4.ge(v, zero));
  if (act == ACT_CLIP) return f32x4.min(f32x4.max(v, lo), hi);
  if (act == ACT_SIGMOID) return sigmoid4(v);
  if (act == ACT_TANH) return tanh4(v);
  return v;
}

/** The standalone activation op: n floats at x, activated in place. */
export function activate(x: usize, n: i32, act: i32, alpha: f32, beta: f32): void {
  const zero = f32x4.splat(0);
  const lo = f32x4.splat(alpha);
  const hi = f32x4.splat(beta);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const at = x + <usize>i * 4;
    v128.store(at, activate4(v128.load(at), act, zero, lo, hi));
  }
  for (; i < n; i++) {
    const at = x + <usize>i * 4;
    store<f32>(at, f32x4.extract_lane(activate4(f32x4.splat(load<f32>(at)), act, zero, lo, hi), 0));
  }
}
