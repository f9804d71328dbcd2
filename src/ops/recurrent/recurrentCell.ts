// Single-step recurrent cells (torch.nn.LSTMCell, GRUCell, RNNCell): one time step of the
// sequence op, computed by the same step math (recurrentMath.ts). One op for all three; inputs
// in a fixed order:
//
//   [x [N, I], h [N, H], c [N, H] (LSTM; null otherwise), w_ih [G·H, I], w_hh [G·H, H],
//    b_ih [G·H] | null, b_hh [G·H] | null]
//
// Outputs: [h'] or, for LSTM, [h', c'], each [N, H]. H is taken from h.
import { ShapeError } from '../../errors.js';
import { reshape } from '../shape/reshape.js';
import { recurrentGradOp } from './recurrentGrad.js';
import { formatShape, sameShape, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { recordRecurrent } from './recurrentGpu.js';
import { referenceKernels } from '../cpuKernels.js';
import { GATE_COUNT, projectInputs, recurrentStep, savedLayout, stepScratch, type RecurrentAttrs, type RecurrentMode, type RnnNonlinearity, type StepWeights } from './recurrentMath.js';

export interface RecurrentCellAttrs {
  readonly mode: RecurrentMode;
  /** RNN only ('tanh' for LSTM and GRU). */
  readonly nonlinearity: RnnNonlinearity;
  /** GRU only (true for LSTM and RNN). */
  readonly linearBeforeReset: boolean;
  /** Training: one more output, what the backward reads (recurrentMath.ts, savedLayout with T = 1). */
  readonly keepGates?: boolean;
}

export interface CellWeights<T> {
  /** [G·H, I] */
  weightIh: T;
  /** [G·H, H] */
  weightHh: T;
  /** [G·H] (default zero) */
  biasIh?: T | null;
  /** [G·H] (default zero) */
  biasHh?: T | null;
}

export interface GruCellOptions<T> extends CellWeights<T> {
  /** true (default): PyTorch's n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); false: ONNX's default. */
  linearBeforeReset?: boolean;
}

export interface RnnCellOptions<T> extends CellWeights<T> {
  /** Default 'tanh'. */
  nonlinearity?: RnnNonlinearity;
}

const cellName = (mode: RecurrentMode): string => `${mode}Cell`;
const INPUT_NAMES = ['x', 'h', 'c', 'weightIh', 'weightHh', 'biasIh', 'biasHh'];

function requireShape(m: string, name: string, shape: Shape | null, want: Shape): void {
  if (!shape) throw new ShapeError(`${m}: ${name} is missing (expected ${formatShape(want)})`);
  if (!sameShape(shape, want)) throw new ShapeError(`${m}: ${name} has shape ${formatShape(shape)}, expected ${formatShape(want)}`);
}

export const recurrentCellOp: OpDef<RecurrentCellAttrs> = {
  name: 'recurrentCell',
  inferShapes(inputs, a) {
    if (!(a.mode in GATE_COUNT)) throw new ShapeError(`recurrentCell: unknown mode ${String(a.mode)}`);
    const m = cellName(a.mode);
    if (a.nonlinearity !== 'tanh' && a.nonlinearity !== 'relu') throw new ShapeError(`${m}: nonlinearity must be 'tanh' or 'relu'`);
    if (inputs.length !== INPUT_NAMES.length) throw new ShapeError(`${m}: expected ${INPUT_NAMES.length} inputs, got ${inputs.length}`);
    const [x, h, c, wIh, wHh, bIh, bHh] = inputs;
    if (!x || x.length !== 2) throw new ShapeError(`${m}: x must have rank 2 ([N, I]), got ${formatShape(x)}`);
    if (!h || h.length !== 2) throw new ShapeError(`${m}: h must have rank 2 ([N, H]), got ${formatShape(h)}`);
    const [N, I] = x;
    const H = h[1];
    const GH = GATE_COUNT[a.mode] * H;
    requireShape(m, 'h', h, [N, H]);
    if (a.mode === 'lstm') requireShape(m, 'c', c, [N, H]);
    else if (c) throw new ShapeError(`${m}: a cell state c applies to lstmCell only`);
    requireShape(m, 'weightIh', wIh, [GH, I]);
    requireShape(m, 'weightHh', wHh, [GH, H]);
    if (bIh) requireShape(m, 'biasIh', bIh, [GH]);
    if (bHh) requireShape(m, 'biasHh', bHh, [GH]);
    const outputs = a.mode === 'lstm' ? [[N, H], [N, H]] : [[N, H]];
    if (a.keepGates) outputs.push([savedLayout(a.mode, 1, N, H, 1, 1).size]);
    return outputs;
  },

  macs([x, h], a) {
    return x![0] * GATE_COUNT[a.mode] * h![1] * (x![1] + h![1]);
  },

  // x [N, I], h/c [N, H], w_ih [G·H, I], w_hh [G·H, H], b_ih/b_hh [G·H] -> h'/c' [N, H]
  cpu([x, h, c, wIh, wHh, bIh, bHh], outputs, a, kernels = referenceKernels) {
    const hOut = outputs[0];
    const cOut = a.mode === 'lstm' ? outputs[1] : undefined;
    const saved = a.keepGates ? outputs[outputs.length - 1].data : null;
    const [N, I] = x!.shape;
    const H = h!.shape[1];
    const GH = GATE_COUNT[a.mode] * H;
    const projection = new Float32Array(N * GH);
    projectInputs({ data: x!.data, strideT: 0, strideN: I, width: I }, 1, N, GH, wIh!.data, bIh?.data ?? null, projection, kernels.gemm);
    // The step updates the state in place, so it starts as a copy of h (and c) in the outputs.
    hOut.data.set(h!.data);
    if (cOut) cOut.data.set(c!.data);
    const cState = cOut ? cOut.data : new Float32Array(0);
    const weights: StepWeights = {
      mode: a.mode,
      hiddenSize: H,
      nonlinearity: a.nonlinearity,
      linearBeforeReset: a.linearBeforeReset,
      clip: Infinity,
      wHh: wHh!.data,
      bHh: bHh?.data ?? null,
      wPh: null,
    };
    const scratch = stepScratch(a.mode, H);
    const row = savedLayout(a.mode, 1, N, H, 1, 1).row;
    for (let b = 0; b < N; b++) recurrentStep(weights, projection, b * GH, hOut.data, b * H, cState, b * H, scratch, saved, b * row);
  },

  keepForGrad: (a) => ({ ...a, keepGates: true }),
  // A cell is one step of the sequence op: x [1, N, I], h0 = h, c0 = c, and h', c' its final states.
  grad(r, { inputs, outputs, dys, needs, attrs: a }) {
    const [x, h, c] = inputs;
    const [N, I] = x!.shape;
    const H = h!.shape[1];
    const seq: RecurrentAttrs = {
      mode: a.mode,
      hiddenSize: H,
      numLayers: 1,
      bidirectional: false,
      batchFirst: false,
      nonlinearity: a.nonlinearity,
      linearBeforeReset: a.linearBeforeReset,
      clip: null,
      sequenceLengths: null,
      hasH0: true,
      hasC0: c !== null,
      hasBiasIh: [inputs[5] !== null],
      hasBiasHh: [inputs[6] !== null],
      hasPeepholes: [false],
      keepGates: true,
    };
    const asSeq = (t: (typeof inputs)[number], width: number) => (t ? reshape(r, t, [1, N, width]) : null);
    const grads = r.runOp(
      recurrentGradOp,
      [asSeq(x, I), asSeq(h, H), asSeq(c, H), outputs[outputs.length - 1], null, asSeq(dys[0], H), a.mode === 'lstm' ? asSeq(dys[1], H) : null, ...inputs.slice(3), null],
      seq,
    );
    const back = (k: number, t: (typeof inputs)[number]) => (t && needs[k] ? reshape(r, grads[k], t.shape) : null);
    return [back(0, x), back(1, h), back(2, c), ...[3, 4, 5, 6].map((k) => (inputs[k] && needs[k] ? grads[k] : null))];
  },

  // One step of the sequence lowering with T = 1: the projection GEMM, then the fused step,
  // which writes h' as its output sequence [1, N, H].
  gpu(k, [x, h, c, wIh, wHh, bIh, bHh], outputs, a) {
    const hOut = outputs[0];
    const cOut = a.mode === 'lstm' ? outputs[1] : null;
    const [N, I] = x!.shape;
    recordRecurrent(k, {
      name: cellName(a.mode),
      mode: a.mode,
      nonlinearity: a.nonlinearity,
      linearBeforeReset: a.linearBeforeReset,
      clip: null,
      hiddenSize: h!.shape[1],
      steps: 1,
      batch: N,
      inputSize: I,
      layers: 1,
      directions: 1,
      batchFirst: false,
      sequenceLengths: null,
      x: x!,
      weights: [{ wIh: wIh!, wHh: wHh!, bIh, bHh, wPh: null }],
      h0: h,
      c0: c,
      y: hOut,
      hOut: null,
      cOut: cOut ?? null,
      saved: a.keepGates ? outputs[outputs.length - 1] : null,
    });
  },
};

// ---------------------------------------------------------------------------------------------
// The API

type Shaped = { readonly shape: Shape };

function runCell<T extends Shaped>(
  r: OpRunner<T>,
  mode: RecurrentMode,
  x: T,
  h: T,
  c: T | null,
  w: CellWeights<T>,
  nonlinearity: unknown,
  linearBeforeReset: unknown,
): T[] {
  const m = cellName(mode);
  if (typeof w !== 'object' || w === null) throw new ShapeError(`${m}: weights { weightIh, weightHh, biasIh?, biasHh? } are required`);
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') throw new ShapeError(`${m}: nonlinearity must be 'tanh' or 'relu', got ${String(nonlinearity)}`);
  if (typeof linearBeforeReset !== 'boolean') throw new ShapeError(`${m}: linearBeforeReset must be true or false, got ${String(linearBeforeReset)}`);
  const attrs: RecurrentCellAttrs = { mode, nonlinearity, linearBeforeReset };
  return r.runOp(recurrentCellOp, [x, h, c, w.weightIh ?? null, w.weightHh ?? null, w.biasIh ?? null, w.biasHh ?? null], attrs);
}

/** One LSTM step (torch.nn.LSTMCell): x [N, I], h, c [N, H] -> { h, c }. */
export function lstmCell<T extends Shaped>(r: OpRunner<T>, x: T, h: T, c: T, weights: CellWeights<T>): { h: T; c: T } {
  const [hNext, cNext] = runCell(r, 'lstm', x, h, c ?? null, weights, 'tanh', true);
  return { h: hNext, c: cNext };
}

/** One GRU step (torch.nn.GRUCell): x [N, I], h [N, H] -> { h }. */
export function gruCell<T extends Shaped>(r: OpRunner<T>, x: T, h: T, opts: GruCellOptions<T>): { h: T } {
  const [hNext] = runCell(r, 'gru', x, h, null, opts, 'tanh', opts?.linearBeforeReset ?? true);
  return { h: hNext };
}

/** One Elman RNN step (torch.nn.RNNCell): x [N, I], h [N, H] -> { h }. */
export function rnnCell<T extends Shaped>(r: OpRunner<T>, x: T, h: T, opts: RnnCellOptions<T>): { h: T } {
  const [hNext] = runCell(r, 'rnn', x, h, null, opts, opts?.nonlinearity ?? 'tanh', true);
  return { h: hNext };
}
