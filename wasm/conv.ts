// Direct convolution with stride 1 for small images (LeNet's layers), without im2col: each image
// is copied once into a zero-padded [C, Hp, Wp] block, and the output is computed on the padded
// width: output (oy, ox) is column j = oy·Wp + ox, and tap t = (ci, ky, kx) reads input cell
// j + off[t] with off[t] = ci·Hp·Wp + ky·dh·Wp + kx·dw. So every tap reads 8 neighbouring
// columns as two v128 loads straight from the padded image, and the micro-kernel is gemm's (4
// output channels × 8 columns in 8 accumulators) with B's rows found through the offset table.
// Columns with ox ≥ OW are computed and dropped: OW/Wp of the work is used (LeNet 28/32, 10/14),
// against im2col's copy of every tap of every pixel. The used columns are moved into the output,
// then gemm's epilogue adds the bias and applies the activation there.

import { ACT_NONE } from './activation';
import { copyFloats } from './floats';
import { epilogue, madd, tile } from './gemm';

/** Output channels per micro-tile (rows of gemm's tile; tileTwoRows takes 2 over twice the columns). */
const MR = 4;
/** Columns per micro-tile: two f32x4. */
const NR = 8;

/** Scratch bytes convDirect needs for a group of C planes padded to [Hp, Wp], O outputs and K taps. */
export function convDirectScratchBytes(C: i32, Hp: i32, Wp: i32, O: i32, K: i32, OH: i32): i32 {
  const columns = columnsOf(OH, Wp);
  return align64(paddedFloats(C, Hp, Wp, columns) * 4) + align64(((O + MR - 1) / MR) * MR * K * 4) + align64(K * 4) + MR * columns * 4;
}

/**
 * y[n, o] = act(bias[o] + Σ w[o, ci, ky, kx] · x[n, ci, oy + ky·dh − pt, ox + kx·dw − pl]) for N
 * images of C planes [H, W] into O planes [OH, OW] (stride 1, one group). w is [O, C, kh, kw];
 * bias is 0 for none; act/alpha/beta as gemm's epilogue. scratch: convDirectScratchBytes().
 */
export function convDirect(
  x: usize, N: i32, C: i32, H: i32, W: i32, w: usize, O: i32, kh: i32, kw: i32, dh: i32, dw: i32,
  pt: i32, pl: i32, pb: i32, pr: i32, bias: usize, act: i32, alpha: f32, beta: f32, y: usize, scratch: usize,
): void {
  const Hp = H + pt + pb, Wp = W + pl + pr;
  const OH = Hp - (kh - 1) * dh, OW = Wp - (kw - 1) * dw;
  if (OH <= 0 || OW <= 0 || O <= 0) return;
  const K = C * kh * kw;
  const columns = columnsOf(OH, Wp);
  const padded = scratch;
  const packed = padded + <usize>align64(paddedFloats(C, Hp, Wp, columns) * 4);
  const blocks = (O + MR - 1) / MR;
  const offsets = packed + <usize>align64(blocks * MR * K * 4);
  const rows = offsets + <usize>align64(K * 4);
  // The padded block's tail past the last image row stays zero: the last tile's dropped columns read it.
  memory.fill(padded, 0, <usize>paddedFloats(C, Hp, Wp, columns) * 4);
  packWeights(w, O, K, packed);
  for (let ci = 0, t = 0; ci < C; ci++) {
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, t++) store<i32>(offsets + <usize>t * 4, ((ci * Hp + ky * dh) * Wp + kx * dw) * 4);
    }
  }
  for (let n = 0; n < N; n++) {
    // The image into the padded block (its zero border was written above and is never overwritten).
    for (let ci = 0; ci < C; ci++) {
      const from = x + <usize>(n * C + ci) * H * W * 4;
      const to = padded + <usize>((ci * Hp + pt) * Wp + pl) * 4;
      for (let iy = 0; iy < H; iy++) copyFloats(to + <usize>iy * Wp * 4, from + <usize>iy * W * 4, W);
    }
    for (let b = 0; b < blocks; b++) {
      const ap = packed + <usize>b * MR * K * 4;
      const o0 = b * MR;
      const mr = min(MR, O - o0);
      if (mr <= 2) {
        // One or two channels left (LeNet's 6 = 4 + 2): a 2 × 16 tile instead of half a 4 × 8 one.
        for (let j = 0; j < columns; j += 2 * NR) tileTwoRows(K, ap, offsets, padded + <usize>j * 4, rows + <usize>j * 4, columns);
      } else {
        for (let j = 0; j < columns; j += NR) tile(K, ap, padded + <usize>j * 4, 0, true, offsets, rows + <usize>j * 4, columns, false);
      }
      // The used columns of the block's rows into y, then gemm's epilogue (bias and activation) on them.
      for (let r = 0; r < mr; r++) {
        const plane = y + <usize>(n * O + o0 + r) * OH * OW * 4;
        const row = rows + <usize>r * columns * 4;
        for (let oy = 0; oy < OH; oy++) copyFloats(plane + <usize>oy * OW * 4, row + <usize>oy * Wp * 4, OW);
      }
      if (bias != 0 || act != ACT_NONE) {
        epilogue(mr, OH * OW, y + <usize>(n * O + o0) * OH * OW * 4, OH * OW, bias + <usize>o0 * 4, bias != 0 ? 2 : 0, act, alpha, beta);
      }
    }
  }
}

