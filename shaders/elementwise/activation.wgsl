// activation.wgsl — y[i] = activate(x[i]); one invocation per element, 256 per workgroup,
// workgroups spread over x and y when there are more than 65 535 (index = x + y·groups_x·256).

@group(0) @binding(0) var<uniform> count: u32;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= count) { return; }
  y[i] = activate(x[i]);
}
