// softmax_grad.wgsl — the gradient of softmax / logSoftmax along one axis, from the output y:
//   softmax: dx = y · (dy − Σ dy·y);  logSoftmax (LOG): dx = dy − exp(y) · Σ dy.
// y, dy, dx [outer, n, inner]; a line is the n elements (o, ·, j), `inner` apart. One invocation
// per line, 64 per workgroup, workgroups spread over x and y past 65 535 (line = x + y·groups_x·64):
// one sweep for the sum, one to write. No workgroup memory.

override LOG: bool = false;

struct Params {
  lines: u32,  // outer·inner
  n: u32,
  inner: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> y: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let l = gid.x + gid.y * groups.x * 64u;
  if (l >= p.lines) { return; }
  let start = (l / p.inner) * p.n * p.inner + l % p.inner;
  var sum = 0.0;
  for (var k = 0u; k < p.n; k++) {
    let i = start + k * p.inner;
    if (LOG) { sum += dy[i]; } else { sum += dy[i] * y[i]; }
  }
  for (var k = 0u; k < p.n; k++) {
    let i = start + k * p.inner;
    if (LOG) { dx[i] = dy[i] - exp(y[i]) * sum; } else { dx[i] = y[i] * (dy[i] - sum); }
  }
}
