// binary.wgsl — y = a ⊕ b elementwise with NumPy broadcasting; ⊕ is + or · (override OP).
// One invocation per output element, 256 per workgroup, workgroups spread over x and y when
// there are more than 65 535 (flat index = x + y·groups_x·256). No workgroup memory.
//
// Entry points:
//   same      — a, b and y share one dense layout (equal shapes, or one element each):
//               y[i] = a[i] ⊕ b[i].
//   broadcast — each invocation peels y's coordinates off its flat index innermost-first (one
//               div/mod per axis) and dots them with a's and b's broadcast strides (0 on a
//               stretched axis). Axes were merged on the host (stridedCopyGpu.ts mergeAxes), so
//               [N, C, H, W] + [C, 1, 1] runs over 3 axes and [N, F] + [F] over 2. Axes are stored
//               innermost FIRST (slot 0 = last axis), four per vec4 (uniform arrays need 16-byte
//               strides).
//
// a [..., broadcastable], b [..., broadcastable] -> y [broadcast shape]

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
