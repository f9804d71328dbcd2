// 06_rows_ksplit — LSTM only: W_hh rows as given [G·H, H]; a workgroup of 64 computes 64 / S units
// of one batch row, each unit's dot products split over S invocations that read neighbouring k
// of the same rows (invocation = unit·S + slice, so a warp reads S consecutive words per row);
// partial sums meet in workgroup memory, slice 0 applies the gates.
// struct Step and the uniform block `u` (binding 0): recurrent_step_uniforms.wgsl, prepended.
@group(0) @binding(1) var<storage, read> xp: array<f32>;
@group(0) @binding(2) var<storage, read> w_hh: array<f32>;
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



override S: u32 = 16u;            // invocations per unit (k-slices); 64 / S units per workgroup
var<workgroup> partial: array<vec4f, 64>;

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) groups: vec3u) {
  let H = u.H;
  let GH = 4u * H;
  let U = 64u / S;
  let blocks = (H + U - 1u) / U;
  let g = wid.x + wid.y * groups.x;
  let b = g / blocks;
  let unitLocal = lid / S;
  let slice = lid % S;
  let unit = (g % blocks) * U + unitLocal;
  let live = b < u.N && unit < H;
  let hIn = u.hIn + min(b, u.N - 1u) * H;
  let col = min(unit, H - 1u);
  var acc = vec4f(0.0);
  for (var k = slice; k < H; k += S) {
    let hk = state[hIn + k];
    acc += vec4f(w_hh[col * H + k], w_hh[(H + col) * H + k], w_hh[(2u * H + col) * H + k], w_hh[(3u * H + col) * H + k]) * hk;
  }
  partial[lid] = acc;
  workgroupBarrier();
  if (slice == 0u && live) {
    var s = vec4f(0.0);
    for (var j = 0u; j < S; j++) { s += partial[unitLocal * S + j]; }
    let t = u.step;
    let x = u.xpOffset + t * u.xpStrideT + b * u.xpStrideN;
    lstm_out(b, unit, x, hIn, u.hOut + b * H, t, s.x, s.y, s.z, s.w);
  }
}
