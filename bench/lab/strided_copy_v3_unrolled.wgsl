// Lab variant 3 of strided_copy.wgsl: the axis count is an override constant and the
// coordinate peeling is written out per slot with constant indices, so no uniform array is
// indexed dynamically and the unused slots fold away at pipeline creation.
struct Copy {
  count: u32,
  rank: u32,
  from_offset: u32,
  to_offset: u32,
  shape: array<vec4u, 2>,
  from_strides: array<vec4u, 2>,
  to_strides: array<vec4u, 2>,
}
override RANK: u32 = 8u;

@group(0) @binding(0) var<uniform> p: Copy;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

// (rest, at_src, at_dst) after peeling the coordinate of one axis.
fn peel(s: vec3u, extent: u32, from_stride: u32, to_stride: u32) -> vec3u {
  let c = s.x % extent;
  return vec3u(s.x / extent, s.y + c * from_stride, s.z + c * to_stride);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.count) { return; }
  var s = vec3u(i, p.from_offset, p.to_offset);
  if (RANK > 0u) { s = peel(s, p.shape[0].x, p.from_strides[0].x, p.to_strides[0].x); }
  if (RANK > 1u) { s = peel(s, p.shape[0].y, p.from_strides[0].y, p.to_strides[0].y); }
  if (RANK > 2u) { s = peel(s, p.shape[0].z, p.from_strides[0].z, p.to_strides[0].z); }
  if (RANK > 3u) { s = peel(s, p.shape[0].w, p.from_strides[0].w, p.to_strides[0].w); }
  if (RANK > 4u) { s = peel(s, p.shape[1].x, p.from_strides[1].x, p.to_strides[1].x); }
  if (RANK > 5u) { s = peel(s, p.shape[1].y, p.from_strides[1].y, p.to_strides[1].y); }
  if (RANK > 6u) { s = peel(s, p.shape[1].z, p.from_strides[1].z, p.to_strides[1].z); }
  if (RANK > 7u) { s = peel(s, p.shape[1].w, p.from_strides[1].w, p.to_strides[1].w); }
  dst[s.z] = src[s.y];
}
