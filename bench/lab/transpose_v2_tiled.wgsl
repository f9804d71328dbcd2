// Lab variant 2 of strided_copy.wgsl for the batched transpose x [B, R, C] -> y [B, C, R]
// (what NCHW -> NHWC merges into). A 32×32 tile per workgroup of 32×8 invocations: each reads
// four rows of the tile along C (coalesced), parks them in workgroup memory (33 columns, so
// the transposed reads hit distinct banks), and writes four rows of the output along R.
// Workgroups: x over C tiles, y over R tiles, z over the batch.
struct Transpose { rows: u32, cols: u32 }
@group(0) @binding(0) var<uniform> p: Transpose;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
var<workgroup> tile: array<array<f32, 33>, 32>;

@compute @workgroup_size(32, 8)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let c0 = wg.x * 32u;
  let r0 = wg.y * 32u;
  let base = wg.z * p.rows * p.cols;
  for (var k = 0u; k < 32u; k += 8u) {
    let r = r0 + lid.y + k;
    let c = c0 + lid.x;
    if (r < p.rows && c < p.cols) { tile[lid.y + k][lid.x] = src[base + r * p.cols + c]; }
  }
  workgroupBarrier();
  for (var k = 0u; k < 32u; k += 8u) {
    let c = c0 + lid.y + k;
    let r = r0 + lid.x;
    if (c < p.cols && r < p.rows) { dst[base + c * p.rows + r] = tile[lid.x][lid.y + k]; }
  }
}
