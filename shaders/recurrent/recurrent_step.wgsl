// recurrent_step.wgsl — one time step of one layer direction of an LSTM, GRU or Elman RNN, after
// the input projection xp = x·W_ihᵀ + b_ih of every step has been computed by one GEMM.
//
// main: a workgroup of 64 invocations computes U = 64 / S hidden units of one batch row b;
// workgroup g (= x + y·groups_x, spread over y past 65 535) is row g / blocks, unit block
// g % blocks. One unit's G gate dot products (W_hh rows g·H + u against the previous state
// h[b, 0 … H)) are computed together by one invocation, four k (a k-quad) per loop trip, and the
// trips are split over S invocations (k-slices): invocation slice·U + unit takes the k-quads
// slice, slice + S, …. (Four quads per trip, unrolled, ran 2–3× slower on SwiftShader.)
// W_hh comes packed (recurrent_pack.wgsl, once per layer direction) as vec4s of four k per gate,
// the G gates of a unit side by side and neighbouring units next to each other, so a quad of one
// unit is G vector loads and the U neighbouring invocations read one contiguous run. The
// accumulators are one vec4 (lanes = gates), never an array indexed at run time. With S > 1 the
// partial sums meet in workgroup memory (`partial`) behind one barrier; slice 0 adds its unit's
// S of them, adds xp and b_hh, applies the gates (fused, no second dispatch) and writes unit u of
// the new state and of the output y. S = 1 has no barrier at all. recurrentGpu.ts chooses S.
//
// Several steps per dispatch would need every unit of h_t before any of h_t+1, i.e. a barrier
// across workgroups, which WebGPU does not have: only the whole-sequence kernel
// (recurrent_sequence.wgsl, one workgroup per batch row, H ≤ 256) runs steps back to back.
//
// The states live in one scratch buffer in two halves (ping-pong: step s reads half s % 2 and
// writes the other), so an invocation never overwrites a value another one still reads, and a
// row past its sequence length simply carries its state over. Layout of `state` (f32):
//   [2 halves][h, c (LSTM)][D·L slots][N][H], then GRU's r ⊙ h [N, H], then lengths [N]
// (exact small integers, written by recurrent_init.wgsl). Offsets come in the uniform block.
//
// reset (GRU with linearBeforeReset = false, ONNX's default): n needs W_hn (r ⊙ h), so every r
// of the row must exist before any n: this entry point, dispatched before main on each step with
// the same split, writes r ⊙ h; main then reads it for the n gate.
//
// Steps past a row's length write 0 to y and carry the state. Reverse directions run
// t = len − 1 − s, so each row starts at its own last valid step.
//
// Training (SAVE): main also keeps what the backward reads (recurrent_step_grad.wgsl) in state
// from u.savedAt, one row of SAVED_WIDTH·H per (t, b) in the memory order of x (recurrentMath.ts,
// savedLayout): the gate pre-activations as they enter the clip, GRU's hn (or r ⊙ h), LSTM's
// c_prev, and h_prev; zeros for a padded step.
//
// xp [D][T·N, G·H] (rows at xpOffset + t·xpStrideT + b·xpStrideN), w_packed [⌈H/4⌉, H, G] vec4f (above),
//   b_hh [G·H], w_ph [3, H]
//   -> state (next half), y [T, N, D·H] or [N, T, D·H] (unit u of row (t, b) at yOffset + t·yStrideT + b·yStrideN + u)

override MODE: u32 = 0u;            // 0 LSTM (gates i, f, g, o), 1 GRU (r, z, n), 2 RNN
override LINEAR_BEFORE_RESET: bool = true;
override HAS_LENGTHS: bool = false;
override S: u32 = 16u;              // invocations per hidden unit (k-slices): 1, 2, 4, …, 64
override SAVE: bool = false;        // training: keep the backward's rows (above)

// struct Step and the uniform block `u` (binding 0): recurrent_step_uniforms.wgsl, and the gate
// math (sigmoid, gate, lstm_cell, gru_h, rnn_h, override RELU): recurrent_cell.wgsl, prepended.
@group(0) @binding(1) var<storage, read> xp: array<f32>;
@group(0) @binding(2) var<storage, read> w_packed: array<vec4f>;
@group(0) @binding(3) var<storage, read> b_hh: array<f32>;   // W_hh (unpacked) when absent (hasBias 0)
@group(0) @binding(4) var<storage, read_write> state: array<f32>;
@group(0) @binding(5) var<storage, read> w_ph: array<f32>;   // W_hh when absent
@group(0) @binding(6) var<storage, read_write> y: array<f32>;

fn bias(j: u32) -> f32 {
  if (u.hasBias != 0u) { return b_hh[j]; }
  return 0.0;
}

