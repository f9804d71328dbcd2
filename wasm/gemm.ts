// GEMM in wasm SIMD (f32x4): C[m, n] (= or +=) op(A)[m, k] · op(B)[k, n], then an optional
// bias and activation epilogue. BLIS's loop order: a KC × NC block of op(B) is packed into
// panels of NR columns, an MC × KC block of op(A) into panels of MR rows, and a register-blocked
// micro-kernel sums one MR × NR tile of C in 8 v128 accumulators over the panels' KC.
// Pointers are byte addresses in this module's memory; strides (ld*) are in elements.
// Products are summed in float32 (f32x4.mul + f32x4.add: baseline SIMD has no fused multiply-add;
// relaxed SIMD's relaxed_madd measured no faster in V8, so one baseline module serves everywhere).

import { ACT_NONE, activate4 } from './activation';

/**
 * Rows of A per micro-tile: 4 rows × 2 vectors = 8 accumulators, + 2 of B + 1 of A. A 6 × 8 tile
 * (15 registers) ran at half the speed in V8 (1024³: 22 against 43–48 GFLOP/s per CPU second):
 * V8 keeps one of x64's 16 xmm registers as scratch, so 6 × 8 spills.
 */
const MR = 4;
/** Columns of B per micro-tile: two f32x4. */
const NR = 8;
/** Depth of a packed block: the B micro-panel (KC × NR floats, 8 KiB) stays in L1. */
const KC = 256;
/** Rows of A per packed block (a multiple of MR): the A block (MC × KC floats, 96 KiB) stays in L2. */
const MC = 96;
/** Columns of B per packed block: the B block (KC × NC floats, 2 MiB) stays in the last-level cache. */
const NC = 2048;

/**
 * Products of at most this many rows read a row-major B in place: each B value then serves only
 * m multiply-adds, and packing it would cost about as much as the product (LeNet's first
 * convolution, 6 output channels over 25 taps).
 */
const DIRECT_B_ROWS = 8;

/** Scratch the caller provides for gemm's packed panels, in bytes. */
export function gemmScratchBytes(): i32 {
  return (MC * KC + KC * NC + MR * NR) * 4;
}

/**
 * C = op(A)·op(B) (+ C when `accumulate`), then + bias (biasPer 1: bias[j] per column, 2:
 * bias[i] per row) and the activation `act` (alpha: leaky slope or clip min, beta: clip max).
 * op(A) element (i, p) is A[i·lda + p], or A[p·lda + i] when transA; op(B) element (p, j) is
 * B[p·ldb + j], or B[j·ldb + p] when transB. k = 0 gives C = 0 (or C unchanged), then the epilogue.
 */
