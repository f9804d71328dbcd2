// 02_transposed — LSTM only (forward, biases, no lengths/peepholes): one invocation per (b, unit)
// as shipped, but W_hh transposed to [H, G·H] so neighbouring invocations read neighbouring words.
// struct Step and the uniform block `u` (binding 0): recurrent_step_uniforms.wgsl, prepended.
@group(0) @binding(1) var<storage, read> xp: array<f32>;
@group(0) @binding(2) var<storage, read> w_t: array<f32>;
@group(0) @binding(3) var<storage, read> b_hh: array<f32>;
@group(0) @binding(4) var<storage, read_write> state: array<f32>;
@group(0) @binding(5) var<storage, read> w_ph: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
fn sigmoid(v: f32) -> f32 { return 1.0 / (1.0 + exp(-v)); }
fn tanh_safe(v: f32) -> f32 { return tanh(clamp(v, -20.0, 20.0)); }
fn clipped(v: f32) -> f32 { return clamp(v, -u.clip, u.clip); }

fn lstm_out(b: u32, unit: u32, x: u32, hIn: u32, hOut: u32, t: u32, a0: f32, a1: f32, a2: f32, a3: f32) {
  let H = u.H;
  let cAt = u.cOffset + unit;
  let cPrev = state[hIn + cAt];
  let i = sigmoid(clipped(xp[x + unit] + a0 + b_hh[unit]));
  let f = sigmoid(clipped(xp[x + H + unit] + a1 + b_hh[H + unit]));
  let g = tanh_safe(clipped(xp[x + 2u * H + unit] + a2 + b_hh[2u * H + unit]));
  let c = f * cPrev + i * g;
  let o = sigmoid(clipped(xp[x + 3u * H + unit] + a3 + b_hh[3u * H + unit]));
  state[hOut + cAt] = c;
  let h = o * tanh_safe(c);
  state[hOut + unit] = h;
  y[u.yOffset + t * u.yStrideT + b * u.yStrideN + unit] = h + 0.0 * w_ph[0];
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i >= u.N * u.H) { return; }
  let H = u.H;
  let GH = 4u * H;
  let b = i / H;
  let unit = i % H;
  let hIn = u.hIn + b * H;
  let t = u.step;
  let x = u.xpOffset + t * u.xpStrideT + b * u.xpStrideN;
  var a0 = 0.0; var a1 = 0.0; var a2 = 0.0; var a3 = 0.0;
  for (var k = 0u; k < H; k++) {
    let hk = state[hIn + k];
    let w = k * GH + unit;
    a0 += w_t[w] * hk;
    a1 += w_t[w + H] * hk;
    a2 += w_t[w + 2u * H] * hk;
    a3 += w_t[w + 3u * H] * hk;
  }
  lstm_out(b, unit, x, hIn, u.hOut + b * H, t, a0, a1, a2, a3);
}
