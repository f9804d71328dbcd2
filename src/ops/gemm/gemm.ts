// The CPU's one dense kernel: C[M, N] (= or +=) op(A)[M, K] · op(B)[K, N] on float32 arrays,
// the products summed in float64. matmul, linear, convolution (via im2col) and the recurrent
// input projection call it on sub-arrays given by offsets and row strides (BLAS's lda/ldb/ldc).
//
// How it is blocked, and why (measured on one core with bench/cpu-matmul.bench.ts and throwaway
// variants of this file):
// - Register tile. 2 rows × 8 columns of C are summed in 16 local variables over a block of K.
//   JS numbers are float64, so these locals are also the float64 accumulation DESIGN.md asks
//   for. Each value of B loaded is used twice, each value of A eight times. A last odd row of A
//   uses a 1 × 8 tile (a single row is common: linear layers at batch 1, recurrent steps), the
//   last N % 8 columns plain dot products. Under V8 the tile is bound by instructions (each
//   element load is an index add, a bounds check and a float32 → float64 conversion), not by
//   memory, which is why 2 × 8, 4 × 4 and 3 × 8 tiles measured alike; 2 × 8 needs no padding
//   for the 2 and 3 rows of small batches.
// - Packed A. A block of up to 64 rows × kc of A is copied, as float64, into a panel that stays
//   in L2 (≤ 16384 numbers, 128 KB) while the whole width of B streams past it; a pair of rows
//   is interleaved per k so the tile reads its two values of A side by side. B is read in
//   place: packing it would cost a pass over the weights, which a linear layer with a few rows
//   reads only once, and bought under 10% for large square products.
// - K blocks. A transposed B (linear's weight [out, in]) has its K dimension contiguous, so kc
//   is as long as the panel allows: each weight row then streams from memory in one piece.
//   A row-major B touches one row of memory per k, so kc stays ≤ 256 (the B strip of a tile
//   stays in L1) and, when A has few rows and B is read about once, 32 per row of A: fewer
//   concurrent rows keep the hardware prefetcher with them. Partial sums of successive K blocks
//   meet in C as float32 (one rounding per block, as a float32 BLAS rounds every term).
import { ShapeError } from '../../errors.js';
import { activateInPlace } from '../elementwise/activation.js';
import type { GemmEpilogue } from '../op.js';

const TILE_COLUMNS = 8;
const PANEL_ROWS = 64;
const PANEL_SIZE = 16384;

/** The packed A panel, allocated on first use and reused by every later call. */
let panel: Float64Array | null = null;

/**
 * C = op(A) · op(B), or C += op(A) · op(B) when `accumulate`; in BLAS sgemm's argument order.
 * op(A) is [m, k]: element (i, p) is a[aOffset + i·lda + p], or a[aOffset + p·lda + i] when
 * `transA` (A stored [k, m]). op(B) is [k, n]: element (p, j) is b[bOffset + p·ldb + j], or
 * b[bOffset + j·ldb + p] when `transB` (B stored [n, k], as linear's weight). Element (i, j)
 * of C is c[cOffset + i·ldc + j]. With k = 0, C becomes zeros (or is left as it is). Then the
 * epilogue, if any: the bias of each column (or row), then the activation, on C's m × n elements.
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  a: Float32Array,
  aOffset: number,
  lda: number,
  b: Float32Array,
  bOffset: number,
  ldb: number,
  c: Float32Array,
  cOffset: number,
  ldc: number,
  accumulate = false,
  epilogue?: GemmEpilogue,
): void {
  if (m === 0 || n === 0) return;
  checkGemmExtents(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, epilogue);
  if (!accumulate) for (let i = 0; i < m; i++) c.fill(0, cOffset + i * ldc, cOffset + i * ldc + n);
  if (k > 0) product(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc);
  if (epilogue) applyEpilogue(m, n, c, cOffset, ldc, epilogue);
}

/** Every operand of a gemm call within its array (and the bias as long as its dimension). */
export function checkGemmExtents(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  c: Float32Array, cOffset: number, ldc: number,
  epilogue: GemmEpilogue | undefined,
): void {
  checkExtent('A', a, aOffset, lda, transA ? k : m, transA ? m : k);
  checkExtent('B', b, bOffset, ldb, transB ? n : k, transB ? k : n);
  checkExtent('C', c, cOffset, ldc, m, n);
  const bias = epilogue?.bias;
  const want = epilogue?.biasPer === 'row' ? m : n;
  if (bias && bias.length < want) throw new ShapeError(`gemm: the bias has ${bias.length} elements, the ${epilogue!.biasPer}s of C need ${want}`);
}

