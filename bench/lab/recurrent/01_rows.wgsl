// 01_rows — the first shipped step kernel (one invocation per (batch row, hidden unit), W_hh rows
// as given), kept for comparison: the k-split kernel that replaced it is shaders/recurrent/recurrent_step.wgsl.
// recurrent_step.wgsl — one time step of one layer direction of an LSTM, GRU or Elman RNN, after
// the input projection xp = x·W_ihᵀ + b_ih of every step has been computed by one GEMM.
//
// main: one invocation per (batch row b, hidden unit u), 64 per workgroup, flat index b·H + u
// (spread over x and y past 65 535 workgroups). It reads the previous state row h[b, 0 … H) and
// runs the G recurrent dot products with W_hh rows g·H + u (length H) in one loop, then adds
// xp and b_hh, applies the gates and writes unit u of the new state and of the output y. No
// workgroup memory: rows of h are shared through the cache.
//
// The states live in one scratch buffer in two halves (ping-pong: step s reads half s % 2 and
// writes the other), so an invocation never overwrites a value another one still reads, and a
// row past its sequence length simply carries its state over. Layout of `state` (f32):
//   [2 halves][h, c (LSTM)][D·L slots][N][H], then GRU's r ⊙ h [N, H], then lengths [N]
// (exact small integers, written by recurrent_init.wgsl). Offsets come in the uniform block.
//
// reset (GRU with linearBeforeReset = false, ONNX's default): n needs W_hn (r ⊙ h), so every r
// of the row must exist before any n: this entry point, dispatched before main on each step,
// writes r ⊙ h for one (b, u) per invocation; main then reads it for the n gate.
//
// Steps past a row's length write 0 to y and carry the state. Reverse directions run
// t = len − 1 − s, so each row starts at its own last valid step.
//
// xp [D][T·N, G·H] (rows at xpOffset + t·xpStrideT + b·xpStrideN), w_hh [G·H, H], b_hh [G·H], w_ph [3, H]
//   -> state (next half), y [T, N, D·H] or [N, T, D·H] (unit u of row (t, b) at yOffset + t·yStrideT + b·yStrideN + u)

override MODE: u32 = 0u;            // 0 LSTM (gates i, f, g, o), 1 GRU (r, z, n), 2 RNN
override RELU: bool = false;        // RNN nonlinearity relu (else tanh)
override LINEAR_BEFORE_RESET: bool = true;
override HAS_LENGTHS: bool = false;

// struct Step and the uniform block `u` (binding 0): recurrent_step_uniforms.wgsl, prepended.
@group(0) @binding(1) var<storage, read> xp: array<f32>;
@group(0) @binding(2) var<storage, read> w_hh: array<f32>;
@group(0) @binding(3) var<storage, read> b_hh: array<f32>;   // w_hh again when absent (hasBias 0)
@group(0) @binding(4) var<storage, read_write> state: array<f32>;
@group(0) @binding(5) var<storage, read> w_ph: array<f32>;   // w_hh again when absent
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

fn sigmoid(v: f32) -> f32 { return 1.0 / (1.0 + exp(-v)); }
// tanh of a large argument can come out NaN on some drivers; ±20 is already ±1 in f32.
fn tanh_safe(v: f32) -> f32 { return tanh(clamp(v, -20.0, 20.0)); }
fn clipped(v: f32) -> f32 { return clamp(v, -u.clip, u.clip); }

fn bias(j: u32) -> f32 {
  if (u.hasBias != 0u) { return b_hh[j]; }
  return 0.0;
}

struct Row { b: u32, unit: u32, len: u32, live: bool }

fn row_of(gid: vec3u, groups: vec3u) -> Row {
  let i = gid.x + gid.y * groups.x * 64u;
  var r: Row;
  r.live = i < u.N * u.H;
  r.b = i / u.H;
  r.unit = i % u.H;
  r.len = u.T;
  if (HAS_LENGTHS && r.live) { r.len = u32(state[u.lengthsAt + r.b]); }
  return r;
}

// The time index of this step for a row of length len (reverse directions start at len − 1).
fn time_of(len: u32) -> u32 {
  return select(u.step, len - 1u - u.step, u.reverse != 0u);
}

