// recurrent_step_grad.wgsl — one backward time step of one layer direction of an LSTM, GRU or
// Elman RNN (backpropagation through time; the CPU reference is recurrentStepGrad in
// src/ops/recurrent/recurrentMath.ts, the lowering recurrentGradGpu.ts). Steps run s = T−1 … 0.
//
// main: one invocation per (batch row b, hidden unit u), 64 per workgroup, flat index
// i = x + y·groups_x·64. It gathers the gradient reaching the new state of step s — the output's
// (d_out) plus what step s + 1 sends back: its direct part (kept in `carry`) and W_hhᵀ·dR of its
// row, summed here over the G·H rows of W_hh's column u — then applies the gate derivatives to the
// pre-activations the forward saved (recurrent_step.wgsl, SAVE) and writes unit u's gate gradients
// dA (input side) and dR (recurrent side) of row (t, b) to `grads`, and its direct carries (GRU's
// dh·z, LSTM's dc_prev) for step s − 1. A clamp (clip) passes the gradient inside [−clip, clip].
// reset_grad (GRU with linearBeforeReset = false): n = x_n + W_hn (r ⊙ h) + b_hn, so d(r ⊙ h)
// needs every unit's dA_n of the row: dispatched after main on the same step, it adds r's gradient.
// initial_grad: after step 0, the gradients of h0 and c0 (what step 0 sends back), into `carry`.
//
// The uniform block is recurrent_step.wgsl's (struct Step), its fields read as:
//   N, H, T, step, reverse, clip, hasPeepholes: as in the forward;
//   hIn / hOut: the carry half of step s + 1 (read) / of step s (written): [dh direct | dc] [N, H] each;
//   cOffset: D·L·N·H, the distance from a slot's final-state gradients dh to dc, and on to dh0, dc0;
//   resetAt: this slot's dh (final h's gradient) in carry, then dc, dh0, dc0 each cOffset further;
//   lengthsAt: sequence lengths in carry (f32); savedAt: this slot's saved rows in `saved`;
//   xpOffset: dA in grads (dAᵀ and dRᵀ follow, rows·G·H each); xpStrideT, xpStrideN: a row
//   (t, b)'s index times G·H (memory order of x); yOffset, yStrideT, yStrideN: d_out as the
//   forward's y; hasBias: whether d_out is given (else the output gets no gradient).
//
// saved [rows][SAVED_WIDTH·H] (slot at savedAt), w_hh [G·H, H], w_ph [3, H], d_out [rows, D·H]
//   -> grads: dA [rows, G·H], dAt [G·H, rows], dRt [G·H, rows]; carry (halves, dh0, dc0)

override MODE: u32 = 0u;            // 0 LSTM (gates i, f, g, o), 1 GRU (r, z, n), 2 RNN
override RELU: bool = false;
override LINEAR_BEFORE_RESET: bool = true;
override HAS_LENGTHS: bool = false;

// struct Step and the uniform block `u` (binding 0): recurrent_step_uniforms.wgsl, prepended.
// Ordered so that each entry point binds a prefix: initial_grad 1–3, reset_grad 1–4, main 1–6.
@group(0) @binding(1) var<storage, read_write> carry: array<f32>;
@group(0) @binding(2) var<storage, read_write> grads: array<f32>;
@group(0) @binding(3) var<storage, read> w_hh: array<f32>;
@group(0) @binding(4) var<storage, read> saved: array<f32>;
@group(0) @binding(5) var<storage, read> w_ph: array<f32>;     // w_hh again when absent
@group(0) @binding(6) var<storage, read> d_out: array<f32>;    // w_hh again when absent (hasBias 0)

fn sigmoid(v: f32) -> f32 { return 1.0 / (1.0 + exp(-v)); }
fn tanh_safe(v: f32) -> f32 { return tanh(clamp(v, -20.0, 20.0)); }
fn clipped(v: f32) -> f32 { return clamp(v, -u.clip, u.clip); }
fn clip_pass(v: f32) -> f32 { return select(0.0, 1.0, v >= -u.clip && v <= u.clip); }

