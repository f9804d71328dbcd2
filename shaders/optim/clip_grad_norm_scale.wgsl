// clip_grad_norm_scale.wgsl — the factor torch.nn.utils.clip_grad_norm_ multiplies every gradient
// by (src/ops/optim/clipGradNorm.ts): from the sum of squares s of all gradients,
//   scale = min(max_norm / (sqrt(s) + 1e-6), 1).
// One invocation.
//
// sum_sq [1] -> scale [1]

struct Params {
  max_norm: f32,
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> sum_sq: array<f32>;
@group(0) @binding(2) var<storage, read_write> scale: array<f32>;

@compute @workgroup_size(1)
fn main() {
  scale[0] = min(u.max_norm / (sqrt(sum_sq[0]) + 1e-6), 1.0);
}
