// sgd_momentum_update.wgsl — torch.optim.SGD with momentum, per element (src/ops/optim/sgdUpdate.ts):
//   d = g + weight_decay·p; buf = d on step 1, else momentum·buf + (1 − dampening)·d;
//   d = NESTEROV ? d + momentum·buf : buf; new_param = p − lr·d, with [step, lr] = clock.
// New values go to separate outputs (the executor copies them over the state afterwards).
// One invocation per element, 256 per workgroup, workgroups spread over x and y
// (index = x + y·groups_x·256).

override NESTEROV: bool = false;

struct Params {
  count: u32,
  weight_decay: f32,
  momentum: f32,
  dampening: f32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read> clock: array<f32>; // [step, lr]
@group(0) @binding(4) var<storage, read> buf: array<f32>;
@group(0) @binding(5) var<storage, read_write> new_param: array<f32>;
@group(0) @binding(6) var<storage, read_write> new_buf: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= u.count) { return; }
  let p = param[i];
  var d = grad[i] + u.weight_decay * p;
  var b = d;
  if (clock[0] > 1.0) { b = u.momentum * buf[i] + (1.0 - u.dampening) * d; }
  new_buf[i] = b;
  if (NESTEROV) { d = d + u.momentum * b; } else { d = b; }
  new_param[i] = p - clock[1] * d;
}