var<workgroup> partial: array<vec4f, 64>;

// Values per saved row, in units of H: LSTM 6, GRU 5, RNN 2; gates per unit: 4, 3, 1.
fn saved_width() -> u32 { return select(select(2u, 5u, MODE == 1u), 6u, MODE == 0u); }
fn gate_count() -> u32 { return select(select(1u, 3u, MODE == 1u), 4u, MODE == 0u); }

// Training: value k (0 ≤ k < saved_width()) of unit `unit` in the saved row of (t, b).
fn save(t: u32, b: u32, k: u32, unit: u32, v: f32) {
  if (SAVE) {
    let row = (t * u.xpStrideT + b * u.xpStrideN) / (gate_count() * u.H);
    state[u.savedAt + (row * saved_width() + k) * u.H + unit] = v;
  }
}

// What one invocation works on. Invocations past the end still reach the barrier (live false).
struct Lane { b: u32, unit: u32, inGroup: u32, slice: u32, len: u32, live: bool, hIn: u32, col: u32 }

fn lane_of(wid: vec3u, lid: u32, groups: vec3u) -> Lane {
  let U = 64u / S;
  let blocks = (u.H + U - 1u) / U;
  let g = wid.x + wid.y * groups.x;
  var l: Lane;
  l.b = g / blocks;
  l.inGroup = lid % U;
  l.unit = (g % blocks) * U + l.inGroup;
  l.slice = lid / U;
  l.live = l.b < u.N && l.unit < u.H;
  // Clamped so that dead lanes read in bounds.
  l.hIn = u.hIn + min(l.b, u.N - 1u) * u.H;
  l.col = min(l.unit, u.H - 1u);
  l.len = u.T;
  if (HAS_LENGTHS) { l.len = u32(state[u.lengthsAt + min(l.b, u.N - 1u)]); }
  return l;
}

// h[k … k + 3] of the row at `base` in state, zeros past H (the packed weights are zeros there
// too, but 0 · ∞ would be NaN).
fn h_quad(base: u32, k: u32) -> vec4f {
  let last = base + u.H - 1u;
  let v = vec4f(state[min(base + k, last)], state[min(base + k + 1u, last)], state[min(base + k + 2u, last)], state[min(base + k + 3u, last)]);
  return select(vec4f(0.0), v, vec4u(k, k + 1u, k + 2u, k + 3u) < vec4u(u.H));
}

// The G = gate_count() packed weight quads of unit c for k-quad kq start here.
fn quad_at(kq: u32, c: u32) -> u32 { return (kq * u.H + c) * gate_count(); }

// Every gate's row of unit c against h (at hIn) over k-quad kq, as main sums them: GRU with
// linearBeforeReset = false takes n against r ⊙ h (at rh, written by `reset`) and leaves r to it.
fn gate_dots(kq: u32, c: u32, hIn: u32, rh: u32) -> vec4f {
  let hq = h_quad(hIn, kq * 4u);
  let at = quad_at(kq, c);
  if (MODE == 2u) { return vec4f(dot(w_packed[at], hq), 0.0, 0.0, 0.0); }
  var a = vec4f(0.0);
  if (MODE == 0u || LINEAR_BEFORE_RESET) {
    a.x = dot(w_packed[at], hq);
    a.z = dot(w_packed[at + 2u], hq);
  } else {
    a.z = dot(w_packed[at + 2u], h_quad(rh, kq * 4u));
  }
  a.y = dot(w_packed[at + 1u], hq);
  if (MODE == 0u) { a.w = dot(w_packed[at + 3u], hq); }
  return a;
}

// The time index of this step for a row of length len (reverse directions start at len − 1).
fn time_of(len: u32) -> u32 {
  return select(u.step, len - 1u - u.step, u.reverse != 0u);
}

// The sum of the partial sums of the unit's S lanes, for its slice-0 lane (others get their own).
// Every invocation of the workgroup calls it (it holds the barrier, when S > 1).
fn unit_sum(l: Lane, lid: u32, mine: vec4f) -> vec4f {
  if (S == 1u) { return mine; }
  partial[lid] = mine;
  workgroupBarrier();
  var s = mine;
  for (var j = 1u; l.slice == 0u && j < S; j++) { s += partial[l.inGroup + j * (64u / S)]; }
  return s;
}