export function gemm(
  transA: bool, transB: bool, m: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: bool,
  bias: usize, biasPer: i32, act: i32, alpha: f32, beta: f32, scratch: usize,
): void {
  if (m <= 0 || n <= 0) return;
  const aRow = transA ? 1 : lda;
  const aCol = transA ? lda : 1;
  const bRow = transB ? 1 : ldb;
  const bCol = transB ? ldb : 1;
  if (k <= 0) {
    if (!accumulate) for (let i = 0; i < m; i++) memory.fill(c + <usize>i * ldc * 4, 0, <usize>n * 4);
  } else if (m < 4) {
    for (let i = 0; i < m; i++) gemvRow(n, k, a + <usize>i * aRow * 4, aCol, b, bRow, bCol, c + <usize>i * ldc * 4, accumulate);
  } else {
    const packedA = scratch;
    const packedB = scratch + MC * KC * 4;
    const edge = packedB + KC * NC * 4;
    for (let j0 = 0; j0 < n; j0 += NC) {
      const nc = min(NC, n - j0);
      for (let p0 = 0; p0 < k; p0 += KC) {
        const kc = min(KC, k - p0);
        const bBlock = b + (<usize>p0 * bRow + <usize>j0 * bCol) * 4;
        const direct = bCol == 1 && m <= DIRECT_B_ROWS;
        if (!direct) packB(bBlock, bRow, bCol, kc, nc, packedB);
        const add = accumulate || p0 > 0;
        for (let i0 = 0; i0 < m; i0 += MC) {
          const mc = min(MC, m - i0);
          packA(a + (<usize>i0 * aRow + <usize>p0 * aCol) * 4, aRow, aCol, mc, kc, packedA);
          for (let j = 0; j < nc; j += NR) {
            const nr = min(NR, nc - j);
            // The B panel: packed, or in place (a last partial strip is packed, zero-padded).
            let bp = packedB + <usize>j * kc * 4;
            let bStep: usize = NR * 4;
            if (direct && nr == NR) {
              bp = bBlock + <usize>j * 4;
              bStep = <usize>bRow * 4;
            } else if (direct) {
              packB(bBlock + <usize>j * 4, bRow, bCol, kc, nr, packedB);
              bp = packedB;
            }
            for (let i = 0; i < mc; i += MR) {
              const mr = min(MR, mc - i);
              const cTile = c + (<usize>(i0 + i) * ldc + <usize>(j0 + j)) * 4;
              if (mr == MR && nr == NR) {
                tile(kc, packedA + <usize>i * kc * 4, bp, bStep, false, 0, cTile, ldc, add);
              } else {
                // A partial tile: sum a full one into `edge`, then move the part that exists
                // (whole rows as vectors: LeNet's first convolution has 6 rows, a 4 and a 2).
                tile(kc, packedA + <usize>i * kc * 4, bp, bStep, false, 0, edge, NR, false);
                if (nr == NR) {
                  for (let r = 0; r < mr; r++) {
                    const to = cTile + <usize>r * ldc * 4;
                    let v0 = v128.load(edge + <usize>r * NR * 4);
                    let v1 = v128.load(edge + <usize>r * NR * 4, 16);
                    if (add) {
                      v0 = f32x4.add(v128.load(to), v0);
                      v1 = f32x4.add(v128.load(to, 16), v1);
                    }
                    v128.store(to, v0);
                    v128.store(to, v1, 16);
                  }
                  continue;
                }
                for (let r = 0; r < mr; r++) {
                  for (let q = 0; q < nr; q++) {
                    const to = cTile + (<usize>r * ldc + q) * 4;
                    const v = load<f32>(edge + (<usize>r * NR + q) * 4);
                    store<f32>(to, add ? load<f32>(to) + v : v);
                  }
                }
              }
            }
          }
        }
      }
    }
  }
  if (biasPer != 0 || act != ACT_NONE) epilogue(m, n, c, ldc, bias, biasPer, act, alpha, beta);
}

/** Packs op(B)[kc, nc] (element (p, j) at b + (p·bRow + j·bCol)·4) as panels [nc/NR][kc][NR], zero-padded. */
function packB(b: usize, bRow: i32, bCol: i32, kc: i32, nc: i32, dst: usize): void {
  for (let j = 0; j < nc; j += NR) {
    const nr = min(NR, nc - j);
    const src = b + <usize>j * bCol * 4;
    if (nr == NR && bCol == 1) {
      for (let p = 0; p < kc; p++) {
        const row = src + <usize>p * bRow * 4;
        v128.store(dst, v128.load(row));
        v128.store(dst, v128.load(row, 16), 16);
        dst += NR * 4;
      }
    } else if (nr == NR && bRow == 1) {
      // B stored [n, k] (a linear weight): NR rows read side by side, one float of each per p.
      const s = <usize>bCol * 4;
      for (let p = 0; p < kc; p++) {
        const at = src + <usize>p * 4;
        store<f32>(dst, load<f32>(at));
        store<f32>(dst, load<f32>(at + s), 4);
        store<f32>(dst, load<f32>(at + 2 * s), 8);
        store<f32>(dst, load<f32>(at + 3 * s), 12);
        store<f32>(dst, load<f32>(at + 4 * s), 16);
        store<f32>(dst, load<f32>(at + 5 * s), 20);
        store<f32>(dst, load<f32>(at + 6 * s), 24);
        store<f32>(dst, load<f32>(at + 7 * s), 28);
        dst += NR * 4;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let q = 0; q < NR; q++) {
          store<f32>(dst + <usize>q * 4, q < nr ? load<f32>(src + (<usize>p * bRow + <usize>q * bCol) * 4) : 0);
        }
        dst += NR * 4;
      }
    }
  }
}

