// The step math of LSTM, GRU and the Elman RNN, shared by the sequence op (recurrent.ts) and
// the single-step cells (recurrentCell.ts) so both compute exactly the same thing. The split
// follows the WebGPU design: one matmul projects the inputs of every time step at once
// (projectInputs), then each step runs the recurrent matmul, the gates and the state update
// for one batch row (recurrentStep). PyTorch gate order: LSTM i, f, g, o; GRU r, z, n.

import { gemm as referenceGemm } from '../gemm/gemm.js';
import type { GemmKernel } from '../op.js';

export type RecurrentMode = 'lstm' | 'gru' | 'rnn';
export type RnnNonlinearity = 'tanh' | 'relu';

/** The attributes of recurrentOp (recurrent.ts) and of its gradient (recurrentGrad.ts). */
export interface RecurrentAttrs {
  readonly mode: RecurrentMode;
  readonly hiddenSize: number;
  readonly numLayers: number;
  readonly bidirectional: boolean;
  readonly batchFirst: boolean;
  /** RNN only ('tanh' for LSTM and GRU). */
  readonly nonlinearity: RnnNonlinearity;
  /** GRU only (true for LSTM and RNN). */
  readonly linearBeforeReset: boolean;
  /** Gate pre-activations are clamped to [−clip, clip]; null for no clipping. */
  readonly clip: number | null;
  /** Valid steps per batch row (ONNX sequence_lens); null when every row has T. */
  readonly sequenceLengths: readonly number[] | null;
  readonly hasH0: boolean;
  readonly hasC0: boolean;
  /** Per layer and direction, index l·D + d: which optional weights are given. */
  readonly hasBiasIh: readonly boolean[];
  readonly hasBiasHh: readonly boolean[];
  readonly hasPeepholes: readonly boolean[];
  /** Training: one more output, what the backward reads (recurrentMath.ts, savedLayout). */
  readonly keepGates?: boolean;
}

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

/** One layer-direction's StepWeights from the op's attributes and that slot's recurrent weights. */
export function stepWeights(a: RecurrentAttrs, wHh: Float32Array, bHh: Float32Array | null, wPh: Float32Array | null): StepWeights {
  return {
    mode: a.mode,
    hiddenSize: a.hiddenSize,
    nonlinearity: a.nonlinearity,
    linearBeforeReset: a.linearBeforeReset,
    clip: a.clip ?? Infinity,
    wHh,
    bHh,
    wPh,
  };
}

/**
 * What a training forward keeps per step for the backward (recurrentGrad.ts), one row of
 * savedWidth values per (layer direction, t, b):
 *   LSTM [a_i, a_f, a_g, a_o | c_prev | h_prev]   (6H)
 *   GRU  [a_r, a_z, a_n | hn | h_prev]            (5H)   hn = W_hn h + b_hn (linearBeforeReset), else r ⊙ h
 *   RNN  [a | h_prev]                              (2H)
 * where a_* are the gate pre-activations as they enter the clip (peephole terms included).
 */
export const SAVED_WIDTH: Readonly<Record<RecurrentMode, number>> = { lstm: 6, gru: 5, rnn: 2 };

/** One layer-direction's inputs: the rows x_t of the layer below, and W_ih [G·H, I], b_ih [G·H] | null. */
export interface StepInputs {
  readonly x: SequenceRows;
  readonly wIh: Float32Array;
  readonly bIh: Float32Array | null;
}

/**
 * What a CpuKernels may add for the recurrent ops: a faster projectInputs + runDirection of
 * recurrent.ts (one layer-direction over every time step, one fused call per step; no saved
 * gates), used for inference forwards. It returns false for a variant it does not cover, which
 * the caller then runs itself.
 */
