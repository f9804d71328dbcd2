// 09_sequence — LSTM only (forward, biases): every time step in one dispatch. One workgroup of WG
// invocations per batch row keeps h in workgroup memory (ping-pong halves, one barrier per step);
// invocation lid owns units lid, lid + WG, … and keeps their c. LAYOUT 0 reads W_hh rows as given
// [G·H, H]; 1 transposed [H, G·H]; 2 k-quads packed [H/4][G·H] vec4 (lane reads its unit's 4 k).
// struct Step and the uniform block `u` (binding 0): recurrent_step_uniforms.wgsl, prepended.
@group(0) @binding(1) var<storage, read> xp: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b_hh: array<f32>;
@group(0) @binding(4) var<storage, read_write> state: array<f32>;
@group(0) @binding(5) var<storage, read> w_ph: array<f32>;
@group(0) @binding(6) var<storage, read_write> y: array<f32>;
fn sigmoid(v: f32) -> f32 { return 1.0 / (1.0 + exp(-v)); }
fn tanh_safe(v: f32) -> f32 { return tanh(clamp(v, -20.0, 20.0)); }
fn clipped(v: f32) -> f32 { return clamp(v, -u.clip, u.clip); }

override WG: u32 = 256u;
override LAYOUT: u32 = 1u;
const MAX_H = 1024u;
var<workgroup> hs: array<f32, 2048>;
var<workgroup> cs: array<f32, 1024>;

fn wread(k: u32, j: u32) -> f32 {
  let H = u.H;
  if (LAYOUT == 0u) { return w[j * H + k]; }
  return w[k * 4u * H + j];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let H = u.H;
  let GH = 4u * H;
  let b = wid.x;
  for (var j = lid; j < H; j += WG) { hs[j] = 0.0; cs[j] = 0.0; }
  workgroupBarrier();
  for (var t = 0u; t < u.T; t++) {
    let rd = (t % 2u) * MAX_H;
    let wr = MAX_H - rd;
    let x = u.xpOffset + t * u.xpStrideT + b * u.xpStrideN;
    for (var unit = lid; unit < H; unit += WG) {
      var a = vec4f(0.0);
      if (LAYOUT == 2u) {
        let w4 = GH * 4u;
        for (var k = 0u; k < H; k += 4u) {
          let hk = vec4f(hs[rd + k], hs[rd + k + 1u], hs[rd + k + 2u], hs[rd + k + 3u]);
          let base = k * GH + unit * 4u;
          a.x += dot(vec4f(w[base], w[base + 1u], w[base + 2u], w[base + 3u]), hk);
          let b1 = base + 4u * H;
          a.y += dot(vec4f(w[b1], w[b1 + 1u], w[b1 + 2u], w[b1 + 3u]), hk);
          let b2 = base + 8u * H;
          a.z += dot(vec4f(w[b2], w[b2 + 1u], w[b2 + 2u], w[b2 + 3u]), hk);
          let b3 = base + 12u * H;
          a.w += dot(vec4f(w[b3], w[b3 + 1u], w[b3 + 2u], w[b3 + 3u]), hk);
        }
      } else {
        for (var k = 0u; k < H; k++) {
          let hk = hs[rd + k];
          a += vec4f(wread(k, unit), wread(k, H + unit), wread(k, 2u * H + unit), wread(k, 3u * H + unit)) * hk;
        }
      }
      let cPrev = cs[unit];
      let i = sigmoid(clipped(xp[x + unit] + a.x + b_hh[unit]));
      let f = sigmoid(clipped(xp[x + H + unit] + a.y + b_hh[H + unit]));
      let g = tanh_safe(clipped(xp[x + 2u * H + unit] + a.z + b_hh[2u * H + unit]));
      let c = f * cPrev + i * g;
      let o = sigmoid(clipped(xp[x + 3u * H + unit] + a.w + b_hh[3u * H + unit]));
      cs[unit] = c;
      let h = o * tanh_safe(c);
      hs[wr + unit] = h;
      y[u.yOffset + t * u.yStrideT + b * u.yStrideN + unit] = h + 0.0 * w_ph[0] + 0.0 * state[0];
    }
    workgroupBarrier();
  }
}