/** Packs op(A)[mc, kc] (element (i, p) at a + (i·aRow + p·aCol)·4) as panels [mc/MR][kc][MR], zero-padded. */
function packA(a: usize, aRow: i32, aCol: i32, mc: i32, kc: i32, dst: usize): void {
  for (let i = 0; i < mc; i += MR) {
    const mr = min(MR, mc - i);
    const src = a + <usize>i * aRow * 4;
    if (mr == MR) {
      const r = <usize>aRow * 4;
      for (let p = 0; p < kc; p++) {
        const at = src + <usize>p * aCol * 4;
        store<f32>(dst, load<f32>(at));
        store<f32>(dst, load<f32>(at + r), 4);
        store<f32>(dst, load<f32>(at + 2 * r), 8);
        store<f32>(dst, load<f32>(at + 3 * r), 12);
        dst += MR * 4;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let q = 0; q < MR; q++) {
          store<f32>(dst + <usize>q * 4, q < mr ? load<f32>(src + (<usize>q * aRow + <usize>p * aCol) * 4) : 0);
        }
        dst += MR * 4;
      }
    }
  }
}

/**
 * The micro-kernel: C[MR, NR] at c (row stride ldc) (+)= A panel [kc][MR] · B panel [kc][NR],
 * the B panel's rows `bStep` bytes apart (NR·4 packed, B's row stride in place) — or, where
 * `indirect` (a constant at each call, so inlining drops the other case), row p at bp +
 * offsets[p] (conv.ts's direct convolution: the taps of an image).
 */
// @ts-ignore: decorator
@inline
export function tile(kc: i32, ap: usize, bp: usize, bStep: usize, indirect: bool, offsets: usize, c: usize, ldc: i32, add: bool): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const row = indirect ? bp + <usize>load<i32>(offsets + <usize>p * 4) : bp;
    const b0 = v128.load(row);
    const b1 = v128.load(row, 16);
    let av = v128.load32_splat(ap);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01);
    av = v128.load32_splat(ap, 4);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11);
    av = v128.load32_splat(ap, 8);
    c20 = madd(av, b0, c20); c21 = madd(av, b1, c21);
    av = v128.load32_splat(ap, 12);
    c30 = madd(av, b0, c30); c31 = madd(av, b1, c31);
    ap += MR * 4;
    if (!indirect) bp += bStep;
  }
  const s = <usize>ldc * 4;
  if (add) {
    c00 = f32x4.add(c00, v128.load(c)); c01 = f32x4.add(c01, v128.load(c, 16));
    c10 = f32x4.add(c10, v128.load(c + s)); c11 = f32x4.add(c11, v128.load(c + s, 16));
    c20 = f32x4.add(c20, v128.load(c + 2 * s)); c21 = f32x4.add(c21, v128.load(c + 2 * s, 16));
    c30 = f32x4.add(c30, v128.load(c + 3 * s)); c31 = f32x4.add(c31, v128.load(c + 3 * s, 16));
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + s, c10); v128.store(c + s, c11, 16);
  v128.store(c + 2 * s, c20); v128.store(c + 2 * s, c21, 16);
  v128.store(c + 3 * s, c30); v128.store(c + 3 * s, c31, 16);
}

/**
 * One row of C for the thin products (m < 4: a linear layer at batch 1, a recurrent step) where
 * packing B would cost as much as the product: c[0, n] (+)= a[0, k] · op(B)[k, n], in place.
 */
