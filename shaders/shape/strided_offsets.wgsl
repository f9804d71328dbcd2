// strided_offsets.wgsl — shared by the strided kernels (strided_copy.wgsl, binary.wgsl; the op
// file prepends it with withStridedOffsets). Declares their common uniform block at binding 0
// and maps a flat row-major index over a block of up to 8 axes to element offsets in two
// strided layouts.
//
// Axes are stored innermost FIRST (slot 0 = last axis), four per vec4 (uniform arrays need
// 16-byte strides). RANK, the number of axes in use, is an override constant, and the peeling
// is written out per slot with constant indices, reading the uniform block directly: the slots
// past RANK fold away when the pipeline is created. On SwiftShader a loop over a uniform rank
// with dynamically indexed vectors ran 3–5× slower, and passing the axes to a function as a
// struct value slower still (bench/lab/data-movement.ts).

struct Strided {
  count: u32,    // invocations of the dispatch
  offset0: u32,  // element offset of the block's first element in layout 0
  offset1: u32,  // … in layout 1
  unused: u32,
  shape: array<vec4u, 2>,    // extent per axis; unused slots 1
  strides0: array<vec4u, 2>, // element strides of layout 0; unused slots 0
  strides1: array<vec4u, 2>, // … of layout 1
}

@group(0) @binding(0) var<uniform> strided: Strided;

override RANK: u32 = 8u;

// (rest, offset0, offset1) after peeling off the coordinate of one axis.
fn peel_axis(s: vec3u, extent: u32, stride0: u32, stride1: u32) -> vec3u {
  let c = s.x % extent;
  return vec3u(s.x / extent, s.y + c * stride0, s.z + c * stride1);
}

// Offsets of flat index i in layouts 0 and 1.
fn strided_offsets(i: u32) -> vec2u {
  var s = vec3u(i, strided.offset0, strided.offset1);
  if (RANK > 0u) { s = peel_axis(s, strided.shape[0].x, strided.strides0[0].x, strided.strides1[0].x); }
  if (RANK > 1u) { s = peel_axis(s, strided.shape[0].y, strided.strides0[0].y, strided.strides1[0].y); }
  if (RANK > 2u) { s = peel_axis(s, strided.shape[0].z, strided.strides0[0].z, strided.strides1[0].z); }
  if (RANK > 3u) { s = peel_axis(s, strided.shape[0].w, strided.strides0[0].w, strided.strides1[0].w); }
  if (RANK > 4u) { s = peel_axis(s, strided.shape[1].x, strided.strides0[1].x, strided.strides1[1].x); }
  if (RANK > 5u) { s = peel_axis(s, strided.shape[1].y, strided.strides0[1].y, strided.strides1[1].y); }
  if (RANK > 6u) { s = peel_axis(s, strided.shape[1].z, strided.strides0[1].z, strided.strides1[1].z); }
  if (RANK > 7u) { s = peel_axis(s, strided.shape[1].w, strided.strides0[1].w, strided.strides1[1].w); }
  return s.yz;
}
