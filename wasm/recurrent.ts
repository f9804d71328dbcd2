// One time step of LSTM, GRU (PyTorch's linearBeforeReset) or the Elman RNN for `rows` batch rows,
// fused in one pass: for each block of 8 hidden units, the recurrent matvec W_hh·h of the block's
// rows of every gate (accumulated in registers), then the gates and the state update of those 8
// units. The same formulas as src/ops/recurrent/recurrentMath.ts (recurrentStep), in float32
// (sigmoid and tanh: activation.ts's approximations). Blocks are the outer loop and batch rows the
// inner one, so a block's weights (32 KiB at H 256) are read from memory once per step and serve
// every row from L1 (batch 4, H 256: 4 % faster than a pass over all of W_hh per row, in Node).
//
// recurrentPack lays W_hh out for this once per call of the direction: blocks of 8 units, and in
// each, for every input p the 8 weights of each gate side by side — [Hp/8][K][G][8] — so the step
// reads the weights as one contiguous stream, two f32x4 per gate per p, against one splat of h[p].
// States are rows of Hp = H rounded up to 8 floats: lanes past H compute on zero weights and are
// ignored, except lane H, kept 0: K = H rounded up to even reads it (times zero weights) when H is odd.

import { madd } from './gemm';
import { clamp4, sigmoid4, tanh4 } from './activation';

const LSTM = 0;
const GRU = 1;
const RNN_TANH = 2;
const RNN_RELU = 3;

/** Units per block: two f32x4 per gate. */
const UNITS = 8;

// @ts-ignore: decorator
@inline
function gateCount(mode: i32): i32 {
  return mode == LSTM ? 4 : mode == GRU ? 3 : 1;
}

/** Bytes recurrentPack writes for hidden size H: the packed weights, then the packed bias. */
export function recurrentPackedBytes(mode: i32, H: i32): i32 {
  const blocks = (H + UNITS - 1) / UNITS;
  return blocks * gateCount(mode) * UNITS * (((H + 1) & ~1) + 1) * 4;
}

/**
 * Packs wHh [G·H, H] and bHh [G·H] (0: none, zeros) for recurrentStep: the weights as
 * [Hp/8][K][G][8] (K = H rounded up to even), then the bias as [Hp/8][G][8]; units past H and
 * the input p = H are zero.
 */
export function recurrentPack(mode: i32, H: i32, wHh: usize, bHh: usize, dst: usize): void {
  const G = gateCount(mode);
  const blocks = (H + UNITS - 1) / UNITS;
  const K = (H + 1) & ~1;
  let to = dst;
  for (let blk = 0; blk < blocks; blk++) {
    for (let p = 0; p < K; p++) {
      for (let g = 0; g < G; g++) {
        for (let l = 0; l < UNITS; l++) {
          const u = blk * UNITS + l;
          store<f32>(to, u < H && p < H ? load<f32>(wHh + (<usize>(g * H + u) * H + p) * 4) : 0);
          to += 4;
        }
      }
    }
  }
  for (let blk = 0; blk < blocks; blk++) {
    for (let g = 0; g < G; g++) {
      for (let l = 0; l < UNITS; l++) {
        const u = blk * UNITS + l;
        store<f32>(to, bHh != 0 && u < H ? load<f32>(bHh + <usize>(g * H + u) * 4) : 0);
        to += 4;
      }
    }
  }
}

/**
 * For each batch row r < rows: xp + r·xpStride·4 holds the row's input projection [G·H] (with
 * b_ih); hIn + r·Hp·4 its state h (lane H 0 when H is odd), hOut + r·Hp·4 receives the new h (hIn is left as it is: the two must not overlap), and
 * c + r·Hp·4 its cell state (LSTM), replaced by the new one. packed: recurrentPack's output;
 * wPh [3, H] the LSTM peepholes (0: none). Reads up to 7 floats past the end of xp's last gate and
 * wPh's last row: the caller leaves room.
 */
