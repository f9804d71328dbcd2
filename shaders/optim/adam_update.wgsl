// adam_update.wgsl — one torch.optim.Adam step per element (see src/ops/optim/adamUpdate.ts):
//   g = g + weight_decay·p; m = β1·m + (1 − β1)·g; v = β2·v + (1 − β2)·g²;
//   p = p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + eps), t = clock[0], lr = clock[1].
// New values go to separate outputs (the executor copies them over the state afterwards).
// One invocation per element, 256 per workgroup, workgroups spread over x and y
// (index = x + y·groups_x·256).

struct Params {
  count: u32,
  beta1: f32,
  beta2: f32,
  eps: f32,
  weight_decay: f32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read> m: array<f32>;
@group(0) @binding(4) var<storage, read> v: array<f32>;
@group(0) @binding(5) var<storage, read> clock: array<f32>; // [step, lr]
@group(0) @binding(6) var<storage, read_write> new_param: array<f32>;
@group(0) @binding(7) var<storage, read_write> new_m: array<f32>;
@group(0) @binding(8) var<storage, read_write> new_v: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= u.count) { return; }
  let t = clock[0];
  let step_size = clock[1] / (1.0 - pow(u.beta1, t));
  let correction2 = sqrt(1.0 - pow(u.beta2, t));
  let p = param[i];
  let g = grad[i] + u.weight_decay * p;
  let mi = u.beta1 * m[i] + (1.0 - u.beta1) * g;
  let vi = u.beta2 * v[i] + (1.0 - u.beta2) * g * g;
  new_m[i] = mi;
  new_v[i] = vi;
  new_param[i] = p - step_size * mi / (sqrt(vi) / correction2 + u.eps);
}
