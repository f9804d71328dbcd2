// matmul.wgsl — C[m, n] = A[m, k] · op(B)[k, n] (+ bias) then activate(), for every batch entry.
//   a [batch][m, k] (rows lda apart), b [batch][k, n] (rows ldb apart) or, with TRANS_B,
//   [batch][n, k]; bias [m] (BIAS_MODE 1, per row) or [n] (BIAS_MODE 2, per column)
//   -> c [batch][m, n] (rows ldc apart; with ACCUMULATE, added to what c holds).
// Batch entries are stride_* elements apart (0 broadcasts one matrix to every entry); all
// offsets and strides are in elements and need no alignment.
//
// Who computes what: one invocation computes a TM × TN block of C (TM ∈ {1, 2, 4, 8} rows,
// TN ∈ {4, 8, 16} columns) in registers — no workgroup memory. Workgroups of WG_X × WG_Y
// invocations; workgroup (x, y, z) covers column block x, row block y of batch entry z. k is
// walked in quads: per quad each row of the block reads 4 elements of A, and each 4 × 4 block
// of op(B) (4 k × 4 columns) is read once into a mat4x4 whose product with a row's A quad is
// that row's update, so the block does TM·TN·4 multiply-adds for (TM + TN)·4 loads. The code is
// written out for 8 rows and 4 column quads; rows and quads past TM / TN sit under `if` on the
// override constants, which the compiler folds away, so accumulators stay in registers
// (SwiftShader does not unroll loops: accumulators in an array indexed by a loop counter spill).
// Loads past the last row / column are clamped to it and past k to k − 1 (the A quad is zeroed
// there), so no load leaves the matrices; outputs past the edges are simply not stored.
//
// Why register blocks and not workgroup memory: on SwiftShader the barriers cost more than the
// shared reads save; GPUs get matmul_tiled.wgsl. Measurements: bench/lab/matmul/README.md.

struct Gemm {
  m: u32, n: u32, k: u32,
  offset_a: u32, offset_b: u32, offset_c: u32, bias_offset: u32,
  lda: u32, ldb: u32, ldc: u32,
  stride_a: u32, stride_b: u32, stride_c: u32,
}

override TRANS_B: bool = false;
override BIAS_MODE: u32 = 0u;      // 0 none, 1 per row, 2 per column
override ACCUMULATE: bool = false; // C += A · op(B) (a product split along k into several GEMMs)
override TM: u32 = 8u;
override TN: u32 = 16u;
override WG_X: u32 = 8u;
override WG_Y: u32 = 8u;

@group(0) @binding(0) var<uniform> g: Gemm;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

/** One row of the block: columns 4q … 4q + 3 in cq. */
struct Row { c0: vec4f, c1: vec4f, c2: vec4f, c3: vec4f }

/**
 * op(B) at one k quad, column quad q as a matrix M: the update of a row with A quad x is M·x
 * (M's columns are op(B)'s rows p … p + 3), or x·M with TRANS_B (M's columns are op(B)'s
 * columns, i.e. rows of b as stored: each output a dot product along k).
 */
struct Quads { m0: mat4x4f, m1: mat4x4f, m2: mat4x4f, m3: mat4x4f }

var<private> a_base: u32;
var<private> b_base: u32;
var<private> last_k: u32;

/** A[row][p … p + 3], for the row starting at `start` (indices past k clamped). */
fn quadA(start: u32, p: u32) -> vec4f {
  return vec4f(a[start + p], a[start + min(p + 1u, last_k)], a[start + min(p + 2u, last_k)], a[start + min(p + 3u, last_k)]);
}

/** op(B)[p … p + 3][col … col + 3] as M (see Quads). */
fn blockB(p: u32, col: u32) -> mat4x4f {
  let last_n = g.n - 1u;
  let p1 = min(p + 1u, last_k);
  let p2 = min(p + 2u, last_k);
  let p3 = min(p + 3u, last_k);
  if (TRANS_B) {
    // Storage rows are op(B)'s columns: four of them, each 4 along k.
    let r0 = b_base + min(col, last_n) * g.ldb;
    let r1 = b_base + min(col + 1u, last_n) * g.ldb;
    let r2 = b_base + min(col + 2u, last_n) * g.ldb;
    let r3 = b_base + min(col + 3u, last_n) * g.ldb;
    return mat4x4f(
      b[r0 + p], b[r0 + p1], b[r0 + p2], b[r0 + p3],
      b[r1 + p], b[r1 + p1], b[r1 + p2], b[r1 + p3],
      b[r2 + p], b[r2 + p1], b[r2 + p2], b[r2 + p3],
      b[r3 + p], b[r3 + p1], b[r3 + p2], b[r3 + p3]);
  }
  let c0 = b_base + min(col, last_n);
  let c1 = b_base + min(col + 1u, last_n);
  let c2 = b_base + min(col + 2u, last_n);
  let c3 = b_base + min(col + 3u, last_n);
  let s0 = p * g.ldb;
  let s1 = p1 * g.ldb;
  let s2 = p2 * g.ldb;
  let s3 = p3 * g.ldb;
  return mat4x4f(
    b[c0 + s0], b[c1 + s0], b[c2 + s0], b[c3 + s0],
    b[c0 + s1], b[c1 + s1], b[c2 + s1], b[c3 + s1],
    b[c0 + s2], b[c1 + s2], b[c2 + s2], b[c3 + s2],
    b[c0 + s3], b[c1 + s3], b[c2 + s3], b[c3 + s3]);
}