export function recurrentStep(
  mode: i32, rows: i32, H: i32, packed: usize, wPh: usize, clip: f32,
  xp: usize, xpStride: i32, hIn: usize, hOut: usize, c: usize,
): void {
  const G = gateCount(mode);
  const Hp = (H + UNITS - 1) & ~(UNITS - 1);
  const blocks = Hp / UNITS;
  const K = (H + 1) & ~1;
  const blockBytes = <usize>K * G * UNITS * 4;
  const biasAt = packed + <usize>blocks * blockBytes;
  const lo = f32x4.splat(-clip);
  const hi = f32x4.splat(clip);
  const gateBytes = <usize>H * 4;
  const s = SUMS;
  for (let blk = 0; blk < blocks; blk++) {
    const o4 = <usize>blk * UNITS * 4;
    const w = packed + <usize>blk * blockBytes;
    const bias = biasAt + <usize>blk * G * UNITS * 4;
    for (let r = 0; r < rows; r++) {
      const x = xp + <usize>r * xpStride * 4 + o4;
      const hr = hIn + <usize>r * Hp * 4;
      const ho = hOut + <usize>r * Hp * 4 + o4;
      const cr = c + <usize>r * Hp * 4 + o4;
      if (mode == LSTM) {
        recurrentSums4(K, w, hr, bias, s);
        const peep: usize = wPh == 0 ? 0 : wPh + o4;
        lstmCells(x, gateBytes, v128.load(s), v128.load(s, 32), v128.load(s, 64), v128.load(s, 96), cr, ho, peep, lo, hi);
        lstmCells(x + 16, gateBytes, v128.load(s, 16), v128.load(s, 48), v128.load(s, 80), v128.load(s, 112), cr + 16, ho + 16, peep == 0 ? 0 : peep + 16, lo, hi);
      } else if (mode == GRU) {
        recurrentSums3(K, w, hr, bias, s);
        gruCells(x, gateBytes, v128.load(s), v128.load(s, 32), v128.load(s, 64), hr + o4, ho, lo, hi);
        gruCells(x + 16, gateBytes, v128.load(s, 16), v128.load(s, 48), v128.load(s, 80), hr + o4 + 16, ho + 16, lo, hi);
      } else {
        recurrentSums1(K, w, hr, bias, s);
        let a0 = clamp4(f32x4.add(v128.load(x), v128.load(s)), lo, hi);
        let a1 = clamp4(f32x4.add(v128.load(x, 16), v128.load(s, 16)), lo, hi);
        if (mode == RNN_RELU) {
          // v < 0 ? 0 : v, NaN kept.
          const zero = f32x4.splat(0);
          a0 = v128.bitselect(zero, a0, f32x4.lt(a0, zero));
          a1 = v128.bitselect(zero, a1, f32x4.lt(a1, zero));
        } else {
          a0 = tanh4(a0);
          a1 = tanh4(a1);
        }
        v128.store(ho, a0);
        v128.store(ho, a1, 16);
      }
    }
  }
  if (K > H) for (let r = 0; r < rows; r++) store<f32>(hOut + (<usize>r * Hp + H) * 4, 0);
}

/**
 * recurrentStep over a whole sequence whose `rows` batch rows all run every one of its T steps:
 * step s handles t = s (t = T − 1 − s when `reverse`) from xp + t·rows·xpStride·4 and the h of
 * the step before (h0 for the first), and writes its h to out + t·rows·Hp·4 (out: [T, rows, Hp]).
 * One call from JavaScript per direction instead of one per step.
 */
export function recurrentSequence(
  mode: i32, rows: i32, H: i32, packed: usize, wPh: usize, clip: f32,
  xp: usize, xpStride: i32, h0: usize, out: usize, c: usize, T: i32, reverse: i32,
): void {
  const Hp = (H + UNITS - 1) & ~(UNITS - 1);
  const xpBytes = <usize>rows * xpStride * 4;
  const outBytes = <usize>rows * Hp * 4;
  let hIn = h0;
  for (let s = 0; s < T; s++) {
    const t = reverse ? T - 1 - s : s;
    const hOut = out + <usize>t * outBytes;
    recurrentStep(mode, rows, H, packed, wPh, clip, xp + <usize>t * xpBytes, xpStride, hIn, hOut, c);
    hIn = hOut;
  }
}

/**
 * One block's gate sums pass through this static scratch: with the GEMV loops in functions of
 * their own, V8 keeps their accumulators in registers (inlined into the step, 30 against 17 µs
 * per LSTM step at H 256).
 */
const SUMS: usize = memory.data(128, 16);

// The sums bias + W_hh·h of one block of 8 units for 4, 3 and 1 gates, stored [G][8] at s; K
// (even) inputs. Two inputs per iteration and no odd one after the loop: twice as fast in V8 as
// one per iteration, or with a tail (which costs the loop its registers): 16 against 8 GMAC/s.
// Exported only so that Binaryen keeps them functions: it inlines a function with one caller.

export function recurrentSums4(K: i32, w: usize, hr: usize, bias: usize, s: usize): void {
  let i0 = v128.load(bias), i1 = v128.load(bias, 16);
  let f0 = v128.load(bias, 32), f1 = v128.load(bias, 48);
  let g0 = v128.load(bias, 64), g1 = v128.load(bias, 80);
  let q0 = v128.load(bias, 96), q1 = v128.load(bias, 112);
  for (let p = 0; p < K; p += 2) {
    let hv = v128.load32_splat(hr + <usize>p * 4);
    i0 = madd(v128.load(w), hv, i0); i1 = madd(v128.load(w, 16), hv, i1);
    f0 = madd(v128.load(w, 32), hv, f0); f1 = madd(v128.load(w, 48), hv, f1);
    g0 = madd(v128.load(w, 64), hv, g0); g1 = madd(v128.load(w, 80), hv, g1);
    q0 = madd(v128.load(w, 96), hv, q0); q1 = madd(v128.load(w, 112), hv, q1);
    hv = v128.load32_splat(hr + <usize>p * 4, 4);
    i0 = madd(v128.load(w, 128), hv, i0); i1 = madd(v128.load(w, 144), hv, i1);
    f0 = madd(v128.load(w, 160), hv, f0); f1 = madd(v128.load(w, 176), hv, f1);
    g0 = madd(v128.load(w, 192), hv, g0); g1 = madd(v128.load(w, 208), hv, g1);
    q0 = madd(v128.load(w, 224), hv, q0); q1 = madd(v128.load(w, 240), hv, q1);
    w += 256;
  }

  v128.store(s, i0); v128.store(s, i1, 16); v128.store(s, f0, 32); v128.store(s, f1, 48);
  v128.store(s, g0, 64); v128.store(s, g1, 80); v128.store(s, q0, 96); v128.store(s, q1, 112);
}

