// activation_fn.wgsl — the activation applied by the standalone activation kernel and by the
// epilogues of convolution and matmul (prepended to their source), so a fused activation is
// the same code as an unfused one. Chosen by override constants:
//   ACT_KIND 0 none, 1 relu, 2 sigmoid, 3 tanh, 4 leakyRelu (slope ACT_ALPHA), 5 clip [ACT_MIN, ACT_MAX].

override ACT_KIND: u32 = 0u;
override ACT_ALPHA: f32 = 0.0;
override ACT_MIN: f32 = 0.0;
override ACT_MAX: f32 = 0.0;

fn activate(v: f32) -> f32 {
  switch ACT_KIND {
    case 1u: { return max(v, 0.0); }
    case 2u: { return 1.0 / (1.0 + exp(-v)); }
    // tanh of a large argument can come out NaN on some drivers; ±20 is already ±1 in f32.
    case 3u: { return tanh(clamp(v, -20.0, 20.0)); }
    case 4u: { return select(v * ACT_ALPHA, v, v >= 0.0); }
    case 5u: { return min(max(v, ACT_MIN), ACT_MAX); }
    default: { return v; }
  }
}