/** tile() for the first two rows of the A panel, over 16 columns: 4 loads of B per tap. */
// @ts-ignore: decorator
@inline
function tileTwoRows(K: i32, ap: usize, offsets: usize, xj: usize, c: usize, ld: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0), c03 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0), c13 = f32x4.splat(0);
  for (let t = 0; t < K; t++) {
    const bp = xj + <usize>load<i32>(offsets + <usize>t * 4);
    const b0 = v128.load(bp), b1 = v128.load(bp, 16), b2 = v128.load(bp, 32), b3 = v128.load(bp, 48);
    let av = v128.load32_splat(ap);
    c00 = madd(av, b0, c00); c01 = madd(av, b1, c01); c02 = madd(av, b2, c02); c03 = madd(av, b3, c03);
    av = v128.load32_splat(ap, 4);
    c10 = madd(av, b0, c10); c11 = madd(av, b1, c11); c12 = madd(av, b2, c12); c13 = madd(av, b3, c13);
    ap += MR * 4;
  }
  const s = <usize>ld * 4;
  v128.store(c, c00); v128.store(c, c01, 16); v128.store(c, c02, 32); v128.store(c, c03, 48);
  v128.store(c + s, c10); v128.store(c + s, c11, 16); v128.store(c + s, c12, 32); v128.store(c + s, c13, 48);
}

/** w [O, K] as panels [O/MR][K][MR], the rows past O zero. */
function packWeights(w: usize, O: i32, K: i32, dst: usize): void {
  for (let o0 = 0; o0 < O; o0 += MR) {
    for (let t = 0; t < K; t++) {
      for (let r = 0; r < MR; r++) {
        const o = o0 + r;
        store<f32>(dst, o < O ? load<f32>(w + (<usize>o * K + t) * 4) : 0);
        dst += 4;
      }
    }
  }
}

/** Output columns on the padded width, rounded up to whole tiles of either kind (16 columns). */
// @ts-ignore: decorator
@inline
function columnsOf(OH: i32, Wp: i32): i32 {
  return (OH * Wp + 2 * NR - 1) / (2 * NR) * (2 * NR);
}

/**
 * Floats of the padded block and room past it: a tile at column j reads up to j + 15 + the last
 * offset, (C − 1)·Hp·Wp + (Hp − OH)·Wp + Wp − OW, which is below columns + C·Hp·Wp.
 */
// @ts-ignore: decorator
@inline
function paddedFloats(C: i32, Hp: i32, Wp: i32, columns: i32): i32 {
  return C * Hp * Wp + columns;
}

// @ts-ignore: decorator
@inline
function align64(bytes: i32): i32 {
  return (bytes + 63) & ~63;
}
