// batch_norm_grad.wgsl — the gradient of training-mode BatchNorm (src/ops/norm/batchNorm2dTrainGrad.ts)
// in two dispatches over x, dy [N, C, inner] with the batch mean and invstd [C]:
//   grad_sums   one workgroup of REDUCE_WG per channel: dbias[c] = Σ dy, dweight[c] = Σ dy·x̂
//               (x̂ = (x − mean)·invstd), summed in workgroup memory. With SUM_ONLY it computes
//               dbias alone (reduceSum's channel sums: x, mean, invstd and dweight are then any buffers).
//   grad_input  one invocation per element (256 per workgroup):
//               dx = weight·invstd·(dy − dbias/M − x̂·dweight/M), M = N·inner.
// Workgroups spread over x and y past 65 535.

struct Params {
  channels: u32,
  inner: u32,
  count: u32,          // M = N · inner values per channel
  total: u32,          // N · C · inner elements
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read> x: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> invstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> dbias: array<f32>;
@group(0) @binding(6) var<storage, read_write> dweight: array<f32>;
@group(0) @binding(7) var<storage, read> weight: array<f32>;   // grad_input; any buffer without HAS_WEIGHT
@group(0) @binding(8) var<storage, read_write> dx: array<f32>;

override REDUCE_WG: u32 = 256u;  // a power of two
override SUM_ONLY: bool = false;
override HAS_WEIGHT: bool = true;

var<workgroup> partial: array<vec2f, REDUCE_WG>;

@compute @workgroup_size(REDUCE_WG)
fn grad_sums(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let c = wid.x + wid.y * groups.x;   // uniform across the workgroup, so the return keeps barriers uniform
  if (c >= p.channels) { return; }
  var m = 0.0;
  var inv = 0.0;
  if (!SUM_ONLY) {
    m = mean[c];
    inv = invstd[c];
  }
  var sums = vec2f(0.0);             // (Σ dy, Σ dy·x̂)
  for (var q = lid; q < p.count; q += REDUCE_WG) {
    let at = ((q / p.inner) * p.channels + c) * p.inner + q % p.inner;
    let g = dy[at];
    sums.x += g;
    if (!SUM_ONLY) { sums.y += g * (x[at] - m) * inv; }
  }
  partial[lid] = sums;
  workgroupBarrier();
  for (var half = REDUCE_WG / 2u; half > 0u; half >>= 1u) {
    if (lid < half) { partial[lid] += partial[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u) {
    dbias[c] = partial[0].x;
    if (!SUM_ONLY) { dweight[c] = partial[0].y; }
  }
}

@compute @workgroup_size(256)
fn grad_input(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.total) { return; }
  let c = (i / p.inner) % p.channels;
  let inv = invstd[c];
  var scale = inv;
  if (HAS_WEIGHT) { scale *= weight[c]; }
  let xhat = (x[i] - mean[c]) * inv;
  let M = f32(p.count);
  dx[i] = scale * (dy[i] - dbias[c] / M - xhat * dweight[c] / M);
}
