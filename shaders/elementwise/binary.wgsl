// binary.wgsl — y = a ⊕ b elementwise with NumPy broadcasting; ⊕ is + or · (override OP).
// 256 invocations per workgroup, workgroups spread over x and y when there are more than 65 535
// (flat index = x + y·groups_x·256). No workgroup memory. Needs strided_offsets.wgsl prepended:
// its uniform block holds the invocation count (vec4s for same4) and y's merged shape with the
// broadcast strides of a (layout 0) and b (layout 1); its offsets are 0 here.
//
// Entry points:
//   same4     — a, b and y share one dense layout and the count is a multiple of 4: each
//               invocation adds one vec4 (y4[i] = a4[i] ⊕ b4[i]).
//   same      — the same, one element per invocation, for other counts.
//   broadcast — one output element per invocation: its flat index is peeled into a's and b's
//               offsets through their broadcast strides (0 on a stretched axis). Axes were
//               merged on the host, so [N, C, H, W] + [C, 1, 1] runs over 3 axes, [N, F] + [F]
//               over 2, and a tensor plus a scalar over 1.
// The vec4 views below share bindings with the scalar ones; each entry point uses one set.
//
// a [..., broadcastable], b [..., broadcastable] -> y [broadcast shape]

// 0: add, 1: mul.
override OP: u32 = 0u;

@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
@group(0) @binding(1) var<storage, read> a4: array<vec4f>;
@group(0) @binding(2) var<storage, read> b4: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> y4: array<vec4f>;

fn combine(u: f32, v: f32) -> f32 {
  if (OP == 1u) { return u * v; }
  return u + v;
}

fn combine4(u: vec4f, v: vec4f) -> vec4f {
  if (OP == 1u) { return u * v; }
  return u + v;
}

@compute @workgroup_size(256)
fn same4(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= strided.count) { return; }
  y4[i] = combine4(a4[i], b4[i]);
}

@compute @workgroup_size(256)
fn same(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= strided.count) { return; }
  y[i] = combine(a[i], b[i]);
}

@compute @workgroup_size(256)
fn broadcast(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= strided.count) { return; }
  let at = strided_offsets(i);
  y[i] = combine(a[at.x], b[at.y]);
}
