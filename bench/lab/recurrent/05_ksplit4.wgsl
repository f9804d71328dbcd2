// 05_ksplit4 — LSTM only: W_hh transposed [H, G·H]; a workgroup of 64 computes 16 units of one
// batch row, each unit's dot products split over 4 invocations (k ≡ slice mod 4); the partial sums
// meet in workgroup memory and slice 0 applies the gates. Four times the invocations of 02 for
// small N·H, where a step is latency-bound on a real GPU.
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


var<workgroup> partial: array<vec4f, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) groups: vec3u) {
  let H = u.H;
  let GH = 4u * H;
  let blocks = (H + 15u) / 16u;
  let g = wid.x + wid.y * groups.x;
  let b = g / blocks;
  let unitLocal = lid % 16u;
  let slice = lid / 16u;
  let unit = (g % blocks) * 16u + unitLocal;
  let live = b < u.N && unit < H;
  let hIn = u.hIn + min(b, u.N - 1u) * H;
  let col = min(unit, H - 1u);
  var acc = vec4f(0.0);
  for (var k = slice; k < H; k += 4u) {
    let hk = state[hIn + k];
    let w = k * GH + col;
    acc += vec4f(w_t[w], w_t[w + H], w_t[w + 2u * H], w_t[w + 3u * H]) * hk;
  }
  partial[lid] = acc;
  workgroupBarrier();
  if (slice == 0u && live) {
    let s = partial[unitLocal] + partial[unitLocal + 16u] + partial[unitLocal + 32u] + partial[unitLocal + 48u];
    let t = u.step;
    let x = u.xpOffset + t * u.xpStrideT + b * u.xpStrideN;
    lstm_out(b, unit, x, hIn, u.hOut + b * H, t, s.x, s.y, s.z, s.w);
  }
}