fn gate_count() -> u32 { return select(select(1u, 3u, MODE == 1u), 4u, MODE == 0u); }
fn saved_width() -> u32 { return select(select(2u, 5u, MODE == 1u), 6u, MODE == 0u); }
fn rows() -> u32 { return u.T * u.N; }

struct Lane { b: u32, unit: u32, len: u32, live: bool }

fn lane_of(gid: vec3u, groups: vec3u) -> Lane {
  let i = gid.x + gid.y * groups.x * 64u;
  var l: Lane;
  l.live = i < u.N * u.H;
  l.b = min(i / u.H, u.N - 1u);
  l.unit = i % u.H;
  l.len = u.T;
  if (HAS_LENGTHS) { l.len = u32(carry[u.lengthsAt + l.b]); }
  return l;
}

// Time index and row (memory order) of step s for a row of length len.
fn time_of(s: u32, len: u32) -> u32 { return select(s, len - 1u - s, u.reverse != 0u); }
fn row_of(t: u32, b: u32) -> u32 { return (t * u.xpStrideT + b * u.xpStrideN) / (gate_count() * u.H); }
fn saved_at(row: u32, k: u32, unit: u32) -> u32 { return u.savedAt + (row * saved_width() + k) * u.H + unit; }

fn write_gate(row: u32, j: u32, da: f32, dr: f32) {
  let GH = gate_count() * u.H;
  grads[u.xpOffset + row * GH + j] = da;
  grads[u.xpOffset + rows() * GH + j * rows() + row] = da;
  grads[u.xpOffset + 2u * rows() * GH + j * rows() + row] = dr;
}
fn dr_of(row: u32, j: u32) -> f32 { return grads[u.xpOffset + 2u * rows() * gate_count() * u.H + j * rows() + row]; }
fn da_of(row: u32, j: u32) -> f32 { return grads[u.xpOffset + row * gate_count() * u.H + j]; }

