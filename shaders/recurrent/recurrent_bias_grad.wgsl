// recurrent_bias_grad.wgsl — the bias and peephole gradients of one layer direction, after its
// backward steps (recurrent_step_grad.wgsl) wrote the gate gradients of every row:
//   db_ih[j] = Σ_rows dA[row, j],   db_hh[j] = Σ_rows dR[row, j],
//   LSTM peepholes: dw_ph[i, u] = Σ dA_i·c_prev, dw_ph[f, u] = Σ dA_f·c_prev, dw_ph[o, u] = Σ dA_o·c_new
// (c_new recomputed from the saved row). One invocation per gate row j (and per peephole, max(G·H, 3H) in all, 64 per workgroup), each
// summing its column over all rows; every output element is written (zeros for absent peepholes).
//
// grads: dAt [G·H, rows] at dAt, dRt right after; saved rows [rows][6H] at savedAt
//   -> db_ih, db_hh [G·H], dw_ph [3, H]

struct BiasGrad {
  GH: u32,
  H: u32,
  rows: u32,
  dAt: u32,
  savedAt: u32,
  peepholes: u32,    // 1: LSTM with peepholes
  clip: f32,
}

@group(0) @binding(0) var<uniform> u: BiasGrad;
@group(0) @binding(1) var<storage, read> grads: array<f32>;
@group(0) @binding(2) var<storage, read> saved: array<f32>;
@group(0) @binding(3) var<storage, read_write> db_ih: array<f32>;
@group(0) @binding(4) var<storage, read_write> db_hh: array<f32>;
@group(0) @binding(5) var<storage, read_write> dw_ph: array<f32>;

fn sigmoid(v: f32) -> f32 { return 1.0 / (1.0 + exp(-v)); }

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  let j = gid.x;
  let n = u.rows;
  if (j < u.GH) {
    var sa = 0.0;
    var sr = 0.0;
    for (var r = 0u; r < n; r++) {
      sa += grads[u.dAt + j * n + r];
      sr += grads[u.dAt + (u.GH + j) * n + r];
    }
    db_ih[j] = sa;
    db_hh[j] = sr;
  }
  let H = u.H;
  if (j >= 3u * H) { return; }
  // Peephole row j = gate·H + unit for gates i, f, o (gate rows 0, 1, 3 of the LSTM).
  let gate = j / H;
  let unit = j % H;
  var sp = 0.0;
  for (var r = 0u; u.peepholes != 0u && r < n; r++) {
    let at = u.savedAt + r * 6u * H + unit;
    let cPrev = saved[at + 4u * H];
    var c = cPrev;
    if (gate == 2u) {
      let i = sigmoid(clamp(saved[at], -u.clip, u.clip));
      let f = sigmoid(clamp(saved[at + H], -u.clip, u.clip));
      let g = tanh(clamp(clamp(saved[at + 2u * H], -u.clip, u.clip), -20.0, 20.0));
      c = f * cPrev + i * g;
    }
    let row = select(gate, 3u, gate == 2u) * H + unit;
    sp += grads[u.dAt + row * n + r] * c;
  }
  dw_ph[j] = sp;
}