@compute @workgroup_size(64)
fn reset(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) groups: vec3u) {
  let l = lane_of(wid, lid, groups);
  let H = u.H;
  let running = l.live && u.step < l.len;
  var acc = 0.0;
  for (var kq = l.slice; running && kq * 4u < H; kq += S) { acc += dot(w_packed[quad_at(kq, l.col)], h_quad(l.hIn, kq * 4u)); }
  let sum = unit_sum(l, lid, vec4f(acc, 0.0, 0.0, 0.0)).x;
  if (!running || l.slice != 0u) { return; }
  let x = u.xpOffset + time_of(l.len) * u.xpStrideT + l.b * u.xpStrideN;
  let ar = xp[x + l.unit] + sum + bias(l.unit);
  save(time_of(l.len), l.b, 0u, l.unit, ar);
  let r = gate(ar);
  state[u.resetAt + l.b * H + l.unit] = r * state[l.hIn + l.unit];
}

@compute @workgroup_size(64)
fn main(@builtin(workgroup_id) wid: vec3u, @builtin(local_invocation_index) lid: u32, @builtin(num_workgroups) groups: vec3u) {
  let l = lane_of(wid, lid, groups);
  let H = u.H;
  let running = l.live && u.step < l.len;

  // This lane's share of the recurrent dot products W_hh[g·H + u] · h, every gate in one pass
  // (vec4 lanes = gates), four k per trip.
  let rh = u.resetAt + min(l.b, u.N - 1u) * H;
  let onnxGru = MODE == 1u && !LINEAR_BEFORE_RESET;
  var acc = vec4f(0.0);
  for (var kq = l.slice; running && kq * 4u < H; kq += S) { acc += gate_dots(kq, l.col, l.hIn, rh); }
  let a = unit_sum(l, lid, acc);
  if (!l.live || l.slice != 0u) { return; }

  let unit = l.unit;
  let hIn = l.hIn;
  let hOut = u.hOut + l.b * H;
  if (!running) {
    // Padding: the output is 0 at position `step`, the state carries over.
    y[u.yOffset + u.step * u.yStrideT + l.b * u.yStrideN + unit] = 0.0;
    state[hOut + unit] = state[hIn + unit];
    if (MODE == 0u) { state[hOut + u.cOffset + unit] = state[hIn + u.cOffset + unit]; }
    for (var k = 0u; SAVE && k < saved_width(); k++) { save(u.step, l.b, k, unit, 0.0); }
    return;
  }
  let t = time_of(l.len);
  let x = u.xpOffset + t * u.xpStrideT + l.b * u.xpStrideN;
  save(t, l.b, saved_width() - 1u, unit, state[hIn + unit]);

  var hNew: f32;
  if (MODE == 2u) {
    let pre = xp[x + unit] + a.x + bias(unit);
    save(t, l.b, 0u, unit, pre);
    hNew = rnn_h(pre);
  } else if (MODE == 0u) {
    let cAt = u.cOffset + unit;
    var peep = vec3f(0.0);
    if (u.hasPeepholes != 0u) { peep = vec3f(w_ph[unit], w_ph[H + unit], w_ph[2u * H + unit]); }
    let pre = vec4f(xp[x + unit], xp[x + H + unit], xp[x + 2u * H + unit], xp[x + 3u * H + unit]) + a +
      vec4f(bias(unit), bias(H + unit), bias(2u * H + unit), bias(3u * H + unit));
    let cPrev = state[hIn + cAt];
    let cell = lstm_cell(pre, cPrev, peep);
    // Saved with the peephole terms, as they enter the clip (o's sees the new c).
    save(t, l.b, 0u, unit, pre.x + peep.x * cPrev);
    save(t, l.b, 1u, unit, pre.y + peep.y * cPrev);
    save(t, l.b, 2u, unit, pre.z);
    save(t, l.b, 3u, unit, pre.w + peep.z * cell.c);
    save(t, l.b, 4u, unit, cPrev);
    state[hOut + cAt] = cell.c;
    hNew = cell.h;
  } else {
    let preZ = xp[x + H + unit] + a.y + bias(H + unit);
    var n: f32;
    if (onnxGru) {
      n = xp[x + 2u * H + unit] + a.z + bias(2u * H + unit);
      // `reset` saved a_r; r ⊙ h is where it wrote it.
      save(t, l.b, 3u, unit, state[u.resetAt + l.b * H + unit]);
    } else {
      let ar = xp[x + unit] + a.x + bias(unit);
      let hn = a.z + bias(2u * H + unit);
      n = xp[x + 2u * H + unit] + gate(ar) * hn;
      save(t, l.b, 0u, unit, ar);
      save(t, l.b, 3u, unit, hn);
    }
    save(t, l.b, 1u, unit, preZ);
    save(t, l.b, 2u, unit, n);
    hNew = gru_h(preZ, n, state[hIn + unit]);
  }
  state[hOut + unit] = hNew;
  y[u.yOffset + t * u.yStrideT + l.b * u.yStrideN + unit] = hNew;
}