fn product(m: mat4x4f, x: vec4f) -> vec4f {
  if (TRANS_B) { return x * m; }
  return m * x;
}

fn update(r: Row, x: vec4f, q: Quads) -> Row {
  var out = r;
  out.c0 += product(q.m0, x);
  if (TN > 4u) { out.c1 += product(q.m1, x); }
  if (TN > 8u) {
    out.c2 += product(q.m2, x);
    out.c3 += product(q.m3, x);
  }
  return out;
}

fn store1(row: u32, col: u32, sum: f32, c_base: u32) {
  if (col >= g.n) { return; }
  let at = c_base + row * g.ldc + col;
  var v = sum;
  if (ACCUMULATE) { v += c[at]; }
  if (BIAS_MODE == 1u) { v += bias[g.bias_offset + row]; }
  if (BIAS_MODE == 2u) { v += bias[g.bias_offset + col]; }
  c[at] = activate(v);
}

fn store4(row: u32, col: u32, v: vec4f, c_base: u32) {
  store1(row, col, v.x, c_base);
  store1(row, col + 1u, v.y, c_base);
  store1(row, col + 2u, v.z, c_base);
  store1(row, col + 3u, v.w, c_base);
}

fn storeRow(row: u32, col0: u32, r: Row, c_base: u32) {
  if (row >= g.m) { return; }
  store4(row, col0, r.c0, c_base);
  if (TN > 4u) { store4(row, col0 + 4u, r.c1, c_base); }
  if (TN > 8u) {
    store4(row, col0 + 8u, r.c2, c_base);
    store4(row, col0 + 12u, r.c3, c_base);
  }
}

@compute @workgroup_size(WG_X, WG_Y)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let row0 = gid.y * TM;
  let col0 = gid.x * TN;
  if (row0 >= g.m || col0 >= g.n) { return; }
  a_base = g.offset_a + gid.z * g.stride_a;
  b_base = g.offset_b + gid.z * g.stride_b;
  last_k = max(g.k, 1u) - 1u;
  // Start of each row of A in the block (rows past the end clamped to the last).
  let last_m = g.m - 1u;
  let ar0 = a_base + row0 * g.lda;
  let ar1 = a_base + min(row0 + 1u, last_m) * g.lda;
  let ar2 = a_base + min(row0 + 2u, last_m) * g.lda;
  let ar3 = a_base + min(row0 + 3u, last_m) * g.lda;
  let ar4 = a_base + min(row0 + 4u, last_m) * g.lda;
  let ar5 = a_base + min(row0 + 5u, last_m) * g.lda;
  let ar6 = a_base + min(row0 + 6u, last_m) * g.lda;
  let ar7 = a_base + min(row0 + 7u, last_m) * g.lda;

  var r0: Row;
  var r1: Row;
  var r2: Row;
  var r3: Row;
  var r4: Row;
  var r5: Row;
  var r6: Row;
  var r7: Row;
  for (var p = 0u; p < g.k; p += 4u) {
    // 1 where p + i < k: zeroes the clamped duplicates of the last quad.
    let live = vec4f(vec4u(p) + vec4u(0u, 1u, 2u, 3u) < vec4u(g.k));
    var q: Quads;
    q.m0 = blockB(p, col0);
    if (TN > 4u) { q.m1 = blockB(p, col0 + 4u); }
    if (TN > 8u) {
      q.m2 = blockB(p, col0 + 8u);
      q.m3 = blockB(p, col0 + 12u);
    }
    r0 = update(r0, quadA(ar0, p) * live, q);
    if (TM > 1u) { r1 = update(r1, quadA(ar1, p) * live, q); }
    if (TM > 2u) {
      r2 = update(r2, quadA(ar2, p) * live, q);
      r3 = update(r3, quadA(ar3, p) * live, q);
    }
    if (TM > 4u) {
      r4 = update(r4, quadA(ar4, p) * live, q);
      r5 = update(r5, quadA(ar5, p) * live, q);
      r6 = update(r6, quadA(ar6, p) * live, q);
      r7 = update(r7, quadA(ar7, p) * live, q);
    }
  }

  let c_base = g.offset_c + gid.z * g.stride_c;
  storeRow(row0, col0, r0, c_base);
  if (TM > 1u) { storeRow(row0 + 1u, col0, r1, c_base); }
  if (TM > 2u) {
    storeRow(row0 + 2u, col0, r2, c_base);
    storeRow(row0 + 3u, col0, r3, c_base);
  }
  if (TM > 4u) {
    storeRow(row0 + 4u, col0, r4, c_base);
    storeRow(row0 + 5u, col0, r5, c_base);
    storeRow(row0 + 6u, col0, r6, c_base);
    storeRow(row0 + 7u, col0, r7, c_base);
  }
}
