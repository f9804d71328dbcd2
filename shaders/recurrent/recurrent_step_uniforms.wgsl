// recurrent_step_uniforms.wgsl — the uniform block of one recurrent step, shared by
// recurrent_step.wgsl and the step variants of bench/lab/recurrent (prepended to each by
// withStepUniforms in src/ops/recurrent/recurrentGpu.ts, which also writes the block, field by
// field in this order).

struct Step {
  N: u32,
  H: u32,
  T: u32,
  step: u32,
  reverse: u32,
  hIn: u32,          // state offset of half (step % 2), this slot, c = hIn + cOffset
  hOut: u32,
  cOffset: u32,
  resetAt: u32,      // GRU r ⊙ h rows
  lengthsAt: u32,
  xpOffset: u32,     // this direction's projection
  xpStrideT: u32,
  xpStrideN: u32,
  yOffset: u32,
  yStrideT: u32,
  yStrideN: u32,
  hasBias: u32,
  hasPeepholes: u32,
  clip: f32,
  savedAt: u32,      // training (SAVE): this slot's saved rows in state
}

@group(0) @binding(0) var<uniform> u: Step;