@compute @workgroup_size(64)
fn reset(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = row_of(gid, groups);
  if (!r.live || u.step >= r.len) { return; }
  let H = u.H;
  let x = u.xpOffset + time_of(r.len) * u.xpStrideT + r.b * u.xpStrideN;
  let h = u.hIn + r.b * H;
  let w = r.unit * H;
  var acc = 0.0;
  for (var k = 0u; k < H; k++) { acc += w_hh[w + k] * state[h + k]; }
  let gate = sigmoid(clipped(xp[x + r.unit] + acc + bias(r.unit)));
  state[u.resetAt + r.b * H + r.unit] = gate * state[h + r.unit];
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = row_of(gid, groups);
  if (!r.live) { return; }
  let H = u.H;
  let unit = r.unit;
  let hIn = u.hIn + r.b * H;
  let hOut = u.hOut + r.b * H;
  if (u.step >= r.len) {
    // Padding: the output is 0 at position `step`, the state carries over.
    y[u.yOffset + u.step * u.yStrideT + r.b * u.yStrideN + unit] = 0.0;
    state[hOut + unit] = state[hIn + unit];
    if (MODE == 0u) { state[hOut + u.cOffset + unit] = state[hIn + u.cOffset + unit]; }
    return;
  }
  let t = time_of(r.len);
  let x = u.xpOffset + t * u.xpStrideT + r.b * u.xpStrideN;

  // The recurrent dot products W_hh[g·H + u] · h for every gate in one pass over h. GRU with
  // linearBeforeReset = false takes its n row against r ⊙ h instead (written by `reset`).
  let rh = u.resetAt + r.b * H;
  let onnxGru = MODE == 1u && !LINEAR_BEFORE_RESET;
  var a0 = 0.0;
  var a1 = 0.0;
  var a2 = 0.0;
  var a3 = 0.0;
  for (var k = 0u; k < H; k++) {
    let hk = state[hIn + k];
    if (MODE == 2u) {
      a0 += w_hh[unit * H + k] * hk;
    } else {
      if (!onnxGru) { a0 += w_hh[unit * H + k] * hk; }
      a1 += w_hh[(H + unit) * H + k] * hk;
      if (onnxGru) {
        a2 += w_hh[(2u * H + unit) * H + k] * state[rh + k];
      } else {
        a2 += w_hh[(2u * H + unit) * H + k] * hk;
      }
      if (MODE == 0u) { a3 += w_hh[(3u * H + unit) * H + k] * hk; }
    }
  }

  var hNew: f32;
  if (MODE == 2u) {
    let v = clipped(xp[x + unit] + a0 + bias(unit));
    hNew = select(tanh_safe(v), max(v, 0.0), RELU);
  } else if (MODE == 0u) {
    let cAt = u.cOffset + unit;
    let cPrev = state[hIn + cAt];
    var pi = 0.0;
    var pf = 0.0;
    var po = 0.0;
    if (u.hasPeepholes != 0u) {
      pi = w_ph[unit];
      pf = w_ph[H + unit];
      po = w_ph[2u * H + unit];
    }
    let i = sigmoid(clipped(xp[x + unit] + a0 + bias(unit) + pi * cPrev));
    let f = sigmoid(clipped(xp[x + H + unit] + a1 + bias(H + unit) + pf * cPrev));
    let g = tanh_safe(clipped(xp[x + 2u * H + unit] + a2 + bias(2u * H + unit)));
    let c = f * cPrev + i * g;
    // The output gate's peephole sees the new cell state (ONNX).
    let o = sigmoid(clipped(xp[x + 3u * H + unit] + a3 + bias(3u * H + unit) + po * c));
    state[hOut + cAt] = c;
    hNew = o * tanh_safe(c);
  } else {
    let z = sigmoid(clipped(xp[x + H + unit] + a1 + bias(H + unit)));
    var n: f32;
    if (onnxGru) {
      n = xp[x + 2u * H + unit] + a2 + bias(2u * H + unit);
    } else {
      let rGate = sigmoid(clipped(xp[x + unit] + a0 + bias(unit)));
      n = xp[x + 2u * H + unit] + rGate * (a2 + bias(2u * H + unit));
    }
    hNew = (1.0 - z) * tanh_safe(clipped(n)) + z * state[hIn + unit];
  }
  state[hOut + unit] = hNew;
  y[u.yOffset + t * u.yStrideT + r.b * u.yStrideN + unit] = hNew;
}
