// One time step of LSTM, GRU (PyTorch's linearBeforeReset) or the Elman RNN for `rows` batch rows,
// fused: the recurrent matvec W_hh·h of every gate row, the gates and the state update, in
// place. The same formulas as src/ops/recurrent/recurrentMath.ts (recurrentStep), in float32.

import { madd } from './gemm';

const LSTM = 0;
const GRU = 1;
const RNN_TANH = 2;
const RNN_RELU = 3;

/**
 * For each batch row b < rows: xp + b·xpStride holds the row's input projection [G·H] (with
 * b_ih); h + b·H·4 and c + b·H·4 its state [H], replaced by the new one. wHh [G·H, H], bHh [G·H]
 * (0: none), wPh [3, H] LSTM peepholes (0: none); gates: scratch of G·H floats.
 */
export function recurrentStep(
  mode: i32, rows: i32, H: i32, wHh: usize, bHh: usize, wPh: usize, clip: f32,
  xp: usize, xpStride: i32, h: usize, c: usize, gates: usize,
): void {
  const G = mode == LSTM ? 4 : mode == GRU ? 3 : 1;
  const GH = G * H;
  for (let r = 0; r < rows; r++) {
    const x = xp + <usize>r * xpStride * 4;
    const hr = h + <usize>r * H * 4;
    const cr = c + <usize>r * H * 4;
    // gates[j] = W_hh[j] · h + b_hh[j] for every gate row (GRU's n rows get x added below, after r).
    matvec(GH, H, wHh, hr, gates);
    if (bHh != 0) for (let j = 0; j < GH; j++) store<f32>(gates + <usize>j * 4, load<f32>(gates + <usize>j * 4) + load<f32>(bHh + <usize>j * 4));
    if (mode == LSTM) {
      for (let u = 0; u < H; u++) {
        const o4 = <usize>u * 4;
        const cPrev = load<f32>(cr + o4);
        let pi: f32 = 0, pf: f32 = 0, po: f32 = 0;
        if (wPh != 0) { pi = load<f32>(wPh + o4); pf = load<f32>(wPh + <usize>H * 4 + o4); po = load<f32>(wPh + <usize>2 * H * 4 + o4); }
        const i = sigmoid(clamp(load<f32>(x + o4) + load<f32>(gates + o4) + pi * cPrev, clip));
        const f = sigmoid(clamp(load<f32>(x + <usize>H * 4 + o4) + load<f32>(gates + <usize>H * 4 + o4) + pf * cPrev, clip));
        const g = Mathf.tanh(clamp(load<f32>(x + <usize>2 * H * 4 + o4) + load<f32>(gates + <usize>2 * H * 4 + o4), clip));
        const cNew = f * cPrev + i * g;
        const o = sigmoid(clamp(load<f32>(x + <usize>3 * H * 4 + o4) + load<f32>(gates + <usize>3 * H * 4 + o4) + po * cNew, clip));
        store<f32>(cr + o4, cNew);
        store<f32>(hr + o4, o * Mathf.tanh(cNew));
      }
    } else if (mode == GRU) {
      for (let u = 0; u < H; u++) {
        const o4 = <usize>u * 4;
        const rg = sigmoid(clamp(load<f32>(x + o4) + load<f32>(gates + o4), clip));
        const z = sigmoid(clamp(load<f32>(x + <usize>H * 4 + o4) + load<f32>(gates + <usize>H * 4 + o4), clip));
        const n = Mathf.tanh(clamp(load<f32>(x + <usize>2 * H * 4 + o4) + rg * load<f32>(gates + <usize>2 * H * 4 + o4), clip));
        store<f32>(hr + o4, (1 - z) * n + z * load<f32>(hr + o4));
      }
    } else {
      for (let u = 0; u < H; u++) {
        const o4 = <usize>u * 4;
        const v = clamp(load<f32>(x + o4) + load<f32>(gates + o4), clip);
        store<f32>(hr + o4, mode == RNN_RELU ? (v < 0 ? 0 : v) : Mathf.tanh(v));
      }
    }
  }
}

/** out[j] = w[j] · v for j < rows, w [rows, n] row-major: four rows at a time, 4 lanes of n each. */
function matvec(rows: i32, n: i32, w: usize, v: usize, out: usize): void {
  const rowBytes = <usize>n * 4;
  const n4 = n & ~3;
  let j = 0;
  for (; j + 4 <= rows; j += 4) {
    const w0 = w + <usize>j * rowBytes;
    const w1 = w0 + rowBytes, w2 = w1 + rowBytes, w3 = w2 + rowBytes;
    let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
    for (let p = 0; p < n4; p += 4) {
      const q = <usize>p * 4;
      const x = v128.load(v + q);
      s0 = madd(v128.load(w0 + q), x, s0);
      s1 = madd(v128.load(w1 + q), x, s1);
      s2 = madd(v128.load(w2 + q), x, s2);
      s3 = madd(v128.load(w3 + q), x, s3);
    }
    // Transpose-add: lane r of the sum is row j + r's total.
    const t0 = f32x4.add(v128.shuffle<f32>(s0, s1, 0, 4, 1, 5), v128.shuffle<f32>(s0, s1, 2, 6, 3, 7));
    const t1 = f32x4.add(v128.shuffle<f32>(s2, s3, 0, 4, 1, 5), v128.shuffle<f32>(s2, s3, 2, 6, 3, 7));
    let sum = f32x4.add(v128.shuffle<f32>(t0, t1, 0, 1, 4, 5), v128.shuffle<f32>(t0, t1, 2, 3, 6, 7));
    for (let p = n4; p < n; p++) {
      const x = load<f32>(v + <usize>p * 4);
      const tail = f32x4(load<f32>(w0 + <usize>p * 4) * x, load<f32>(w1 + <usize>p * 4) * x, load<f32>(w2 + <usize>p * 4) * x, load<f32>(w3 + <usize>p * 4) * x);
      sum = f32x4.add(sum, tail);
    }
    v128.store(out + <usize>j * 4, sum);
  }
  for (; j < rows; j++) {
    const wj = w + <usize>j * rowBytes;
    let s: f32 = 0;
    for (let p = 0; p < n; p++) s += load<f32>(wj + <usize>p * 4) * load<f32>(v + <usize>p * 4);
    store<f32>(out + <usize>j * 4, s);
  }
}

// @ts-ignore: decorator
@inline
function sigmoid(v: f32): f32 {
  return 1 / (1 + Mathf.exp(-v));
}

// @ts-ignore: decorator
@inline
function clamp(v: f32, clip: f32): f32 {
  return v < -clip ? -clip : v > clip ? clip : v;
}
