// sgd_update.wgsl — torch.optim.SGD without momentum, per element (src/ops/optim/sgdUpdate.ts):
//   new_param = p − lr·(g + weight_decay·p), lr = clock[1].
// One invocation per element, 256 per workgroup, workgroups spread over x and y
// (index = x + y·groups_x·256).

struct Params {
  count: u32,
  weight_decay: f32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read> clock: array<f32>; // [step, lr]
@group(0) @binding(4) var<storage, read_write> new_param: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= u.count) { return; }
  let p = param[i];
  new_param[i] = p - clock[1] * (grad[i] + u.weight_decay * p);
}
