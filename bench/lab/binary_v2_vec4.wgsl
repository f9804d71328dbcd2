// Lab variant 2 of binary.wgsl's `same` entry point: four elements per invocation through
// vec4 loads and stores (count divisible by 4). y[i] = a[i] + b[i] over vec4s.
@group(0) @binding(0) var<uniform> count4: u32;
@group(0) @binding(1) var<storage, read> a: array<vec4f>;
@group(0) @binding(2) var<storage, read> b: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> y: array<vec4f>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= count4) { return; }
  y[i] = a[i] + b[i];
}
