// strided_copy.wgsl — dst[to_offset + Σ c_d·to_strides[d]] = src[from_offset + Σ c_d·from_strides[d]]
// for every coordinate c of a block of up to 8 axes. Serves permute (permuted source strides),
// concat (one block per input, written at its slab of the output) and any other layout copy
// (src/ops/shape/stridedCopyGpu.ts merges axes first, so most copies have 1–3 axes). Needs
// strided_offsets.wgsl prepended: its uniform block holds the element count, the two offsets
// and the axes (layout 0 = src, layout 1 = dst).
//
// One invocation per element, 256 per workgroup, workgroups spread over x and y when there are
// more than 65 535 (flat index = x + y·groups_x·256). The flat index walks the block row-major
// and is peeled into both offsets innermost-first. No workgroup memory.
//
// src [block, strided] -> dst [block, strided]

@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= strided.count) { return; }
  let at = strided_offsets(i);
  dst[at.y] = src[at.x];
}
