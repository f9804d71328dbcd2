// reduce_sum.wgsl — y[j] = Σ x over the summed axes, for every element j of the kept axes.
// One invocation per output element, 64 per workgroup, workgroups spread over x and y when
// there are more than 65 535 (index = x + y·groups_x·64). Each invocation peels j into an offset
// along the kept axes, then walks the summed axes' block from there. The host (reduceSum.ts)
// merges contiguous axes first, so a bias gradient ([N, C, H, W] → [C]) has one kept axis and
// two summed ones. No workgroup memory.
//
// x [kept × summed, strided] -> y [kept]

struct Params {
  count: u32,         // output elements
  per_output: u32,    // elements summed into each
  kept_rank: u32,
  summed_rank: u32,
  kept_shape: array<vec4u, 2>,     // innermost axis first
  kept_strides: array<vec4u, 2>,   // element strides in x
  summed_shape: array<vec4u, 2>,
  summed_strides: array<vec4u, 2>,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn slot(a: array<vec4u, 2>, i: u32) -> u32 {
  return a[i / 4u][i % 4u];
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let j = gid.x + gid.y * groups.x * 64u;
  if (j >= p.count) { return; }
  var rest = j;
  var base = 0u;
  for (var d = 0u; d < p.kept_rank; d++) {
    let extent = slot(p.kept_shape, d);
    base += (rest % extent) * slot(p.kept_strides, d);
    rest /= extent;
  }
  var sum = 0.0;
  for (var r = 0u; r < p.per_output; r++) {
    var s = r;
    var at = base;
    for (var d = 0u; d < p.summed_rank; d++) {
      let extent = slot(p.summed_shape, d);
      at += (s % extent) * slot(p.summed_strides, d);
      s /= extent;
    }
    sum += x[at];
  }
  y[j] = sum;
}
