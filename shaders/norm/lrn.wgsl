// lrn.wgsl — local response normalisation across channels:
//   y[n, c, j] = x[n, c, j] / (k + alpha/size · Σ_{c' = c − before … c + after, clipped to [0, C)} x[n, c', j]²)^beta
//   x [N, C, inner] (inner = the product of the dims after C) -> y [N, C, inner]
// One invocation per output element, 256 per workgroup, workgroups spread over x and y past
// 65 535 (index = x + y·groups_x·256). Neighbouring invocations are neighbouring positions j of
// one channel, so each step of the window loop reads contiguous memory. The window is a few
// channels (5 in AlexNet), so each invocation re-reads it rather than sharing sums through
// workgroup memory.
//
// grad (src/ops/norm/localResponseNormGrad.ts): with s_c = k + alpha/size · Σ_window(c) x², the
// gradient dx[n, j] = dy_j·s_j^−β − 2β·alpha/size · x_j · Σ_{c = j − after … j + before} dy_c·x_c·s_c^(−β−1)
// (the channels whose window holds j), one invocation per element, dx written to y's binding.

struct Params {
  count: u32,    // N·C·inner
  channels: u32,
  inner: u32,
  before: u32,   // channels of the window before c (PyTorch floor(size/2), ONNX floor((size−1)/2))
  after: u32,    // size − 1 − before
  scale: f32,    // alpha / size
  beta: f32,
  k: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;   // grad: dx
@group(0) @binding(3) var<storage, read> dy: array<f32>;         // grad only

// s_c = k + alpha/size · the window's sum of squares at position j of channel c; `image` is the
// offset of element (n, 0, 0).
fn denominator(image: u32, c: u32, j: u32) -> f32 {
  let lo = select(0u, c - p.before, c >= p.before);
  let hi = min(p.channels - 1u, c + p.after);
  var sum_sq = 0.0;
  for (var w = lo; w <= hi; w++) {
    let v = x[image + w * p.inner + j];
    sum_sq += v * v;
  }
  return p.k + p.scale * sum_sq;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.count) { return; }
  let j = i % p.inner;
  let c = (i / p.inner) % p.channels;
  let image = i - j - c * p.inner; // element (n, 0, 0)
  y[i] = x[i] / pow(denominator(image, c, j), p.beta);
}

@compute @workgroup_size(256)
fn grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.count) { return; }
  let j = i % p.inner;
  let c = (i / p.inner) % p.channels;
  let image = i - j - c * p.inner;
  let lo = select(0u, c - p.after, c >= p.after);
  let hi = min(p.channels - 1u, c + p.before);
  var cross = 0.0;
  for (var w = lo; w <= hi; w++) {
    let at = image + w * p.inner + j;
    cross += dy[at] * x[at] * pow(denominator(image, w, j), -p.beta - 1.0);
  }
  y[i] = dy[i] * pow(denominator(image, c, j), -p.beta) - 2.0 * p.beta * p.scale * x[i] * cross;
}
