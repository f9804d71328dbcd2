// Lab variant 1 of strided_copy.wgsl (first shipped version): a loop over a uniform rank,
// the axis arrays indexed dynamically. Uniform: count, rank, from_offset, to_offset, then
// shape, from_strides, to_strides (innermost first).

struct Copy {
  count: u32,        // elements in the block
  rank: u32,         // axes in use (slots 0..rank−1)
  from_offset: u32,  // element offset of the block's first element in src
  to_offset: u32,    // … and in dst
  shape: array<vec4u, 2>,
  from_strides: array<vec4u, 2>,
  to_strides: array<vec4u, 2>,
}

@group(0) @binding(0) var<uniform> p: Copy;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.count) { return; }
  var rest = i;
  var at_src = p.from_offset;
  var at_dst = p.to_offset;
  for (var d = 0u; d < p.rank; d++) {
    let extent = p.shape[d >> 2u][d & 3u];
    let c = rest % extent;
    rest /= extent;
    at_src += c * p.from_strides[d >> 2u][d & 3u];
    at_dst += c * p.to_strides[d >> 2u][d & 3u];
  }
  dst[at_dst] = src[at_src];
}
