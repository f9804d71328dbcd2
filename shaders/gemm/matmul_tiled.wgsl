// matmul_tiled.wgsl — the GEMM for GPUs (chosen where the adapter is not a CPU implementation):
// C[m, n] = A[m, k] · op(B)[k, n] (+ bias) then activate(), for every batch entry; same
// operands, bindings, uniform block and override constants as matmul.wgsl (which see):
//   a [batch][m, k], b [batch][k, n] (TRANS_B: [batch][n, k]), bias [m] | [n] -> c [batch][m, n].
//
// Tiling: a workgroup of 16 × 16 invocations computes a 64 × 64 tile of C, each invocation a
// 4 × 4 block (rows ty·4 …, columns tx·4 …) in vec4 registers. Per step of BK = 16 along k
// the workgroup copies the A tile [16][64] and the op(B) tile [16][64] into workgroup memory
// (k-major, as vec4s over 4 rows / 4 columns; zeros past the edges of the matrices), each
// invocation loading 4 + 4 elements with neighbouring invocations on neighbouring addresses of
// the operand's contiguous dimension; after a barrier every invocation reads 1 + 1 vec4s per k
// for 16 multiply-adds. Outputs past the edges are not stored.
// Why a second kernel: on GPUs, workgroup memory turns the (TM + TN) loads per k of the
// register-blocked kernel into cheap shared reads; on SwiftShader the barriers cost more than
// they save (measurements: bench/lab/matmul/README.md).

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

const TR = 4u;            // rows per invocation (a multiple of 4)
const TC = 4u;            // columns per invocation (a multiple of 4)
const BK = 16u;
const ROWS = 16u * TR;    // tile rows
const COLS = 16u * TC;    // tile columns

var<workgroup> tileA: array<array<vec4f, ROWS / 4u>, BK>;
var<workgroup> tileB: array<array<vec4f, COLS / 4u>, BK>;

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u, @builtin(local_invocation_index) t: u32) {
  let tileRow = wg.y * ROWS;
  let tileCol = wg.x * COLS;
  let a0 = g.offset_a + wg.z * g.stride_a;
  let b0 = g.offset_b + wg.z * g.stride_b;
  var acc: array<array<vec4f, TC / 4u>, TR>;

  for (var k0 = 0u; k0 < g.k; k0 += BK) {
    // A tile: ROWS × BK elements, consecutive invocations along k (A's contiguous dim).
    for (var e = t; e < ROWS * BK; e += 256u) {
      let r = e / BK;
      let kk = e % BK;
      let row = tileRow + r;
      let p = k0 + kk;
      var v = 0.0;
      if (row < g.m && p < g.k) { v = a[a0 + row * g.lda + p]; }
      tileA[kk][r / 4u][r % 4u] = v;
    }
    // B tile: BK × COLS, consecutive invocations along B's contiguous dim.
    for (var e = t; e < COLS * BK; e += 256u) {
      var col: u32;
      var kk: u32;
      if (TRANS_B) { col = e / BK; kk = e % BK; } else { kk = e / COLS; col = e % COLS; }
      let n = tileCol + col;
      let p = k0 + kk;
      var v = 0.0;
      if (n < g.n && p < g.k) {
        if (TRANS_B) { v = b[b0 + n * g.ldb + p]; } else { v = b[b0 + p * g.ldb + n]; }
      }
      tileB[kk][col / 4u][col % 4u] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      var bv: array<vec4f, TC / 4u>;
      for (var h = 0u; h < TC / 4u; h++) { bv[h] = tileB[kk][lid.x * (TC / 4u) + h]; }
      for (var q = 0u; q < TR / 4u; q++) {
        let av = tileA[kk][lid.y * (TR / 4u) + q];
        for (var h = 0u; h < TC / 4u; h++) {
          acc[q * 4u + 0u][h] = fma(vec4f(av.x), bv[h], acc[q * 4u + 0u][h]);
          acc[q * 4u + 1u][h] = fma(vec4f(av.y), bv[h], acc[q * 4u + 1u][h]);
          acc[q * 4u + 2u][h] = fma(vec4f(av.z), bv[h], acc[q * 4u + 2u][h]);
          acc[q * 4u + 3u][h] = fma(vec4f(av.w), bv[h], acc[q * 4u + 3u][h]);
        }
      }
    }
    workgroupBarrier();
  }

  let c0 = g.offset_c + wg.z * g.stride_c;
  for (var i = 0u; i < TR; i++) {
    let row = tileRow + lid.y * TR + i;
    if (row >= g.m) { break; }
    for (var j = 0u; j < TC; j++) {
      let col = tileCol + lid.x * TC + j;
      if (col >= g.n) { break; }
      let at = c0 + row * g.ldc + col;
      var v = acc[i][j / 4u][j % 4u];
      if (ACCUMULATE) { v += c[at]; }
      if (BIAS_MODE == 1u) { v += bias[g.bias_offset + row]; }
      if (BIAS_MODE == 2u) { v += bias[g.bias_offset + col]; }
      c[at] = activate(v);
    }
  }
}
