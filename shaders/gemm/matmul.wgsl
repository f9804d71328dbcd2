// matmul.wgsl — C[m, n] = A[m, k] · op(B)[k, n] (+ bias) then activate(), for every batch entry.
//   a [batch][m, k] (rows lda apart), b [batch][k, n] (rows ldb apart) or, with TRANS_B,
//   [batch][n, k]; bias [m] (BIAS_MODE 1, per row) or [n] (BIAS_MODE 2, per column)
//   -> c [batch][m, n] (rows ldc apart; with ACCUMULATE, added to what c holds).
// Batch entries are stride_* elements apart (0 broadcasts one matrix to every entry); all
// offsets and strides are in elements and need no alignment.
//
// Who computes what: one invocation computes a TM × TN block of C (TM ∈ {1, 2, 4, 8, 16} rows,
// TN ∈ {4, 8, 16} columns) in registers — no workgroup memory. Workgroups of WG_X × WG_Y
// invocations; workgroup (x, y, z) covers column block x, row block y of batch entry z. k is
// walked in quads: per quad each row of the block reads 4 elements of A, and each 4 × 4 block
// of op(B) (4 k × 4 columns) is read once into a mat4x4 whose product with a row's A quad is
// that row's update, so the block does TM·TN·4 multiply-adds for (TM + TN)·4 loads. The code is
// written out for 16 rows and 4 column quads; rows and quads past TM / TN sit under `if` on the
// override constants, which the compiler folds away, so accumulators stay in registers
// (SwiftShader does not unroll loops: accumulators in an array indexed by a loop counter spill).
// Loads past the last row / column are clamped to it, so no load leaves the matrices, and outputs
// past the edges are simply not stored; k is walked in whole quads, then one k at a time.
// A's quads come from quadA(), prepended from matmul_a.wgsl (each invocation loads its own) or
// matmul_a_subgroup.wgsl (the 4 lanes of a subgroup share the loads of their common rows).
//
// Why register blocks and not workgroup memory: on SwiftShader the barriers cost more than the
// shared reads save; GPUs get matmul_tiled.wgsl. Why 16 × 16 for large products: SwiftShader runs
// 4 invocations as the lanes of one SIMD register, and every load is a per-lane gather (robust
// access, indices it cannot prove uniform) that costs far more than a multiply-add, even with
// the accumulators spilled to the stack; 16 × 16 does 8 multiply-adds per load against 5.3 for
// 8 × 16 (1.5× in Chromium). Measurements: bench/lab/matmul/README.md.

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

/** Storage offsets of op(B)'s columns col … col + 3 (clamped to the last: their results are not stored). */
fn columnsB(col: u32) -> vec4u {
  let cols = min(vec4u(col) + vec4u(0u, 1u, 2u, 3u), vec4u(g.n - 1u));
  if (TRANS_B) { return b_base + cols * g.ldb; }  // storage rows, read along k
  return b_base + cols;
}

/** op(B)[p … p + 3][col … col + 3] as M (see Quads). */
fn blockB(p: u32, col: u32) -> mat4x4f {
  let c = columnsB(col);
  if (TRANS_B) {
    // Storage rows are op(B)'s columns: four of them, each 4 along k.
    return mat4x4f(
      b[c.x + p], b[c.x + p + 1u], b[c.x + p + 2u], b[c.x + p + 3u],
      b[c.y + p], b[c.y + p + 1u], b[c.y + p + 2u], b[c.y + p + 3u],
      b[c.z + p], b[c.z + p + 1u], b[c.z + p + 2u], b[c.z + p + 3u],
      b[c.w + p], b[c.w + p + 1u], b[c.w + p + 2u], b[c.w + p + 3u]);
  }
  let s0 = p * g.ldb;
  let s1 = (p + 1u) * g.ldb;
  let s2 = (p + 2u) * g.ldb;
  let s3 = (p + 3u) * g.ldb;
  return mat4x4f(
    b[c.x + s0], b[c.y + s0], b[c.z + s0], b[c.w + s0],
    b[c.x + s1], b[c.y + s1], b[c.z + s1], b[c.w + s1],
    b[c.x + s2], b[c.y + s2], b[c.z + s2], b[c.w + s2],
    b[c.x + s3], b[c.y + s3], b[c.z + s3], b[c.w + s3]);
}