export function recurrentSums3(K: i32, w: usize, hr: usize, bias: usize, s: usize): void {
  let r0 = v128.load(bias), r1 = v128.load(bias, 16);
  let z0 = v128.load(bias, 32), z1 = v128.load(bias, 48);
  let n0 = v128.load(bias, 64), n1 = v128.load(bias, 80);
  for (let p = 0; p < K; p += 2) {
    let hv = v128.load32_splat(hr + <usize>p * 4);
    r0 = madd(v128.load(w), hv, r0); r1 = madd(v128.load(w, 16), hv, r1);
    z0 = madd(v128.load(w, 32), hv, z0); z1 = madd(v128.load(w, 48), hv, z1);
    n0 = madd(v128.load(w, 64), hv, n0); n1 = madd(v128.load(w, 80), hv, n1);
    hv = v128.load32_splat(hr + <usize>p * 4, 4);
    r0 = madd(v128.load(w, 96), hv, r0); r1 = madd(v128.load(w, 112), hv, r1);
    z0 = madd(v128.load(w, 128), hv, z0); z1 = madd(v128.load(w, 144), hv, z1);
    n0 = madd(v128.load(w, 160), hv, n0); n1 = madd(v128.load(w, 176), hv, n1);
    w += 192;
  }

  v128.store(s, r0); v128.store(s, r1, 16); v128.store(s, z0, 32); v128.store(s, z1, 48);
  v128.store(s, n0, 64); v128.store(s, n1, 80);
}

export function recurrentSums1(K: i32, w: usize, hr: usize, bias: usize, s: usize): void {
  let a0 = v128.load(bias), a1 = v128.load(bias, 16);
  // Four accumulators over even and odd inputs: two chains of additions are too few.
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0);
  for (let p = 0; p < K; p += 2) {
    const hv = v128.load32_splat(hr + <usize>p * 4);
    const hw = v128.load32_splat(hr + <usize>p * 4, 4);
    a0 = madd(v128.load(w), hv, a0); a1 = madd(v128.load(w, 16), hv, a1);
    b0 = madd(v128.load(w, 32), hw, b0); b1 = madd(v128.load(w, 48), hw, b1);
    w += 64;
  }

  v128.store(s, f32x4.add(a0, b0)); v128.store(s, f32x4.add(a1, b1), 16);
}

/** LSTM's gates and state update for 4 units: the gate sums i, f, g, o (W_hh·h + b_hh) plus x. */
// @ts-ignore: decorator
@inline
function lstmCells(x: usize, gateBytes: usize, i: v128, f: v128, g: v128, o: v128, c: usize, h: usize, peep: usize, lo: v128, hi: v128): void {
  const cPrev = v128.load(c);
  i = f32x4.add(i, v128.load(x));
  f = f32x4.add(f, v128.load(x + gateBytes));
  g = f32x4.add(g, v128.load(x + 2 * gateBytes));
  o = f32x4.add(o, v128.load(x + 3 * gateBytes));
  if (peep != 0) {
    i = madd(v128.load(peep), cPrev, i);
    f = madd(v128.load(peep + gateBytes), cPrev, f);
  }
  const ig = sigmoid4(clamp4(i, lo, hi));
  const fg = sigmoid4(clamp4(f, lo, hi));
  const gg = tanh4(clamp4(g, lo, hi));
  const cNew = f32x4.add(f32x4.mul(fg, cPrev), f32x4.mul(ig, gg));
  // The output gate's peephole sees the new cell state (ONNX).
  if (peep != 0) o = madd(v128.load(peep + 2 * gateBytes), cNew, o);
  const og = sigmoid4(clamp4(o, lo, hi));
  v128.store(c, cNew);
  v128.store(h, f32x4.mul(og, tanh4(cNew)));
}

/** GRU's gates and state update for 4 units (PyTorch's n = tanh(x_n + r ⊙ (W_hn h + b_hn))). */
// @ts-ignore: decorator
@inline
function gruCells(x: usize, gateBytes: usize, r: v128, z: v128, n: v128, hPrev: usize, h: usize, lo: v128, hi: v128): void {
  const rg = sigmoid4(clamp4(f32x4.add(r, v128.load(x)), lo, hi));
  const zg = sigmoid4(clamp4(f32x4.add(z, v128.load(x + gateBytes)), lo, hi));
  const ng = tanh4(clamp4(madd(rg, n, v128.load(x + 2 * gateBytes)), lo, hi));
  // (1 − z)·n + z·h
  const hNew = f32x4.add(f32x4.mul(f32x4.sub(f32x4.splat(1), zg), ng), f32x4.mul(zg, v128.load(hPrev)));
  v128.store(h, hNew);
}
