// mse_grad.wgsl — dx[i] = 2 · (output[i] − expected[i]) · dloss / count. One invocation per
// element, 256 per workgroup, workgroups spread over x and y (index = x + y·groups_x·256).

@group(0) @binding(0) var<uniform> count: u32;
@group(0) @binding(1) var<storage, read> output: array<f32>;
@group(0) @binding(2) var<storage, read> expected: array<f32>;
@group(0) @binding(3) var<storage, read> dloss: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= count) { return; }
  dx[i] = 2.0 * (output[i] - expected[i]) * dloss[0] / f32(count);
}
