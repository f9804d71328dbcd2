// matmul_a_subgroup.wgsl — how matmul.wgsl reads A (prepended to it) when a workgroup is one
// subgroup of 4 invocations on the same rows (WG_X = 4, WG_Y = 1; chosen where the adapter's
// subgroups are all 4 wide, i.e. SwiftShader): each lane loads one element of a row's k quad and
// subgroupBroadcast hands it to the others, 1 load where each invocation made 4. On SwiftShader
// the 4 invocations are the lanes of one SIMD register and every load is a per-lane gather, so
// this saves 3 of every 4 gathers of A (measured: bench/lab/matmul/README.md).
enable subgroups;

const SHARED_A = true;

var<private> lane: u32;

fn beginA() {
  lane = subgroupExclusiveAdd(1u);
}

/** A[row][p … p + 3], for the row starting at `start` (the same row in every lane). */
// Every lane calls this in step: the only early return before it is on rows, which all lanes share.
@diagnostic(off, subgroup_uniformity)
fn quadA(start: u32, p: u32) -> vec4f {
  let v = a[start + p + lane];
  return vec4f(subgroupBroadcast(v, 0u), subgroupBroadcast(v, 1u), subgroupBroadcast(v, 2u), subgroupBroadcast(v, 3u));
}
