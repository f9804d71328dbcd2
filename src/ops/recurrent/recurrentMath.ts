// The step math of LSTM, GRU and the Elman RNN, shared by the sequence op (recurrent.ts) and
// the single-step cells (recurrentCell.ts) so both compute exactly the same thing. The split
// follows the WebGPU design: one matmul projects the inputs of every time step at once
// (projectInputs), then each step runs the recurrent matmul, the gates and the state update
// for one batch row (recurrentStep). PyTorch gate order: LSTM i, f, g, o; GRU r, z, n.

export type RecurrentMode = 'lstm' | 'gru' | 'rnn';
export type RnnNonlinearity = 'tanh' | 'relu';

/** Gates per hidden unit: the G in the weights' [G·H, …] shapes. */
export const GATE_COUNT: Readonly<Record<RecurrentMode, number>> = { lstm: 4, gru: 3, rnn: 1 };

/** What a step needs besides the states: the attributes and one layer-direction's weights. */
export interface StepWeights {
  readonly mode: RecurrentMode;
  readonly hiddenSize: number;
  readonly nonlinearity: RnnNonlinearity;
  /** GRU: true = PyTorch's r ⊙ (W_hn h + b_hn); false = ONNX's default W_hn (r ⊙ h) + b_hn. */
  readonly linearBeforeReset: boolean;
  /** Gate pre-activations are clamped to [−clip, clip] (ONNX); Infinity for none. */
  readonly clip: number;
  /** [G·H, H] */
  readonly wHh: Float32Array;
  /** [G·H], or null for zero. */
  readonly bHh: Float32Array | null;
  /** LSTM peepholes [3, H] for i, f, o, or null for none. */
  readonly wPh: Float32Array | null;
}

/** Per-step scratch: the G·H gate sums, and GRU's r ⊙ h. Allocate once, reuse every step. */
export interface StepScratch {
  readonly gates: Float64Array;
  readonly resetHidden: Float32Array;
}

export function stepScratch(mode: RecurrentMode, hiddenSize: number): StepScratch {
  return { gates: new Float64Array(GATE_COUNT[mode] * hiddenSize), resetHidden: new Float32Array(mode === 'gru' ? hiddenSize : 0) };
}

/**
 * a[ao … ao + n) · b[bo … bo + n), accumulated in float64. Four partial sums break the chain of
 * dependent additions (about 2.5× faster in V8 than one running sum).
 */
function dot(a: Float32Array, ao: number, b: Float32Array, bo: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < n; k += 4) {
    s0 += a[ao + k] * b[bo + k];
    s1 += a[ao + k + 1] * b[bo + k + 1];
    s2 += a[ao + k + 2] * b[bo + k + 2];
    s3 += a[ao + k + 3] * b[bo + k + 3];
  }
  for (; k < n; k++) s0 += a[ao + k] * b[bo + k];
  return s0 + s1 + (s2 + s3);
}

const sigmoid = (v: number): number => 1 / (1 + Math.exp(-v));
const clamp = (v: number, clip: number): number => (v < -clip ? -clip : v > clip ? clip : v);

/** A sequence laid out as rows of `width` values: row (t, b) starts at t·strideT + b·strideN. */
export interface SequenceRows {
  readonly data: Float32Array;
  readonly strideT: number;
  readonly strideN: number;
  readonly width: number;
}

/**
 * The input projection of every time step, one matmul: out[t·N + b] = x(t, b) · W_ihᵀ + b_ih.
 * Strided rows let callers read a batch-first input or the previous layer's output in place.
 */