// The gradient step `next` sends back to the state before it, unit l.unit: (dh, dc). For
// next = len (nothing ran after), the gradients of the final states.
fn incoming(l: Lane, next: u32) -> vec2f {
  let at = l.b * u.H + l.unit;
  if (next >= l.len) {
    return vec2f(carry[u.resetAt + at], carry[u.resetAt + u.cOffset + at]);
  }
  let row = row_of(time_of(next, l.len), l.b);
  // GRU without linearBeforeReset: its n rows reach h through r ⊙ h (in the direct part).
  let hRows = select(gate_count() * u.H, 2u * u.H, MODE == 1u && !LINEAR_BEFORE_RESET);
  var dh = carry[u.hIn + at];
  for (var j = 0u; j < hRows; j++) { dh += dr_of(row, j) * w_hh[j * u.H + l.unit]; }
  return vec2f(dh, carry[u.hIn + u.N * u.H + at]);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let l = lane_of(gid, groups);
  if (!l.live || u.step >= l.len) { return; }   // padded steps get no gradient
  let H = u.H;
  let unit = l.unit;
  let t = time_of(u.step, l.len);
  let row = row_of(t, l.b);
  let back = incoming(l, u.step + 1u);
  var dh = back.x;
  var dcOut = 0.0;
  var direct = 0.0;
  if (u.hasBias != 0u) { dh += d_out[u.yOffset + t * u.yStrideT + l.b * u.yStrideN + unit]; }
  let hPrev = saved[saved_at(row, saved_width() - 1u, unit)];

  if (MODE == 2u) {
    let a = saved[saved_at(row, 0u, unit)];
    let v = clipped(a);
    var slope = 1.0 - tanh_safe(v) * tanh_safe(v);
    if (RELU) { slope = select(0.0, 1.0, v > 0.0); }
    let d = dh * slope * clip_pass(a);
    write_gate(row, unit, d, d);
  } else if (MODE == 0u) {
    let ai = saved[saved_at(row, 0u, unit)];
    let af = saved[saved_at(row, 1u, unit)];
    let ag = saved[saved_at(row, 2u, unit)];
    let ao = saved[saved_at(row, 3u, unit)];
    let cPrev = saved[saved_at(row, 4u, unit)];
    let i = sigmoid(clipped(ai));
    let f = sigmoid(clipped(af));
    let g = tanh_safe(clipped(ag));
    let o = sigmoid(clipped(ao));
    let c = f * cPrev + i * g;
    let tc = tanh_safe(c);
    var pi = 0.0;
    var pf = 0.0;
    var po = 0.0;
    if (u.hasPeepholes != 0u) {
      pi = w_ph[unit];
      pf = w_ph[H + unit];
      po = w_ph[2u * H + unit];
    }
    let dao = dh * tc * o * (1.0 - o) * clip_pass(ao);
    let dc = back.y + dh * o * (1.0 - tc * tc) + dao * po;
    let dai = dc * g * i * (1.0 - i) * clip_pass(ai);
    let daf = dc * cPrev * f * (1.0 - f) * clip_pass(af);
    let dag = dc * i * (1.0 - g * g) * clip_pass(ag);
    write_gate(row, unit, dai, dai);
    write_gate(row, H + unit, daf, daf);
    write_gate(row, 2u * H + unit, dag, dag);
    write_gate(row, 3u * H + unit, dao, dao);
    dcOut = dc * f + dai * pi + daf * pf;
  } else {
    let ar = saved[saved_at(row, 0u, unit)];
    let az = saved[saved_at(row, 1u, unit)];
    let an = saved[saved_at(row, 2u, unit)];
    let hn = saved[saved_at(row, 3u, unit)];
    let r = sigmoid(clipped(ar));
    let z = sigmoid(clipped(az));
    let n = tanh_safe(clipped(an));
    let dan = dh * (1.0 - z) * (1.0 - n * n) * clip_pass(an);
    let daz = dh * (hPrev - n) * z * (1.0 - z) * clip_pass(az);
    write_gate(row, H + unit, daz, daz);
    if (LINEAR_BEFORE_RESET) {
      let dar = dan * hn * r * (1.0 - r) * clip_pass(ar);
      write_gate(row, unit, dar, dar);
      write_gate(row, 2u * H + unit, dan, dan * r);
    } else {
      write_gate(row, 2u * H + unit, dan, dan);
    }
    direct = dh * z;
  }
  let at = l.b * H + unit;
  carry[u.hOut + at] = direct;
  carry[u.hOut + u.N * H + at] = dcOut;
}

@compute @workgroup_size(64)
fn reset_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let l = lane_of(gid, groups);
  if (!l.live || u.step >= l.len) { return; }
  let H = u.H;
  let unit = l.unit;
  let row = row_of(time_of(u.step, l.len), l.b);
  var drh = 0.0;
  for (var j = 0u; j < H; j++) { drh += da_of(row, 2u * H + j) * w_hh[(2u * H + j) * H + unit]; }
  let ar = saved[saved_at(row, 0u, unit)];
  let r = sigmoid(clipped(ar));
  let dar = drh * saved[saved_at(row, 4u, unit)] * r * (1.0 - r) * clip_pass(ar);
  write_gate(row, unit, dar, dar);
  carry[u.hOut + l.b * H + unit] += drh * r;
}

@compute @workgroup_size(64)
fn initial_grad(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let l = lane_of(gid, groups);
  if (!l.live) { return; }
  let back = incoming(l, 0u);
  let at = l.b * u.H + l.unit;
  carry[u.resetAt + 2u * u.cOffset + at] = back.x;
  carry[u.resetAt + 3u * u.cOffset + at] = back.y;
}
