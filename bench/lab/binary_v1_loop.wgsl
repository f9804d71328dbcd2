// Lab variant 1 of binary.wgsl (first shipped version): `same` one element per invocation;
// `broadcast` a loop over a uniform rank, the axis arrays indexed dynamically. Uniform: count,
// rank, 0, 0, then shape, a_strides, b_strides (innermost first).

struct Binary {
  count: u32,  // elements of y
  rank: u32,   // merged axes in use (slots 0..rank−1)
  unused0: u32,
  unused1: u32,
  shape: array<vec4u, 2>,
  a_strides: array<vec4u, 2>,
  b_strides: array<vec4u, 2>,
}

// 0: add, 1: mul.
override OP: u32 = 0u;

@group(0) @binding(0) var<uniform> p: Binary;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

fn combine(u: f32, v: f32) -> f32 {
  if (OP == 1u) { return u * v; }
  return u + v;
}

@compute @workgroup_size(256)
fn same(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.count) { return; }
  y[i] = combine(a[i], b[i]);
}

@compute @workgroup_size(256)
fn broadcast(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.count) { return; }
  var rest = i;
  var at_a = 0u;
  var at_b = 0u;
  for (var d = 0u; d < p.rank; d++) {
    let extent = p.shape[d >> 2u][d & 3u];
    let c = rest % extent;
    rest /= extent;
    at_a += c * p.a_strides[d >> 2u][d & 3u];
    at_b += c * p.b_strides[d >> 2u][d & 3u];
  }
  y[i] = combine(a[at_a], b[at_b]);
}
