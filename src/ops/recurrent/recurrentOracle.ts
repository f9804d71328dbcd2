// The oracles of the recurrent ops (see ops/oracle.ts): one hidden unit at a time, straight from
// PyTorch's formulas (gates LSTM i, f, g, o; GRU r, z, n; RNN one), with ONNX's additions
// (peepholes, clip, linearBeforeReset = false, sequence lengths). The CPU kernels instead run
// one GEMM for the input projection of every step and a blocked recurrent product.
import type { OracleResult, OracleTensor } from '../oracle.js';
import type { RecurrentAttrs } from './recurrent.js';

/** The recurrent attributes the oracle reads (sequence lengths as a plain array). */
export type RecurrentOracleOptions = Pick<RecurrentAttrs, 'mode' | 'hiddenSize' | 'numLayers' | 'bidirectional' | 'batchFirst' | 'nonlinearity' | 'linearBeforeReset' | 'clip' | 'sequenceLengths'>;

/** One layer direction's weights: W_ih [G·H, I], W_hh [G·H, H], biases [G·H] and peepholes [3, H], absent ones null. */
export interface StepWeights {
  readonly wIh: OracleTensor;
  readonly wHh: OracleTensor;
  readonly bIh: OracleTensor | null;
  readonly bHh: OracleTensor | null;
  readonly wPh: OracleTensor | null;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** One step for one batch row: x [I], h and c [H] -> the new h and c. */
export function stepOracle(
  o: Pick<RecurrentOracleOptions, 'mode' | 'nonlinearity' | 'linearBeforeReset' | 'clip'>,
  w: StepWeights,
  x: ArrayLike<number>,
  h: ArrayLike<number>,
  c: ArrayLike<number>,
): { h: number[]; c: number[] } {
  const H = h.length;
  const I = x.length;
  const cl = (v: number) => (o.clip === null ? v : Math.min(Math.max(v, -o.clip), o.clip));
  // Row j of W·v + b.
  const inputPart = (j: number) => {
    let s = w.bIh ? w.bIh.data[j] : 0;
    for (let i = 0; i < I; i++) s += w.wIh.data[j * I + i] * x[i];
    return s;
  };
  const hiddenPart = (j: number, v: ArrayLike<number> = h) => {
    let s = w.bHh ? w.bHh.data[j] : 0;
    for (let k = 0; k < H; k++) s += w.wHh.data[j * H + k] * v[k];
    return s;
  };
  const peep = (gate: number, u: number) => (w.wPh ? w.wPh.data[gate * H + u] : 0);
  const hNew: number[] = [];
  const cNew: number[] = [];
  if (o.mode === 'lstm') {
    for (let u = 0; u < H; u++) {
      const pre = (g: number) => inputPart(g * H + u) + hiddenPart(g * H + u);
      const i = sigmoid(cl(pre(0) + peep(0, u) * c[u]));
      const f = sigmoid(cl(pre(1) + peep(1, u) * c[u]));
      const g = Math.tanh(cl(pre(2)));
      cNew.push(f * c[u] + i * g);
      const out = sigmoid(cl(pre(3) + peep(2, u) * cNew[u]));
      hNew.push(out * Math.tanh(cNew[u]));
    }
  } else if (o.mode === 'gru') {
    const r = Array.from({ length: H }, (_, u) => sigmoid(cl(inputPart(u) + hiddenPart(u))));
    const rh = Array.from({ length: H }, (_, u) => r[u] * h[u]);
    for (let u = 0; u < H; u++) {
      const z = sigmoid(cl(inputPart(H + u) + hiddenPart(H + u)));
      const recurrent = o.linearBeforeReset ? r[u] * hiddenPart(2 * H + u) : hiddenPart(2 * H + u, rh);
      const n = Math.tanh(cl(inputPart(2 * H + u) + recurrent));
      hNew.push((1 - z) * n + z * h[u]);
    }
  } else {
    for (let u = 0; u < H; u++) {
      const v = cl(inputPart(u) + hiddenPart(u));
      hNew.push(o.nonlinearity === 'relu' ? Math.max(v, 0) : Math.tanh(v));
    }
  }
  return { h: hNew, c: cNew };
}

/**
 * x [T, N, I] (or [N, T, I]) -> output [T, N, D·H] (or [N, T, D·H]), h and c [D·numLayers, N, H].
 * `weights[l·D + d]` are layer l's, direction d's; `h0`, `c0` [D·numLayers, N, H] or null (zeros).
 * A row past its sequence length writes zeros and keeps its state; reverse directions start at
 * the row's own last valid step.
 */
export function recurrentOracle(
  x: OracleTensor,
  weights: readonly StepWeights[],
  h0: OracleTensor | null,
  c0: OracleTensor | null,
  o: RecurrentOracleOptions,
): { output: OracleResult; h: OracleResult; c: OracleResult } {
  const [T, N] = o.batchFirst ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
  const H = o.hiddenSize;
  const D = o.bidirectional ? 2 : 1;
  const at = (t: number, n: number, width: number) => (o.batchFirst ? n * T + t : t * N + n) * width;
  // The current layer's input, time-major rows of `width` values.
  const I = x.shape[2];
  let input = Array.from({ length: T * N }, (_, r) => {
    const base = at(Math.floor(r / N), r % N, I);
    return Array.from({ length: I }, (_, i) => x.data[base + i]);
  });
  const hOut = new Float64Array(D * o.numLayers * N * H);
  const cOut = new Float64Array(D * o.numLayers * N * H);
  for (let l = 0; l < o.numLayers; l++) {
    const next = Array.from({ length: T * N }, () => new Array<number>(D * H).fill(0));
    for (let d = 0; d < D; d++) {
      const slot = l * D + d;
      for (let n = 0; n < N; n++) {
        const len = o.sequenceLengths ? o.sequenceLengths[n] : T;
        let h = Array.from({ length: H }, (_, u) => (h0 ? h0.data[(slot * N + n) * H + u] : 0));
        let c = Array.from({ length: H }, (_, u) => (c0 ? c0.data[(slot * N + n) * H + u] : 0));
        for (let s = 0; s < len; s++) {
          const t = d === 1 ? len - 1 - s : s;
          ({ h, c } = o.mode === 'lstm' ? stepOracle(o, weights[slot], input[t * N + n], h, c) : { h: stepOracle(o, weights[slot], input[t * N + n], h, c).h, c });
          for (let u = 0; u < H; u++) next[t * N + n][d * H + u] = h[u];
        }
        hOut.set(h, (slot * N + n) * H);
        cOut.set(c, (slot * N + n) * H);
      }
    }
    input = next;
  }
  const output = new Float64Array(T * N * D * H);
  for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) output.set(input[t * N + n], at(t, n, D * H));
  const states = [D * o.numLayers, N, H];
  return {
    output: { data: output, shape: o.batchFirst ? [N, T, D * H] : [T, N, D * H] },
    h: { data: hOut, shape: states },
    c: { data: cOut, shape: [...states] },
  };
}

/** One step of every batch row: x [N, I], h and c [N, H] -> the new h and c [N, H]. */
export function cellOracle(
  o: Pick<RecurrentOracleOptions, 'mode' | 'nonlinearity' | 'linearBeforeReset'>,
  w: StepWeights,
  x: OracleTensor,
  h: OracleTensor,
  c: OracleTensor | null,
): { h: OracleResult; c: OracleResult } {
  const [N, I] = x.shape;
  const H = h.shape[1];
  const hNew = new Float64Array(N * H);
  const cNew = new Float64Array(N * H);
  const row = (t: OracleTensor, n: number, width: number) => Array.from({ length: width }, (_, i) => t.data[n * width + i]);
  for (let n = 0; n < N; n++) {
    const r = stepOracle({ ...o, clip: null }, w, row(x, n, I), row(h, n, H), c ? row(c, n, H) : new Array<number>(H).fill(0));
    hNew.set(r.h, n * H);
    cNew.set(r.c, n * H);
  }
  return { h: { data: hNew, shape: [N, H] }, c: { data: cNew, shape: [N, H] } };
}