/** op(B)[p][col … col + 3] alone, for one k past the last whole quad: the other entries are 0. */
fn rowB(p: u32, col: u32) -> mat4x4f {
  let c = columnsB(col);
  if (TRANS_B) {
    return mat4x4f(vec4f(b[c.x + p], 0.0, 0.0, 0.0), vec4f(b[c.y + p], 0.0, 0.0, 0.0), vec4f(b[c.z + p], 0.0, 0.0, 0.0), vec4f(b[c.w + p], 0.0, 0.0, 0.0));
  }
  let s = p * g.ldb;
  return mat4x4f(vec4f(b[c.x + s], b[c.y + s], b[c.z + s], b[c.w + s]), vec4f(0.0), vec4f(0.0), vec4f(0.0));
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
  beginA();
  let row0 = gid.y * TM;
  let col0 = gid.x * TN;
  // With A shared, a lane past the last column still loads its part of A for the others.
  if (row0 >= g.m || (!SHARED_A && col0 >= g.n)) { return; }
  a_base = g.offset_a + gid.z * g.stride_a;
  b_base = g.offset_b + gid.z * g.stride_b;
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
  let ar8 = a_base + min(row0 + 8u, last_m) * g.lda;
  let ar9 = a_base + min(row0 + 9u, last_m) * g.lda;
  let ar10 = a_base + min(row0 + 10u, last_m) * g.lda;
  let ar11 = a_base + min(row0 + 11u, last_m) * g.lda;
  let ar12 = a_base + min(row0 + 12u, last_m) * g.lda;
  let ar13 = a_base + min(row0 + 13u, last_m) * g.lda;
  let ar14 = a_base + min(row0 + 14u, last_m) * g.lda;
  let ar15 = a_base + min(row0 + 15u, last_m) * g.lda;

  var r0: Row;
  var r1: Row;
  var r2: Row;
  var r3: Row;
  var r4: Row;
  var r5: Row;
  var r6: Row;
  var r7: Row;
  var r8: Row;
  var r9: Row;
  var r10: Row;
  var r11: Row;
  var r12: Row;
  var r13: Row;
  var r14: Row;
  var r15: Row;
  // Whole quads of k, then the last k % 4 one at a time (entries past k are never read: no
  // clamped duplicates, which would turn a ±∞ at the end of k into NaN).
  let whole = g.k & ~3u;
  var p = 0u;
  for (; p < whole; p += 4u) {
    var q: Quads;
    q.m0 = blockB(p, col0);
    if (TN > 4u) { q.m1 = blockB(p, col0 + 4u); }
    if (TN > 8u) {
      q.m2 = blockB(p, col0 + 8u);
      q.m3 = blockB(p, col0 + 12u);
    }
    r0 = update(r0, quadA(ar0, p), q);
    if (TM > 1u) { r1 = update(r1, quadA(ar1, p), q); }
    if (TM > 2u) {
      r2 = update(r2, quadA(ar2, p), q);
      r3 = update(r3, quadA(ar3, p), q);
    }
    if (TM > 4u) {
      r4 = update(r4, quadA(ar4, p), q);
      r5 = update(r5, quadA(ar5, p), q);
      r6 = update(r6, quadA(ar6, p), q);
      r7 = update(r7, quadA(ar7, p), q);
    }
    if (TM > 8u) {
      r8 = update(r8, quadA(ar8, p), q);
      r9 = update(r9, quadA(ar9, p), q);
      r10 = update(r10, quadA(ar10, p), q);
      r11 = update(r11, quadA(ar11, p), q);
      r12 = update(r12, quadA(ar12, p), q);
      r13 = update(r13, quadA(ar13, p), q);
      r14 = update(r14, quadA(ar14, p), q);
      r15 = update(r15, quadA(ar15, p), q);
    }
  }
  for (; p < g.k; p++) {
    var q: Quads;
    q.m0 = rowB(p, col0);
    if (TN > 4u) { q.m1 = rowB(p, col0 + 4u); }
    if (TN > 8u) {
      q.m2 = rowB(p, col0 + 8u);
      q.m3 = rowB(p, col0 + 12u);
    }
    r0 = update(r0, vec4f(a[ar0 + p], 0.0, 0.0, 0.0), q);
    if (TM > 1u) { r1 = update(r1, vec4f(a[ar1 + p], 0.0, 0.0, 0.0), q); }
    if (TM > 2u) {
      r2 = update(r2, vec4f(a[ar2 + p], 0.0, 0.0, 0.0), q);
      r3 = update(r3, vec4f(a[ar3 + p], 0.0, 0.0, 0.0), q);
    }
    if (TM > 4u) {
      r4 = update(r4, vec4f(a[ar4 + p], 0.0, 0.0, 0.0), q);
      r5 = update(r5, vec4f(a[ar5 + p], 0.0, 0.0, 0.0), q);
      r6 = update(r6, vec4f(a[ar6 + p], 0.0, 0.0, 0.0), q);
      r7 = update(r7, vec4f(a[ar7 + p], 0.0, 0.0, 0.0), q);
    }
    if (TM > 8u) {
      r8 = update(r8, vec4f(a[ar8 + p], 0.0, 0.0, 0.0), q);
      r9 = update(r9, vec4f(a[ar9 + p], 0.0, 0.0, 0.0), q);
      r10 = update(r10, vec4f(a[ar10 + p], 0.0, 0.0, 0.0), q);
      r11 = update(r11, vec4f(a[ar11 + p], 0.0, 0.0, 0.0), q);
      r12 = update(r12, vec4f(a[ar12 + p], 0.0, 0.0, 0.0), q);
      r13 = update(r13, vec4f(a[ar13 + p], 0.0, 0.0, 0.0), q);
      r14 = update(r14, vec4f(a[ar14 + p], 0.0, 0.0, 0.0), q);
      r15 = update(r15, vec4f(a[ar15 + p], 0.0, 0.0, 0.0), q);
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
  if (TM > 8u) {
    storeRow(row0 + 8u, col0, r8, c_base);
    storeRow(row0 + 9u, col0, r9, c_base);
    storeRow(row0 + 10u, col0, r10, c_base);
    storeRow(row0 + 11u, col0, r11, c_base);
    storeRow(row0 + 12u, col0, r12, c_base);
    storeRow(row0 + 13u, col0, r13, c_base);
    storeRow(row0 + 14u, col0, r14, c_base);
    storeRow(row0 + 15u, col0, r15, c_base);
  }
}
