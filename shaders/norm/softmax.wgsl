// softmax.wgsl — softmax / logSoftmax along one axis, numerically stable (shifted by the line's max):
//   x [outer, n, inner] -> y [outer, n, inner]; a line is the n elements (o, ·, j), `inner` apart.
//   softmax: y = exp(x − max) / Σ exp(x − max);  logSoftmax (LOG): y = x − max − log Σ exp(x − max).
//
// main (short lines): one invocation per line, 64 per workgroup, workgroups spread over x and y past
//   65 535 (line = x + y·groups_x·64). Three sweeps over the line: max, sum, write. For inner > 1
//   neighbouring invocations are neighbouring j, so every sweep step reads contiguous memory.
// per_workgroup (long lines, e.g. 1000 classes): one workgroup of WG per line (line = x + y·groups_x).
//   Invocation t takes the elements t, t + WG, …; the line's max and then its sum are each a tree
//   reduction over WG partial results in workgroup memory (`partial`); then each invocation writes
//   its own elements.
// NaN as in PyTorch: a line with a NaN (or where x − max is NaN: ∞ − ∞) is NaN throughout. max and
// exp may drop a NaN, so it is tested by its bit pattern (is_nan from nan.wgsl) and carried in the
// sum, then selected into every output.

override LOG: bool = false;
override WG: u32 = 64u; // per_workgroup's workgroup size, a power of two

struct Params {
  lines: u32,  // outer·inner
  n: u32,      // length of a line (≥ 1)
  inner: u32,  // distance between a line's elements
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

/** Index of element 0 of line l. */
fn line_start(l: u32) -> u32 {
  return (l / p.inner) * p.n * p.inner + l % p.inner;
}

/** max that keeps a NaN of either side. */
fn max_nan(a: f32, b: f32) -> f32 {
  return select(max(a, b), a + b, is_nan(a) || is_nan(b));
}

/** exp(v − line_max) for the sum: NaN when the difference is. */
fn shifted_exp(v: f32, line_max: f32) -> f32 {
  let d = v - line_max;
  return select(exp(d), nan_f32(), is_nan(d));
}

/** y from x, the line's max and its Σ exp(x − max) (NaN when the line holds one). */
fn normalised(v: f32, line_max: f32, sum: f32) -> f32 {
  var y: f32;
  if (LOG) { y = v - line_max - log(sum); } else { y = exp(v - line_max) / sum; }
  return select(y, sum, is_nan(sum));
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let l = gid.x + gid.y * groups.x * 64u;
  if (l >= p.lines) { return; }
  let base = line_start(l);
  var line_max = x[base];
  for (var k = 1u; k < p.n; k++) { line_max = max_nan(line_max, x[base + k * p.inner]); }
  var sum = 0.0;
  for (var k = 0u; k < p.n; k++) { sum += shifted_exp(x[base + k * p.inner], line_max); }
  for (var k = 0u; k < p.n; k++) {
    let at = base + k * p.inner;
    y[at] = normalised(x[at], line_max, sum);
  }
}

var<workgroup> partial: array<f32, WG>;

@compute @workgroup_size(WG)
fn per_workgroup(@builtin(local_invocation_index) t: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let l = wid.x + wid.y * groups.x; // uniform across the workgroup, so the return keeps barriers uniform
  if (l >= p.lines) { return; }
  let base = line_start(l);

  // Every invocation starts from the line's element 0: max is idempotent, so this is right for
  // invocations without elements too, and a line of −∞ keeps its max −∞ (∞ − ∞ is then NaN, as in PyTorch).
  var line_max = x[base];
  for (var k = t; k < p.n; k += WG) { line_max = max_nan(line_max, x[base + k * p.inner]); }
  partial[t] = line_max;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    if (t < half) { partial[t] = max_nan(partial[t], partial[t + half]); }
    workgroupBarrier();
  }
  line_max = partial[0];
  workgroupBarrier(); // everyone has read the max before `partial` is reused

  var sum = 0.0;
  for (var k = t; k < p.n; k += WG) { sum += shifted_exp(x[base + k * p.inner], line_max); }
  partial[t] = sum;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half >>= 1u) {
    if (t < half) { partial[t] += partial[t + half]; }
    workgroupBarrier();
  }
  sum = partial[0];

  for (var k = t; k < p.n; k += WG) {
    let at = base + k * p.inner;
    y[at] = normalised(x[at], line_max, sum);
  }
}
