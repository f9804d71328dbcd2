// activation_fn.wgsl — the activation applied by the standalone activation kernel and by the
// epilogues of convolution and matmul (prepended to their source), so a fused activation is
// the same code as an unfused one. Chosen by override constants:
//   ACT_KIND 0 none, 1 relu, 2 sigmoid, 3 tanh, 4 leakyRelu (slope ACT_ALPHA), 5 clip [ACT_MIN, ACT_MAX].
// NaN passes through every kind as in PyTorch: max, exp, tanh and clamp may drop it, so a NaN input
// is selected back by its bit pattern (is_nan from nan.wgsl, prepended before this file).

override ACT_KIND: u32 = 0u;
override ACT_ALPHA: f32 = 0.0;
override ACT_MIN: f32 = 0.0;
override ACT_MAX: f32 = 0.0;

fn activate(v: f32) -> f32 {
  switch ACT_KIND {
    case 1u: { return select(max(v, 0.0), v, is_nan(v)); }
    case 2u: { return select(1.0 / (1.0 + exp(-v)), v, is_nan(v)); }
    // tanh of a large argument can come out NaN on some drivers; ±20 is already ±1 in f32.
    case 3u: { return select(tanh(clamp(v, -20.0, 20.0)), v, is_nan(v)); }
    case 4u: { return select(v * ACT_ALPHA, v, v >= 0.0 || is_nan(v)); }
    case 5u: { return select(min(max(v, ACT_MIN), ACT_MAX), v, is_nan(v)); }
    default: { return v; }
  }
}