/** C[m, n] += bias per column or row, then the activation (the reference epilogue). */
function applyEpilogue(m: number, n: number, c: Float32Array, cOffset: number, ldc: number, e: GemmEpilogue): void {
  for (let i = 0; i < m; i++) {
    const row = c.subarray(cOffset + i * ldc, cOffset + i * ldc + n);
    if (e.bias && e.biasPer === 'column') for (let j = 0; j < n; j++) row[j] += e.bias[j];
    if (e.bias && e.biasPer === 'row') for (let j = 0; j < n; j++) row[j] += e.bias[i];
    activateInPlace(row, e.activation);
  }
}

/** C += op(A) · op(B), k > 0, the extents checked. */
function product(
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  c: Float32Array, cOffset: number, ldc: number,
): void {
  const ap = (panel ??= new Float64Array(PANEL_SIZE));
  // Steps between neighbouring elements of op(A) and op(B), down a column and along a row.
  const aRow = transA ? 1 : lda;
  const aCol = transA ? lda : 1;
  const bRow = transB ? 1 : ldb;
  const bCol = transB ? ldb : 1;
  const fullColumns = n - (n % TILE_COLUMNS);

  for (let i0 = 0; i0 < m; i0 += PANEL_ROWS) {
    const mc = Math.min(PANEL_ROWS, m - i0);
    const pairRows = mc - (mc % 2);
    // Either way mc · kcMax <= PANEL_SIZE, so the panel always holds the block.
    const kcMax = transB ? Math.floor(PANEL_SIZE / mc) : Math.min(256, 32 * mc);
    for (let p0 = 0; p0 < k; p0 += kcMax) {
      const kc = Math.min(kcMax, k - p0);
      packA(ap, a, aOffset + i0 * aRow + p0 * aCol, aRow, aCol, mc, kc);
      const cBlock = cOffset + i0 * ldc;
      for (let j = 0; j < fullColumns; j += TILE_COLUMNS) {
        const pb = bOffset + p0 * bRow + j * bCol;
        const pc = cBlock + j;
        for (let i = 0; i < pairRows; i += 2) tile2x8(kc, ap, i * kc, b, pb, bRow, bCol, c, pc + i * ldc, ldc);
        if (pairRows < mc) tile1x8(kc, ap, pairRows * kc, b, pb, bRow, bCol, c, pc + pairRows * ldc);
      }
      for (let j = fullColumns; j < n; j++) {
        const pb = bOffset + p0 * bRow + j * bCol;
        for (let i = 0; i < mc; i++) {
          // Row i of the panel: interleaved with its partner (step 2), or the odd last row.
          const paired = i < pairRows;
          const pa = paired ? (i - (i % 2)) * kc + (i % 2) : i * kc;
          c[cBlock + i * ldc + j] += dot(kc, ap, pa, paired ? 2 : 1, b, pb, bRow);
        }
      }
    }
  }
}

/** A caller's offset or stride that would read past an array is a bug: fail loudly, not with NaNs. */
function checkExtent(what: string, data: Float32Array, offset: number, ld: number, rows: number, cols: number): void {
  if (rows === 0 || cols === 0) return;
  const last = offset + (rows - 1) * ld + cols - 1;
  if (!(offset >= 0 && ld >= cols && last < data.length)) {
    throw new ShapeError(
      `gemm: ${what} [${rows}, ${cols}] at offset ${offset} with row stride ${ld} does not fit its array of ${data.length} elements`,
    );
  }
}

/** Copies op(A)[mc, kc] (element (i, p) at a[at + i·aRow + p·aCol]) into `ap` as float64. */
function packA(ap: Float64Array, a: Float32Array, at: number, aRow: number, aCol: number, mc: number, kc: number): void {
  let q = 0;
  const pairRows = mc - (mc % 2);
  for (let i = 0; i < pairRows; i += 2) {
    for (let p = 0, src = at + i * aRow; p < kc; p++, src += aCol) {
      ap[q++] = a[src];
      ap[q++] = a[src + aRow];
    }
  }
  if (pairRows < mc) for (let p = 0, src = at + pairRows * aRow; p < kc; p++, src += aCol) ap[q++] = a[src];
}

