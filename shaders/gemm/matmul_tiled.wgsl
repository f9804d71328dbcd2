// matmul_tiled.wgsl — the GEMM for GPUs (chosen where the adapter is not a CPU implementation):
// C[m, n] = A[m, k] · op(B)[k, n] (+ bias) then activate(), for every batch entry; same
// operands, bindings, uniform block and override constants as matmul.wgsl (which see):
//   a [batch][m, k], b [batch][k, n] (TRANS_B: [batch][n, k]), bias [m] | [n] -> c [batch][m, n].
//
// Tiling: a workgroup of WG × WG invocations computes a tile of ROWS × COLS of C, each invocation
// a TR × 4 block (rows ty·TR …, columns tx·4 …) in named vec4 registers acc0 … acc7 (an array
// indexed by a loop counter is spilled to memory by compilers that do not unroll, SwiftShader's
// among them). Per step of BK along k the workgroup copies the A tile [ROWS][BK] (vec4s along k)
// and the op(B) tile [BK][COLS] (vec4s along n) into workgroup memory — every element once, a
// whole vec4 per store, neighbouring invocations on neighbouring addresses of A's rows and B's
// rows (zeros past the edges of the matrices) — then one barrier; the products read per quad of
// k one vec4 of A per row and 4 vec4s of B for 4·TR vec4 multiply-adds; a second barrier before
// the tiles are overwritten. Outputs past the edges are not stored.
// Why a second kernel: on GPUs, workgroup memory turns the (TM + TN) loads per k of the
// register-blocked kernel into cheap shared reads; on SwiftShader every read of workgroup memory
// at a computed index is a per-lane gather like a storage load, and the barriers cost on top, so
// software adapters get matmul.wgsl (measurements: bench/lab/matmul/README.md).

struct Gemm {
  m: u32, n: u32, k: u32,
  offset_a: u32, offset_b: u32, offset_c: u32, bias_offset: u32,
  lda: u32, ldb: u32, ldc: u32,
  stride_a: u32, stride_b: u32, stride_c: u32,
}
override TRANS_B: bool = false;
override BIAS_MODE: u32 = 0u;
override ACCUMULATE: bool = false;
@group(0) @binding(0) var<uniform> g: Gemm;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

const WG = 8u;            // invocations per side of the workgroup
const TR = 8u;            // rows per invocation: 4 or 8
const BK = 32u;           // k per tile step (a multiple of 4)
const ROWS = WG * TR;     // tile rows
const COLS = WG * 4u;     // tile columns
const KQ = BK / 4u;       // k quads per tile step

var<workgroup> tileA: array<vec4f, ROWS * KQ>;   // [row][k quad]: A[row][4q … 4q + 3]
var<workgroup> tileB: array<vec4f, BK * WG>;     // [k][column quad]: op(B)[k][4j … 4j + 3]

var<private> a_base: u32;
var<private> b_base: u32;

/** A[row][p], 0 past the matrix. */
fn loadA(row: u32, p: u32) -> f32 {
  if (row >= g.m || p >= g.k) { return 0.0; }
  return a[a_base + row * g.lda + p];
}

/** op(B)[p][col], 0 past the matrix. */
fn loadB(p: u32, col: u32) -> f32 {
  if (p >= g.k || col >= g.n) { return 0.0; }
  if (TRANS_B) { return b[b_base + col * g.ldb + p]; }
  return b[b_base + p * g.ldb + col];
}

/** acc += the row's A quad (x along k) times the 4 × 4 block of op(B) rows b0 … b3. */
fn madd(acc: vec4f, x: vec4f, b0: vec4f, b1: vec4f, b2: vec4f, b3: vec4f) -> vec4f {
  return fma(vec4f(x.w), b3, fma(vec4f(x.z), b2, fma(vec4f(x.y), b1, fma(vec4f(x.x), b0, acc))));
}

fn storeRow(row: u32, col: u32, v: vec4f, c_base: u32) {
  if (row >= g.m) { return; }
  store1(row, col, v.x, c_base);
  store1(row, col + 1u, v.y, c_base);
  store1(row, col + 2u, v.z, c_base);
  store1(row, col + 3u, v.w, c_base);
}

@compute @workgroup_size(WG, WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) t: u32) {
  let tileRow = wg.y * ROWS;
  let tileCol = wg.x * COLS;
  a_base = g.offset_a + wg.z * g.stride_a;
  b_base = g.offset_b + wg.z * g.stride_b;
  let r0 = lid.y * TR;          // this invocation's first row in the tile
  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  var acc4 = vec4f(0.0);
  var acc5 = vec4f(0.0);
  var acc6 = vec4f(0.0);
  var acc7 = vec4f(0.0);

  for (var k0 = 0u; k0 < g.k; k0 += BK) {
    // A tile: ROWS × KQ quads, consecutive invocations along k (A's contiguous dimension).
    for (var e = t; e < ROWS * KQ; e += WG * WG) {
      let row = tileRow + e / KQ;
      let p = k0 + (e % KQ) * 4u;
      tileA[e] = vec4f(loadA(row, p), loadA(row, p + 1u), loadA(row, p + 2u), loadA(row, p + 3u));
    }
    // B tile: BK × WG quads of columns, consecutive invocations along n (B's contiguous
    // dimension; with TRANS_B, along the storage rows' order).
    for (var e = t; e < BK * WG; e += WG * WG) {
      let p = k0 + e / WG;
      let col = tileCol + (e % WG) * 4u;
      tileB[e] = vec4f(loadB(p, col), loadB(p, col + 1u), loadB(p, col + 2u), loadB(p, col + 3u));
    }
    workgroupBarrier();
    for (var q = 0u; q < KQ; q++) {
      let b0 = tileB[(4u * q) * WG + lid.x];
      let b1 = tileB[(4u * q + 1u) * WG + lid.x];
      let b2 = tileB[(4u * q + 2u) * WG + lid.x];
      let b3 = tileB[(4u * q + 3u) * WG + lid.x];
      acc0 = madd(acc0, tileA[r0 * KQ + q], b0, b1, b2, b3);
      acc1 = madd(acc1, tileA[(r0 + 1u) * KQ + q], b0, b1, b2, b3);
      acc2 = madd(acc2, tileA[(r0 + 2u) * KQ + q], b0, b1, b2, b3);
      acc3 = madd(acc3, tileA[(r0 + 3u) * KQ + q], b0, b1, b2, b3);
      if (TR > 4u) {
        acc4 = madd(acc4, tileA[(r0 + 4u) * KQ + q], b0, b1, b2, b3);
        acc5 = madd(acc5, tileA[(r0 + 5u) * KQ + q], b0, b1, b2, b3);
        acc6 = madd(acc6, tileA[(r0 + 6u) * KQ + q], b0, b1, b2, b3);
        acc7 = madd(acc7, tileA[(r0 + 7u) * KQ + q], b0, b1, b2, b3);
      }
    }
    workgroupBarrier();
  }

  let c_base = g.offset_c + wg.z * g.stride_c;
  let row = tileRow + r0;
  let col = tileCol + lid.x * 4u;
  storeRow(row, col, acc0, c_base);
  storeRow(row + 1u, col, acc1, c_base);
  storeRow(row + 2u, col, acc2, c_base);
  storeRow(row + 3u, col, acc3, c_base);
  if (TR > 4u) {
    storeRow(row + 4u, col, acc4, c_base);
    storeRow(row + 5u, col, acc5, c_base);
    storeRow(row + 6u, col, acc6, c_base);
    storeRow(row + 7u, col, acc7, c_base);
  }
}
