// matmul.wgsl — C[m, n] = A[m, k] · op(B)[k, n] (+ bias) then activate(), for every batch entry.
// a [batch][m, k] (rows lda apart), b [batch][k, n] (rows ldb apart) or, with TRANS_B, [batch][n, k],
// bias [m] (BIAS_MODE 1, per row) or [n] (BIAS_MODE 2, per column) -> c [batch][m, n] (rows ldc apart;
// with ACCUMULATE, added to what c holds).
// Batch entries are stride_* elements apart (0 broadcasts one matrix to all entries).
//
// Tiling: each invocation computes a 4 × 4 block of C in four vec4 registers (no workgroup
// memory); a workgroup of 8 × 8 invocations covers 32 rows × 32 columns; workgroup (x, y, z)
// is column block x, row block y, batch entry z. Loads past the edge of A or B are clamped to
// the last row / column (their products land in outputs that are never stored).

struct Gemm {
  m: u32, n: u32, k: u32,
  offset_a: u32, offset_b: u32, offset_c: u32, bias_offset: u32,
  lda: u32, ldb: u32, ldc: u32,
  stride_a: u32, stride_b: u32, stride_c: u32,
}

override TRANS_B: bool = false;
override BIAS_MODE: u32 = 0u;   // 0 none, 1 per row, 2 per column
override ACCUMULATE: bool = false; // C += A · op(B) (a product split along k into several GEMMs)

@group(0) @binding(0) var<uniform> g: Gemm;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row0 = gid.y * 4u;
  let col0 = gid.x * 4u;
  if (row0 >= g.m || col0 >= g.n) { return; }
  let a0 = g.offset_a + gid.z * g.stride_a;
  let b0 = g.offset_b + gid.z * g.stride_b;
  // Start of each A row and of each B column (clamped at the edges).
  var ar: vec4u;
  var bc: vec4u;
  for (var i = 0u; i < 4u; i++) {
    ar[i] = a0 + min(row0 + i, g.m - 1u) * g.lda;
  }
  // Step along k in B: 1 when B is [n, k], ldb when it is [k, n].
  var bStep = g.ldb;
  for (var j = 0u; j < 4u; j++) {
    let col = min(col0 + j, g.n - 1u);
    if (TRANS_B) { bc[j] = b0 + col * g.ldb; } else { bc[j] = b0 + col; }
  }
  if (TRANS_B) { bStep = 1u; }

  var acc: array<vec4f, 4>;
  for (var p = 0u; p < g.k; p++) {
    let bp = p * bStep;
    let bv = vec4f(b[bc.x + bp], b[bc.y + bp], b[bc.z + bp], b[bc.w + bp]);
    acc[0] = fma(vec4f(a[ar.x + p]), bv, acc[0]);
    acc[1] = fma(vec4f(a[ar.y + p]), bv, acc[1]);
    acc[2] = fma(vec4f(a[ar.z + p]), bv, acc[2]);
    acc[3] = fma(vec4f(a[ar.w + p]), bv, acc[3]);
  }

  let c0 = g.offset_c + gid.z * g.stride_c;
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + i;
    if (row >= g.m) { break; }
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + j;
      if (col >= g.n) { break; }
      let at = c0 + row * g.ldc + col;
      var v = acc[i][j];
      if (ACCUMULATE) { v += c[at]; }
      if (BIAS_MODE == 1u) { v += bias[g.bias_offset + row]; }
      if (BIAS_MODE == 2u) { v += bias[g.bias_offset + col]; }
      c[at] = activate(v);
    }
  }
}
