// mse.wgsl — mean squared error: loss = Σ (output[i] − expected[i])² / count. One workgroup of 256:
// invocation t sums elements t, t + 256, …; the partial sums meet in a tree reduction in
// workgroup memory.

@group(0) @binding(0) var<uniform> count: u32;
@group(0) @binding(1) var<storage, read> output: array<f32>;
@group(0) @binding(2) var<storage, read> expected: array<f32>;
@group(0) @binding(3) var<storage, read_write> loss: array<f32>;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn main(@builtin(local_invocation_index) t: u32) {
  var sum = 0.0;
  for (var i = t; i < count; i += 256u) {
    let d = output[i] - expected[i];
    sum += d * d;
  }
  partial[t] = sum;
  workgroupBarrier();
  for (var half = 128u; half > 0u; half /= 2u) {
    if (t < half) { partial[t] += partial[t + half]; }
    workgroupBarrier();
  }
  if (t == 0u) { loss[0] = partial[0] / f32(count); }
}
