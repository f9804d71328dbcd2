// recurrent_cell.wgsl — the gate math of one hidden unit, shared by the per-step kernel
// (recurrent_step.wgsl) and the whole-sequence kernel (recurrent_sequence.wgsl); prepended to
// both after the uniform block (struct Step, `u`: u.clip) and nan.wgsl. Each function takes the
// gate pre-activations, x·W_ih + b_ih + W_hh·h + b_hh (GRU's n as its mode forms it), and returns
// the unit's new state, with the gate activations beside it for callers that keep them.

override RELU: bool = false;        // RNN nonlinearity relu (else tanh)

// exp, tanh, clamp and max may drop a NaN; PyTorch's gates keep it (is_nan from nan.wgsl).
fn sigmoid(v: f32) -> f32 { return select(1.0 / (1.0 + exp(-v)), v, is_nan(v)); }
// tanh of a large argument can come out NaN on some drivers; ±20 is already ±1 in f32.
fn tanh_safe(v: f32) -> f32 { return select(tanh(clamp(v, -20.0, 20.0)), v, is_nan(v)); }
fn clipped(v: f32) -> f32 { return select(clamp(v, -u.clip, u.clip), v, is_nan(v)); }
fn relu(v: f32) -> f32 { return select(max(v, 0.0), v, is_nan(v)); }

/** A sigmoid gate (LSTM i, f, o; GRU r, z) of its pre-activation. */
fn gate(pre: f32) -> f32 { return sigmoid(clipped(pre)); }

struct LstmCell {
  h: f32,
  c: f32,
  gates: vec4f,   // i, f, g, o
}

/** LSTM gates i, f, g, o from `pre`; peep holds the peephole weights of i, f, o (zeros without). */
fn lstm_cell(pre: vec4f, cPrev: f32, peep: vec3f) -> LstmCell {
  let i = gate(pre.x + peep.x * cPrev);
  let f = gate(pre.y + peep.y * cPrev);
  let g = tanh_safe(clipped(pre.z));
  let c = f * cPrev + i * g;
  // The output gate's peephole sees the new cell state (ONNX).
  let o = gate(pre.w + peep.z * c);
  return LstmCell(o * tanh_safe(c), c, vec4f(i, f, g, o));
}

/** GRU: h' = (1 − z)·n + z·h from z's pre-activation and n's (already holding r as the mode wants). */
fn gru_h(preZ: f32, preN: f32, hPrev: f32) -> f32 {
  let z = gate(preZ);
  return (1.0 - z) * tanh_safe(clipped(preN)) + z * hPrev;
}

/** Elman RNN: h' = tanh or relu of the pre-activation. */
fn rnn_h(pre: f32) -> f32 {
  let v = clipped(pre);
  return select(tanh_safe(v), relu(v), RELU);
}
