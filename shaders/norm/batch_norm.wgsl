// batch_norm.wgsl — inference BatchNorm: y = (x − mean[c]) · weight[c] / √(var[c] + eps) + bias[c].
//   x [N, C, inner] (inner = the product of the dims after C, 1 for rank 2), weight/bias/mean/var [C]
//   -> y [N, C, inner]
// One invocation per element, 256 per workgroup, workgroups spread over x and y past 65 535
// (index = x + y·groups_x·256); each finds its channel and reads that channel's four parameters
// (the same few values for a whole workgroup, so they stay in cache). No workgroup memory.
// An absent weight (1) or bias (0) is switched off by HAS_WEIGHT / HAS_BIAS; its binding then
// holds any read-only buffer (the lowering passes the mean) and is never read.

override HAS_WEIGHT: bool = true;
override HAS_BIAS: bool = true;

struct Params {
  count: u32,    // N·C·inner
  channels: u32,
  inner: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> weight: array<f32>;
@group(0) @binding(3) var<storage, read> bias: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> variance: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.count) { return; }
  let c = (i / p.inner) % p.channels;
  var scale = inverseSqrt(variance[c] + p.eps);
  if (HAS_WEIGHT) { scale *= weight[c]; }
  var shift = 0.0;
  if (HAS_BIAS) { shift = bias[c]; }
  y[i] = (x[i] - mean[c]) * scale + shift;
}