// x [T, N, I] (strided), wIh [G·H, I], bIh [G·H] -> out [T·N, G·H] (gateRows = G·H)
export function projectInputs(
  x: SequenceRows,
  steps: number,
  batch: number,
  gateRows: number,
  wIh: Float32Array,
  bIh: Float32Array | null,
  out: Float32Array,
): void {
  const I = x.width;
  const xd = x.data;
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) {
      const xo = t * x.strideT + b * x.strideN;
      const oo = (t * batch + b) * gateRows;
      // W_ih's row j and x's row are both contiguous: a plain dot product.
      for (let j = 0; j < gateRows; j++) out[oo + j] = (bIh ? bIh[j] : 0) + dot(xd, xo, wIh, j * I, I);
    }
  }
}

/** Row j of the recurrent matmul: W_hh[j] · v + b_hh[j], with v = vec[vo … vo + H). */
function recurrentRow(w: StepWeights, vec: Float32Array, vo: number, j: number): number {
  const H = w.hiddenSize;
  return (w.bHh ? w.bHh[j] : 0) + dot(w.wHh, j * H, vec, vo, H);
}

/**
 * One time step for one batch row. xp[xpOffset …] holds the row's input projection (G·H,
 * with b_ih); h[hOffset …] and, for LSTM, c[cOffset …] hold the state (H each), which is
 * replaced by the new state. `scratch` comes from stepScratch.
 */
// xp [G·H], h [H], c [H] -> h [H], c [H] (in place)
export function recurrentStep(
  w: StepWeights,
  xp: Float32Array,
  xpOffset: number,
  h: Float32Array,
  hOffset: number,
  c: Float32Array,
  cOffset: number,
  scratch: StepScratch,
): void {
  const H = w.hiddenSize;
  const clip = w.clip;
  const gates = scratch.gates;
  // Every gate's pre-activation, except GRU's n rows: those need r first (below).
  const direct = w.mode === 'gru' ? 2 * H : gates.length;
  for (let j = 0; j < direct; j++) gates[j] = xp[xpOffset + j] + recurrentRow(w, h, hOffset, j);

  if (w.mode === 'rnn') {
    for (let u = 0; u < H; u++) {
      const v = clamp(gates[u], clip);
      h[hOffset + u] = w.nonlinearity === 'relu' ? (v < 0 ? 0 : v) : Math.tanh(v);
    }
    return;
  }

  if (w.mode === 'lstm') {
    const p = w.wPh;
    for (let u = 0; u < H; u++) {
      const cPrev = c[cOffset + u];
      const i = sigmoid(clamp(gates[u] + (p ? p[u] * cPrev : 0), clip));
      const f = sigmoid(clamp(gates[H + u] + (p ? p[H + u] * cPrev : 0), clip));
      const g = Math.tanh(clamp(gates[2 * H + u], clip));
      const cNew = f * cPrev + i * g;
      // The output gate's peephole sees the new cell state (ONNX).
      const o = sigmoid(clamp(gates[3 * H + u] + (p ? p[2 * H + u] * cNew : 0), clip));
      c[cOffset + u] = cNew;
      h[hOffset + u] = o * Math.tanh(cNew);
    }
    return;
  }

  // GRU: n = x_n + r ⊙ (W_hn h + b_hn) (PyTorch), or x_n + W_hn (r ⊙ h) + b_hn (ONNX's default).
  for (let u = 0; u < 2 * H; u++) gates[u] = sigmoid(clamp(gates[u], clip));
  const rh = scratch.resetHidden;
  if (!w.linearBeforeReset) for (let u = 0; u < H; u++) rh[u] = gates[u] * h[hOffset + u];
  for (let u = 0; u < H; u++) {
    const j = 2 * H + u;
    gates[j] = w.linearBeforeReset
      ? xp[xpOffset + j] + gates[u] * recurrentRow(w, h, hOffset, j)
      : xp[xpOffset + j] + recurrentRow(w, rh, 0, j);
  }
  for (let u = 0; u < H; u++) {
    const z = gates[H + u];
    const n = Math.tanh(clamp(gates[2 * H + u], clip));
    h[hOffset + u] = (1 - z) * n + z * h[hOffset + u];
  }
}
