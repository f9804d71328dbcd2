// activation_grad.wgsl — dx[i] = dy[i] · f'(x[i]) for the activation chosen by ACT_KIND (as in
// activation_fn.wgsl: 1 relu, 2 sigmoid, 3 tanh, 4 leakyRelu slope ACT_ALPHA, 5 clip
// [ACT_MIN, ACT_MAX]). sigmoid and tanh take f' from the output y. One invocation per element,
// 256 per workgroup, workgroups spread over x and y (index = x + y·groups_x·256).

override ACT_KIND: u32 = 1u;
override ACT_ALPHA: f32 = 0.0;
override ACT_MIN: f32 = 0.0;
override ACT_MAX: f32 = 0.0;

@group(0) @binding(0) var<uniform> count: u32;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> y: array<f32>;
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= count) { return; }
  let v = x[i];
  let g = dy[i];
  var d = g;
  switch ACT_KIND {
    case 1u: { d = select(0.0, g, v > 0.0); }
    case 2u: { let s = y[i]; d = g * s * (1.0 - s); }
    case 3u: { let t = y[i]; d = g * (1.0 - t * t); }
    case 4u: { d = select(g * ACT_ALPHA, g, v > 0.0); }
    case 5u: { d = select(0.0, g, v >= ACT_MIN && v <= ACT_MAX); }
    default: {}
  }
  dx[i] = d;
}
