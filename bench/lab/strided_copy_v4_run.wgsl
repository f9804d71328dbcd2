// Lab variant 4 of strided_copy.wgsl: each invocation copies a run of up to RUN consecutive
// elements of the innermost axis (coordinates peeled once per run, as in v3), stepping both
// offsets by the innermost strides. Runs never cross a row: invocation t takes row
// t / runs_per_row, elements (t % runs_per_row)·RUN … of it.
struct Copy {
  count: u32,        // invocations: rows · runs_per_row
  runs_per_row: u32,
  from_offset: u32,
  to_offset: u32,
  shape: array<vec4u, 2>,        // slot 0 = innermost axis
  from_strides: array<vec4u, 2>,
  to_strides: array<vec4u, 2>,
}
override RANK: u32 = 8u;
override RUN: u32 = 4u;

@group(0) @binding(0) var<uniform> p: Copy;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

fn peel(s: vec3u, extent: u32, from_stride: u32, to_stride: u32) -> vec3u {
  let c = s.x % extent;
  return vec3u(s.x / extent, s.y + c * from_stride, s.z + c * to_stride);
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let t = gid.x + gid.y * groups.x * 256u;
  if (t >= p.count) { return; }
  let row = t / p.runs_per_row;
  let start = (t - row * p.runs_per_row) * RUN;
  var s = vec3u(row, p.from_offset + start * p.from_strides[0].x, p.to_offset + start * p.to_strides[0].x);
  if (RANK > 1u) { s = peel(s, p.shape[0].y, p.from_strides[0].y, p.to_strides[0].y); }
  if (RANK > 2u) { s = peel(s, p.shape[0].z, p.from_strides[0].z, p.to_strides[0].z); }
  if (RANK > 3u) { s = peel(s, p.shape[0].w, p.from_strides[0].w, p.to_strides[0].w); }
  if (RANK > 4u) { s = peel(s, p.shape[1].x, p.from_strides[1].x, p.to_strides[1].x); }
  if (RANK > 5u) { s = peel(s, p.shape[1].y, p.from_strides[1].y, p.to_strides[1].y); }
  if (RANK > 6u) { s = peel(s, p.shape[1].z, p.from_strides[1].z, p.to_strides[1].z); }
  if (RANK > 7u) { s = peel(s, p.shape[1].w, p.from_strides[1].w, p.to_strides[1].w); }
  let n = min(RUN, p.shape[0].x - start);
  for (var j = 0u; j < n; j++) {
    dst[s.z + j * p.to_strides[0].x] = src[s.y + j * p.from_strides[0].x];
  }
}
