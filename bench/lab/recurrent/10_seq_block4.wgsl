// 10_seq_block4 — as 09 (every step in one dispatch, h in workgroup memory), but each invocation
// computes 4 units per pass (lid + j·WG, j = 0 … 3), so one read of h[k] feeds 16 products, and
// keeps their c in registers. W_hh rows as given [G·H, H].
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

override WG: u32 = 64u;
const MAX_H = 1024u;
var<workgroup> hs: array<f32, 2048>;
var<workgroup> cs: array<f32, 1024>;

fn update(b: u32, t: u32, unit: u32, a: vec4f, wr: u32) {
  let H = u.H;
  if (unit >= H) { return; }
  let x = u.xpOffset + t * u.xpStrideT + b * u.xpStrideN;
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

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32) {
  let H = u.H;
  let HH = H * H;
  let b = wid.x;
  for (var j = lid; j < H; j += WG) { hs[j] = 0.0; cs[j] = 0.0; }
  workgroupBarrier();
  for (var t = 0u; t < u.T; t++) {
    let rd = (t % 2u) * MAX_H;
    let wr = MAX_H - rd;
    for (var base = 0u; base < H; base += 4u * WG) {
      let u0 = min(base + lid, H - 1u);
      let u1 = min(base + lid + WG, H - 1u);
      let u2 = min(base + lid + 2u * WG, H - 1u);
      let u3 = min(base + lid + 3u * WG, H - 1u);
      var a0 = vec4f(0.0); var a1 = vec4f(0.0); var a2 = vec4f(0.0); var a3 = vec4f(0.0);
      var r0 = u0 * H; var r1 = u1 * H; var r2 = u2 * H; var r3 = u3 * H;
      for (var k = 0u; k < H; k++) {
        let hk = hs[rd + k];
        a0 += vec4f(w[r0], w[r0 + HH], w[r0 + 2u * HH], w[r0 + 3u * HH]) * hk;
        a1 += vec4f(w[r1], w[r1 + HH], w[r1 + 2u * HH], w[r1 + 3u * HH]) * hk;
        a2 += vec4f(w[r2], w[r2 + HH], w[r2 + 2u * HH], w[r2 + 3u * HH]) * hk;
        a3 += vec4f(w[r3], w[r3 + HH], w[r3 + 2u * HH], w[r3 + 3u * HH]) * hk;
        r0++; r1++; r2++; r3++;
      }
      update(b, t, base + lid, a0, wr);
      update(b, t, base + lid + WG, a1, wr);
      update(b, t, base + lid + 2u * WG, a2, wr);
      update(b, t, base + lid + 3u * WG, a3, wr);
    }
    workgroupBarrier();
  }
}