export interface RecurrentKernels {
  recurrentDirection(
    w: StepWeights, input: StepInputs, h: Float32Array, c: Float32Array, stateOffset: number,
    dst: SequenceRows, dstColumn: number, T: number, N: number, reverse: boolean,
    lengths: readonly number[] | null,
  ): boolean;
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
 * The input projection of every time step, one matmul: out[t·N + b] = x(t, b) · W_ihᵀ + b_ih,
 * on the backend's GEMM (`gemm`, the reference one by default). Strided rows let callers read a
 * batch-first input or the previous layer's output in place.
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
  gemm: GemmKernel = referenceGemm,
): void {
  const I = x.width;
  const epilogue = { bias: bIh, biasPer: 'column' } as const;
  // Time-major rows are one [T·N, I] matrix with row stride strideN; otherwise one product per step.
  const uniform = x.strideT === batch * x.strideN || steps === 1;
  for (let t = 0; t < steps; t = uniform ? steps : t + 1) {
    const rows = uniform ? steps * batch : batch;
    gemm(false, true, rows, gateRows, I, x.data, t * x.strideT, x.strideN, wIh, 0, I, out, t * batch * gateRows, gateRows, false, epilogue);
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
 * replaced by the new state. `scratch` comes from stepScratch. When `save` is given, the row
 * the backward needs (SAVED_WIDTH) is written at save[saveOffset …].
 */
// xp [G·H], h [H], c [H] -> h [H], c [H] (in place), save [SAVED_WIDTH·H]
export function recurrentStep(
  w: StepWeights,
  xp: Float32Array,
  xpOffset: number,
  h: Float32Array,
  hOffset: number,
  c: Float32Array,
  cOffset: number,
  scratch: StepScratch,
  save: Float32Array | null = null,
  saveOffset = 0,
): void {
  const H = w.hiddenSize;
  const clip = w.clip;
  const gates = scratch.gates;
  // The previous state goes last in the saved row (LSTM: c_prev, then h_prev).
  if (save) {
    const hAt = saveOffset + (SAVED_WIDTH[w.mode] - 1) * H;
    for (let u = 0; u < H; u++) save[hAt + u] = h[hOffset + u];
    if (w.mode === 'lstm') for (let u = 0; u < H; u++) save[saveOffset + 4 * H + u] = c[cOffset + u];
  }
  // Every gate's pre-activation, except GRU's n rows: those need r first (below).
  const direct = w.mode === 'gru' ? 2 * H : gates.length;
  for (let j = 0; j < direct; j++) gates[j] = xp[xpOffset + j] + recurrentRow(w, h, hOffset, j);

  if (w.mode === 'rnn') {
    for (let u = 0; u < H; u++) {
      if (save) save[saveOffset + u] = gates[u];
      const v = clamp(gates[u], clip);
      h[hOffset + u] = w.nonlinearity === 'relu' ? (v < 0 ? 0 : v) : Math.tanh(v);
    }
    return;
  }

  if (w.mode === 'lstm') {
    const p = w.wPh;
    for (let u = 0; u < H; u++) {
      const cPrev = c[cOffset + u];
      const ai = gates[u] + (p ? p[u] * cPrev : 0);
      const af = gates[H + u] + (p ? p[H + u] * cPrev : 0);
      const i = sigmoid(clamp(ai, clip));
      const f = sigmoid(clamp(af, clip));
      const g = Math.tanh(clamp(gates[2 * H + u], clip));
      const cNew = f * cPrev + i * g;
      // The output gate's peephole sees the new cell state (ONNX).
      const ao = gates[3 * H + u] + (p ? p[2 * H + u] * cNew : 0);
      const o = sigmoid(clamp(ao, clip));
      if (save) {
        save[saveOffset + u] = ai;
        save[saveOffset + H + u] = af;
        save[saveOffset + 2 * H + u] = gates[2 * H + u];
        save[saveOffset + 3 * H + u] = ao;
      }
      c[cOffset + u] = cNew;
      h[hOffset + u] = o * Math.tanh(cNew);
    }
    return;
  }

  // GRU: n = x_n + r ⊙ (W_hn h + b_hn) (PyTorch), or x_n + W_hn (r ⊙ h) + b_hn (ONNX's default).
  if (save) for (let u = 0; u < 2 * H; u++) save[saveOffset + u] = gates[u];
  for (let u = 0; u < 2 * H; u++) gates[u] = sigmoid(clamp(gates[u], clip));
  const rh = scratch.resetHidden;
  if (!w.linearBeforeReset) for (let u = 0; u < H; u++) rh[u] = gates[u] * h[hOffset + u];
  for (let u = 0; u < H; u++) {
    const j = 2 * H + u;
    const hn = w.linearBeforeReset ? recurrentRow(w, h, hOffset, j) : rh[u];
    gates[j] = w.linearBeforeReset ? xp[xpOffset + j] + gates[u] * hn : xp[xpOffset + j] + recurrentRow(w, rh, 0, j);
    if (save) {
      save[saveOffset + j] = gates[j];
      save[saveOffset + 3 * H + u] = hn;
    }
  }
  for (let u = 0; u < H; u++) {
    const z = gates[H + u];
    const n = Math.tanh(clamp(gates[2 * H + u], clip));
    h[hOffset + u] = (1 - z) * n + z * h[hOffset + u];
  }
}

/**
 * Where a training forward keeps what the backward reads (one flat tensor): per layer direction
 * slot, the saved rows [T·N][SAVED_WIDTH·H], then the outputs of every layer but the last
 * [L − 1][T·N][D·H] (the inputs of the layers above). Rows are in the memory order of x and y:
 * (t, b) at t·N + b, or b·T + t when batchFirst, so products over all rows need no reordering.
 */
export interface SavedLayout {
  /** Values per saved row. */
  readonly row: number;
  /** Values per slot. */
  readonly slot: number;
  /** Where the kept layer outputs start. */
  readonly layersAt: number;
  readonly size: number;
}

export function savedLayout(mode: RecurrentMode, T: number, N: number, H: number, layers: number, directions: number): SavedLayout {
  const row = SAVED_WIDTH[mode] * H;
  const slot = T * N * row;
  const layersAt = layers * directions * slot;
  return { row, slot, layersAt, size: layersAt + (layers - 1) * T * N * directions * H };
}

/** The derivative of clamp(v, −clip, clip) as torch.clamp: 1 inside [−clip, clip], 0 outside. */
const clipPass = (v: number, clip: number): number => (v >= -clip && v <= clip ? 1 : 0);

/** Per-row scratch of the backward step. */
export interface StepGradScratch {
  /** GRU (linearBeforeReset = false): d(r ⊙ h). */
  readonly dResetHidden: Float64Array;
}

export function stepGradScratch(hiddenSize: number): StepGradScratch {
  return { dResetHidden: new Float64Array(hiddenSize) };
}

/**
 * The backward of recurrentStep for one batch row. From the saved row and the gradients of the
 * new state (dh: the output's and the later steps'; dc for LSTM), writes
 *   dA: d loss / d (gate pre-activation on the input side: x·W_ihᵀ + b_ih), G·H values,
 *   dR: d loss / d (W_hh·h + b_hh), G·H values (differs from dA only in GRU's n rows),
 * adds the peephole gradients into dPh [3H], and replaces dh and dc by the gradients of the
 * previous state. A clamp passes the gradient where its argument is inside [−clip, clip].
 */
// saved [SAVED_WIDTH·H], dh/dc [H] (in place), wHh [G·H, H], wPh [3, H] -> dA, dR [G·H], dPh [3H] (+=)
export function recurrentStepGrad(
  w: StepWeights,
  saved: Float32Array,
  so: number,
  dh: Float64Array,
  dc: Float64Array,
  dA: Float64Array,
  dAo: number,
  dR: Float64Array,
  dRo: number,
  dPh: Float64Array | null,
  scratch: StepGradScratch,
): void {
  const H = w.hiddenSize;
  const clip = w.clip;
  const G = GATE_COUNT[w.mode];
  const hPrev = so + (SAVED_WIDTH[w.mode] - 1) * H;
  // dh becomes the direct part of dh_prev; the recurrent product is added at the end.
  if (w.mode === 'rnn') {
    for (let u = 0; u < H; u++) {
      const a = saved[so + u];
      const v = clamp(a, clip);
      const slope = w.nonlinearity === 'relu' ? (v > 0 ? 1 : 0) : 1 - Math.tanh(v) ** 2;
      dA[dAo + u] = dR[dRo + u] = dh[u] * slope * clipPass(a, clip);
      dh[u] = 0;
    }
  } else if (w.mode === 'lstm') {
    const p = w.wPh;
    for (let u = 0; u < H; u++) {
      const [ai, af, ag, ao] = [saved[so + u], saved[so + H + u], saved[so + 2 * H + u], saved[so + 3 * H + u]];
      const cPrev = saved[so + 4 * H + u];
      const i = sigmoid(clamp(ai, clip));
      const f = sigmoid(clamp(af, clip));
      const g = Math.tanh(clamp(ag, clip));
      const o = sigmoid(clamp(ao, clip));
      const c = f * cPrev + i * g;
      const tc = Math.tanh(c);
      const dao = dh[u] * tc * o * (1 - o) * clipPass(ao, clip);
      const dcTotal = dc[u] + dh[u] * o * (1 - tc * tc) + (p ? dao * p[2 * H + u] : 0);
      const dai = dcTotal * g * i * (1 - i) * clipPass(ai, clip);
      const daf = dcTotal * cPrev * f * (1 - f) * clipPass(af, clip);
      const dag = dcTotal * i * (1 - g * g) * clipPass(ag, clip);
      dA[dAo + u] = dR[dRo + u] = dai;
      dA[dAo + H + u] = dR[dRo + H + u] = daf;
      dA[dAo + 2 * H + u] = dR[dRo + 2 * H + u] = dag;
      dA[dAo + 3 * H + u] = dR[dRo + 3 * H + u] = dao;
      dc[u] = dcTotal * f + (p ? dai * p[u] + daf * p[H + u] : 0);
      if (p && dPh) {
        dPh[u] += dai * cPrev;
        dPh[H + u] += daf * cPrev;
        dPh[2 * H + u] += dao * c;
      }
      dh[u] = 0;
    }
  } else {
    for (let u = 0; u < H; u++) {
      const [ar, az, an] = [saved[so + u], saved[so + H + u], saved[so + 2 * H + u]];
      const hn = saved[so + 3 * H + u];
      const r = sigmoid(clamp(ar, clip));
      const z = sigmoid(clamp(az, clip));
      const n = Math.tanh(clamp(an, clip));
      const hp = saved[hPrev + u];
      const dan = dh[u] * (1 - z) * (1 - n * n) * clipPass(an, clip);
      const daz = dh[u] * (hp - n) * z * (1 - z) * clipPass(az, clip);
      dA[dAo + H + u] = dR[dRo + H + u] = daz;
      dA[dAo + 2 * H + u] = dan;
      if (w.linearBeforeReset) {
        dA[dAo + u] = dR[dRo + u] = dan * hn * r * (1 - r) * clipPass(ar, clip);
        dR[dRo + 2 * H + u] = dan * r;
      } else {
        dR[dRo + 2 * H + u] = dan;
      }
      dh[u] *= z;
    }
    if (!w.linearBeforeReset) {
      // n = x_n + W_hn (r ⊙ h) + b_hn: d(r ⊙ h) needs every unit's dan first.
      const drh = scratch.dResetHidden;
      drh.fill(0);
      for (let j = 0; j < H; j++) {
        const d = dR[dRo + 2 * H + j];
        for (let k = 0; k < H; k++) drh[k] += d * w.wHh[(2 * H + j) * H + k];
      }
      for (let u = 0; u < H; u++) {
        const ar = saved[so + u];
        const r = sigmoid(clamp(ar, clip));
        dA[dAo + u] = dR[dRo + u] = drh[u] * saved[hPrev + u] * r * (1 - r) * clipPass(ar, clip);
        dh[u] += drh[u] * r;
      }
    }
  }
  // dh_prev += W_hhᵀ dR over the rows that read h (GRU without linearBeforeReset: not the n rows).
  const rows = w.mode === 'gru' && !w.linearBeforeReset ? 2 * H : G * H;
  for (let j = 0; j < rows; j++) {
    const d = dR[dRo + j];
    if (d === 0) continue;
    for (let k = 0; k < H; k++) dh[k] += d * w.wHh[j * H + k];
  }
}
