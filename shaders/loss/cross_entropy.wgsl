// cross_entropy.wgsl — mean cross-entropy of logits [rows, classes] against class indices
// labels [rows] (float32): loss = Σ_r (max_r + log Σ_c exp(x[r, c] − max_r) − x[r, labels_r]) / rows.
// One workgroup of 256: invocation t sums rows t, t + 256, …; the partial sums meet in a tree
// reduction in workgroup memory. A label that is not a class index gives NaN (the host checks
// targets before a training step).

struct Params {
  rows: u32,
  classes: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  var sum = 0.0;
  for (var r = t; r < p.rows; r += 256u) {
    let base = r * p.classes;
    var m = logits[base];
    for (var c = 1u; c < p.classes; c++) { m = max(m, logits[base + c]); }
    var e = 0.0;
    for (var c = 0u; c < p.classes; c++) { e += exp(logits[base + c] - m); }
    let label = labels[r];
    if (label >= 0.0 && label < f32(p.classes) && floor(label) == label) {
      sum += m + log(e) - logits[base + u32(label)];
    } else {
      // NaN, built at run time (a constant NaN is a WGSL error).
      sum += bitcast<f32>(0x7fc00000u + p.rows - p.rows);
    }
  }
  partial[t] = sum;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half /= 2u) {
    if (t < half) { partial[t] += partial[t + half]; }
    workgroupBarrier();
  }
  if (t == 0u) { loss[0] = partial[0] / f32(p.rows); }
}
