// strided_copy.wgsl — dst[to_offset + Σ c_d·to_strides[d]] = src[from_offset + Σ c_d·from_strides[d]]
// for every coordinate c of a block of shape `shape` (rank ≤ 8). Serves permute (permuted source
// strides), concat (one block per input, written at its slab of the output) and any other
// layout copy (src/ops/stridedCopyGpu.ts merges axes first, so most copies have rank 1–3).
//
// One invocation per element, 256 per workgroup, workgroups spread over x and y when there are
// more than 65 535 (flat index = x + y·groups_x·256). The flat index walks the block row-major;
// each invocation peels its coordinates off innermost-first with one div/mod per axis. Axes are
// stored innermost FIRST (slot 0 = last axis), four per vec4 (uniform arrays need 16-byte strides).
// No workgroup memory.
//
// src [block, strided] -> dst [block, strided]

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
