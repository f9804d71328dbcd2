// batch_norm_stats.wgsl — the batch statistics of training-mode BatchNorm
// (src/ops/norm/batchNorm2dTrain.ts), one workgroup of REDUCE_WG invocations per channel c:
//   x [N, C, inner] -> mean[c], invstd[c] = 1/√(var + eps), variance[c] (biased; the normalising
//   pass, batch_norm.wgsl, reads it), and the running statistics
//   runningMean'[c] = (1 − momentum)·runningMean[c] + momentum·mean
//   runningVar'[c]  = (1 − momentum)·runningVar[c]  + momentum·var·M/(M − 1),  M = N·inner.
// Two passes over the channel, each summed in workgroup memory: the mean, then the squared
// deviations from it (steadier than Σx² − M·mean² in float32). Invocation l takes the channel's
// values l, l + REDUCE_WG, …; workgroups spread over x and y (c = wg.x + wg.y·groups_x).

struct Params {
  channels: u32,
  inner: u32,
  count: u32,          // M = N · inner values per channel
  eps: f32,
  momentum: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> runningMean: array<f32>;
@group(0) @binding(3) var<storage, read> runningVar: array<f32>;
@group(0) @binding(4) var<storage, read_write> mean: array<f32>;
@group(0) @binding(5) var<storage, read_write> invstd: array<f32>;
@group(0) @binding(6) var<storage, read_write> variance: array<f32>;
@group(0) @binding(7) var<storage, read_write> newRunningMean: array<f32>;
@group(0) @binding(8) var<storage, read_write> newRunningVar: array<f32>;

override REDUCE_WG: u32 = 256u;  // a power of two

var<workgroup> partial: array<f32, REDUCE_WG>;

// The sum of every invocation's `value`, in every invocation.
fn workgroupSum(lid: u32, value: f32) -> f32 {
  partial[lid] = value;
  workgroupBarrier();
  for (var half = REDUCE_WG / 2u; half > 0u; half >>= 1u) {
    if (lid < half) { partial[lid] += partial[lid + half]; }
    workgroupBarrier();
  }
  let sum = partial[0];
  workgroupBarrier();
  return sum;
}

@compute @workgroup_size(REDUCE_WG)
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let c = wid.x + wid.y * groups.x;   // uniform across the workgroup, so the return keeps barriers uniform
  if (c >= p.channels) { return; }
  var sum = 0.0;
  for (var q = lid; q < p.count; q += REDUCE_WG) {
    sum += x[((q / p.inner) * p.channels + c) * p.inner + q % p.inner];
  }
  let m = workgroupSum(lid, sum) / f32(p.count);
  var sq = 0.0;
  for (var q = lid; q < p.count; q += REDUCE_WG) {
    let d = x[((q / p.inner) * p.channels + c) * p.inner + q % p.inner] - m;
    sq += d * d;
  }
  let v = workgroupSum(lid, sq) / f32(p.count);
  if (lid == 0u) {
    mean[c] = m;
    invstd[c] = 1.0 / sqrt(v + p.eps);
    variance[c] = v;
    newRunningMean[c] = (1.0 - p.momentum) * runningMean[c] + p.momentum * m;
    newRunningVar[c] = (1.0 - p.momentum) * runningVar[c] + p.momentum * v * f32(p.count) / f32(p.count - 1u);
  }
}