function gemvRow(n: i32, k: i32, a: usize, aCol: i32, b: usize, bRow: i32, bCol: i32, c: usize, accumulate: bool): void {
  if (bCol == 1) {
    // B row-major: c[j..j+8] += a[p] · B[p, j..j+8], a strip of 8 columns at a time down all of k.
    let j = 0;
    for (; j + NR <= n; j += NR) {
      let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
      let bp = b + <usize>j * 4;
      let ap = a;
      for (let p = 0; p < k; p++) {
        const av = v128.load32_splat(ap);
        s0 = madd(av, v128.load(bp), s0);
        s1 = madd(av, v128.load(bp, 16), s1);
        ap += <usize>aCol * 4;
        bp += <usize>bRow * 4;
      }
      const to = c + <usize>j * 4;
      if (accumulate) { s0 = f32x4.add(s0, v128.load(to)); s1 = f32x4.add(s1, v128.load(to, 16)); }
      v128.store(to, s0);
      v128.store(to, s1, 16);
    }
    for (; j < n; j++) {
      let s: f32 = 0;
      for (let p = 0; p < k; p++) s += load<f32>(a + <usize>p * aCol * 4) * load<f32>(b + (<usize>p * bRow + j) * 4);
      const to = c + <usize>j * 4;
      store<f32>(to, accumulate ? load<f32>(to) + s : s);
    }
  } else {
    // B stored [n, k] (bRow = 1): each c[j] is a dot product of two contiguous rows, 4 at a time.
    for (let j = 0; j < n; j++) {
      const row = b + <usize>j * bCol * 4;
      let s: f32 = 0;
      if (aCol == 1) {
        let v0 = f32x4.splat(0), v1 = f32x4.splat(0);
        let p = 0;
        for (; p + 8 <= k; p += 8) {
          v0 = madd(v128.load(a + <usize>p * 4), v128.load(row + <usize>p * 4), v0);
          v1 = madd(v128.load(a + <usize>p * 4, 16), v128.load(row + <usize>p * 4, 16), v1);
        }
        v0 = f32x4.add(v0, v1);
        s = f32x4.extract_lane(v0, 0) + f32x4.extract_lane(v0, 1) + (f32x4.extract_lane(v0, 2) + f32x4.extract_lane(v0, 3));
        for (; p < k; p++) s += load<f32>(a + <usize>p * 4) * load<f32>(row + <usize>p * 4);
      } else {
        for (let p = 0; p < k; p++) s += load<f32>(a + <usize>p * aCol * 4) * load<f32>(row + <usize>p * 4);
      }
      const to = c + <usize>j * 4;
      store<f32>(to, accumulate ? load<f32>(to) + s : s);
    }
  }
}

/** C[m, n] += bias (per column or per row), then the activation, 4 columns at a time. */
export function epilogue(m: i32, n: i32, c: usize, ldc: i32, bias: usize, biasPer: i32, act: i32, alpha: f32, beta: f32): void {
  const zero = f32x4.splat(0);
  const lo = f32x4.splat(alpha);
  const hi = f32x4.splat(beta);
  for (let i = 0; i < m; i++) {
    const row = c + <usize>i * ldc * 4;
    const rowBias = biasPer == 2 ? f32x4.splat(load<f32>(bias + <usize>i * 4)) : zero;
    let j = 0;
    for (; j + 4 <= n; j += 4) {
      const at = row + <usize>j * 4;
      let v = v128.load(at);
      if (biasPer == 1) v = f32x4.add(v, v128.load(bias + <usize>j * 4));
      else if (biasPer == 2) v = f32x4.add(v, rowBias);
      store<v128>(at, activate4(v, act, zero, lo, hi));
    }
    for (; j < n; j++) {
      const at = row + <usize>j * 4;
      let v = load<f32>(at);
      if (biasPer == 1) v += load<f32>(bias + <usize>j * 4);
      else if (biasPer == 2) v += load<f32>(bias + <usize>i * 4);
      store<f32>(at, f32x4.extract_lane(activate4(f32x4.splat(v), act, zero, lo, hi), 0));
    }
  }
}

/** a·b + c per lane, rounded twice. */
// @ts-ignore: decorator
@inline
export function madd(a: v128, b: v128, c: v128): v128 {
  return f32x4.add(f32x4.mul(a, b), c);
}