// panel pair [kc][2] at ap[pa], B strip [kc, 8] at b[pb] (steps bRow, bCol) -> c[pc..] [2, 8] +=
function tile2x8(
  kc: number,
  ap: Float64Array,
  pa: number,
  b: Float32Array,
  pb: number,
  bRow: number,
  bCol: number,
  c: Float32Array,
  pc: number,
  ldc: number,
): void {
  const o1 = bCol, o2 = 2 * bCol, o3 = 3 * bCol, o4 = 4 * bCol, o5 = 5 * bCol, o6 = 6 * bCol, o7 = 7 * bCol;
  let c00 = 0, c01 = 0, c02 = 0, c03 = 0, c04 = 0, c05 = 0, c06 = 0, c07 = 0;
  let c10 = 0, c11 = 0, c12 = 0, c13 = 0, c14 = 0, c15 = 0, c16 = 0, c17 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = ap[pa];
    const a1 = ap[pa + 1];
    const b0 = b[pb], b1 = b[pb + o1], b2 = b[pb + o2], b3 = b[pb + o3];
    const b4 = b[pb + o4], b5 = b[pb + o5], b6 = b[pb + o6], b7 = b[pb + o7];
    c00 += a0 * b0; c01 += a0 * b1; c02 += a0 * b2; c03 += a0 * b3;
    c04 += a0 * b4; c05 += a0 * b5; c06 += a0 * b6; c07 += a0 * b7;
    c10 += a1 * b0; c11 += a1 * b1; c12 += a1 * b2; c13 += a1 * b3;
    c14 += a1 * b4; c15 += a1 * b5; c16 += a1 * b6; c17 += a1 * b7;
    pa += 2;
    pb += bRow;
  }
  c[pc] += c00; c[pc + 1] += c01; c[pc + 2] += c02; c[pc + 3] += c03;
  c[pc + 4] += c04; c[pc + 5] += c05; c[pc + 6] += c06; c[pc + 7] += c07;
  pc += ldc;
  c[pc] += c10; c[pc + 1] += c11; c[pc + 2] += c12; c[pc + 3] += c13;
  c[pc + 4] += c14; c[pc + 5] += c15; c[pc + 6] += c16; c[pc + 7] += c17;
}

// panel row [kc] at ap[pa], B strip [kc, 8] at b[pb] (steps bRow, bCol) -> c[pc..] [1, 8] +=
function tile1x8(
  kc: number,
  ap: Float64Array,
  pa: number,
  b: Float32Array,
  pb: number,
  bRow: number,
  bCol: number,
  c: Float32Array,
  pc: number,
): void {
  const o1 = bCol, o2 = 2 * bCol, o3 = 3 * bCol, o4 = 4 * bCol, o5 = 5 * bCol, o6 = 6 * bCol, o7 = 7 * bCol;
  let c0 = 0, c1 = 0, c2 = 0, c3 = 0, c4 = 0, c5 = 0, c6 = 0, c7 = 0;
  for (let p = 0; p < kc; p++) {
    const a0 = ap[pa];
    c0 += a0 * b[pb]; c1 += a0 * b[pb + o1]; c2 += a0 * b[pb + o2]; c3 += a0 * b[pb + o3];
    c4 += a0 * b[pb + o4]; c5 += a0 * b[pb + o5]; c6 += a0 * b[pb + o6]; c7 += a0 * b[pb + o7];
    pa += 1;
    pb += bRow;
  }
  c[pc] += c0; c[pc + 1] += c1; c[pc + 2] += c2; c[pc + 3] += c3;
  c[pc + 4] += c4; c[pc + 5] += c5; c[pc + 6] += c6; c[pc + 7] += c7;
}

// panel row [kc] at ap[pa] (step aStep), B column [kc] at b[pb] (step bRow) -> their dot product
function dot(kc: number, ap: Float64Array, pa: number, aStep: number, b: Float32Array, pb: number, bRow: number): number {
  let sum = 0;
  for (let p = 0; p < kc; p++, pa += aStep, pb += bRow) sum += ap[pa] * b[pb];
  return sum;
}
