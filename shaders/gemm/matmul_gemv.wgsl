// matmul_gemv.wgsl — C = A · Bᵀ (+ bias) then activate() for a few rows of A (linear layers at
// batch ≤ 4) on GPUs, where one block per invocation would leave most of the GPU idle: the
// work is split along k instead. Same operands, bindings, uniform block and override
// constants as matmul.wgsl (TRANS_B must be set):
//   a [batch][m, k], b [batch][n, k], bias [m] | [n] -> c [batch][m, n].
//
// Who computes what: a workgroup of 64 invocations computes MR rows × NC columns of C; invocation
// t sums the k quads t, t + 64, … (vec4 loads: neighbouring invocations read neighbouring 16 bytes
// of each row of A and of b), then the 64 partial sums of each output are added in workgroup
// memory (a tree of barriers). Rows past m are clamped (their sums are not stored). Needs k,
// lda, ldb, the offsets and the batch strides of A and B to be multiples of 4.

struct Gemm {
  m: u32, n: u32, k: u32,
  offset_a: u32, offset_b: u32, offset_c: u32, bias_offset: u32,
  lda: u32, ldb: u32, ldc: u32,
  stride_a: u32, stride_b: u32, stride_c: u32,
}
override TRANS_B: bool = true;
override BIAS_MODE: u32 = 0u;
override ACCUMULATE: bool = false;
@group(0) @binding(0) var<uniform> g: Gemm;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

const MR = 4u;   // rows of C per workgroup
const NC = 4u;   // columns of C per workgroup
const WG = 64u;

var<workgroup> partial: array<array<f32, WG>, MR * NC>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_index) t: u32) {
  let row0 = wg.y * MR;
  let col0 = wg.x * NC;
  let a0 = (g.offset_a + wg.z * g.stride_a) / 4u;
  let b0 = (g.offset_b + wg.z * g.stride_b) / 4u;
  var acc: array<f32, MR * NC>;
  let k4 = g.k / 4u;
  for (var q = t; q < k4; q += WG) {
    var av: array<vec4f, MR>;
    for (var i = 0u; i < MR; i++) { av[i] = a[a0 + min(row0 + i, g.m - 1u) * (g.lda / 4u) + q]; }
    for (var j = 0u; j < NC; j++) {
      let bv = b[b0 + min(col0 + j, g.n - 1u) * (g.ldb / 4u) + q];
      for (var i = 0u; i < MR; i++) { acc[i * NC + j] += dot(av[i], bv); }
    }
  }
  for (var e = 0u; e < MR * NC; e++) { partial[e][t] = acc[e]; }
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s /= 2u) {
    if (t < s) {
      for (var e = 0u; e < MR * NC; e++) { partial[e][t] += partial[e][t + s]; }
    }
    workgroupBarrier();
  }
  if (t < MR * NC) {
    let row = row0 + t / NC;
    let col = col0 + t % NC;
    if (row < g.m && col < g.n) {
      let at = g.offset_c + wg.z * g.stride_c + row * g.ldc + col;
      var v = partial[t][0];
      if (ACCUMULATE) { v += c[at]; }
      if (BIAS_MODE == 1u) { v += bias[g.bias_offset + row]; }
      if (BIAS_MODE == 2u) { v += bias[g.bias_offset + col]; }
      c[at] = activate(v);
    }
  }
}
