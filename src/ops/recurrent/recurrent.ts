// Recurrent layers over a sequence: LSTM, GRU and the Elman RNN with PyTorch's conventions
// (DESIGN.md, "Recurrent ops"), plus ONNX's extras: LSTM peepholes, GRU linearBeforeReset =
// false, clip and sequenceLengths. One op, recurrentOp, serves all three. Its inputs are in a
// fixed order, D = 2 when bidirectional, else 1:
//
//   0: x [T, N, I] ([N, T, I] when batchFirst)   1: h0 [D·L, N, H]   2: c0 [D·L, N, H]
//   then, for each layer l = 0 … L−1 and each direction d (forward, then reverse), five
//   inputs from index 3 + 5·(l·D + d):
//   w_ih [G·H, I_l], w_hh [G·H, H], b_ih [G·H], b_hh [G·H], w_ph [3, H]
//
// where I_0 = I and I_l = D·H above. null marks an absent input: h0 and c0 are then zeros, a
// bias is zero, no w_ph means no peepholes; c0 and w_ph are always null for GRU and RNN.
// Outputs: output [T, N, D·H] ([N, T, D·H] when batchFirst; forward then reverse halves on the
// last dim), h [D·L, N, H] and, for LSTM, c [D·L, N, H], ordered l0 fwd, l0 rev, l1 fwd, ….
// packRecurrentInputs builds this list from PyTorch-named parameters; the layers and the ONNX
// importer use it too.
import { ShapeError } from '../../errors.js';
import { formatShape, sameShape, type Shape } from '../../shape.js';
import { referenceKernels } from '../cpuKernels.js';
import type { OpDef, OpRunner } from '../op.js';
import {
  GATE_COUNT,
  projectInputs,
  recurrentStep,
  savedLayout,
  stepScratch,
  stepWeights,
  type RecurrentAttrs,
  type RecurrentKernels,
  type RecurrentMode,
  type RnnNonlinearity,
  type SequenceRows,
  type StepInputs,
  type StepScratch,
  type StepWeights,
} from './recurrentMath.js';
import { recordRecurrent, type RecurrentGpuWeights } from './recurrentGpu.js';
import { recurrentGradRule } from './recurrentGrad.js';

export type { RecurrentAttrs, RecurrentMode, RnnNonlinearity } from './recurrentMath.js';


interface RecurrentCommonOptions<T> {
  /** H, required. */
  hiddenSize: number;
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Default false. */
  bidirectional?: boolean;
  /** x and output as [N, T, …] instead of [T, N, …] (default false; h0, c0, h, c are unaffected). */
  batchFirst?: boolean;
  /** Initial hidden state [D·numLayers, N, H] (default zeros). */
  h0?: T | null;
  /** ONNX: clamp gate pre-activations to [−clip, clip]. */
  clip?: number | null;
  /** ONNX sequence_lens / packed sequences: valid steps per batch row, each in [0, T]. */
  sequenceLengths?: ArrayLike<number> | null;
}

export interface LstmOptions<T> extends RecurrentCommonOptions<T> {
  /** Initial cell state [D·numLayers, N, H] (default zeros). */
  c0?: T | null;
}

export interface GruOptions<T> extends RecurrentCommonOptions<T> {
  /** true (default): PyTorch's n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)); false: ONNX's default. */
  linearBeforeReset?: boolean;
}

export interface RnnOptions<T> extends RecurrentCommonOptions<T> {
  /** Default 'tanh'. */
  nonlinearity?: RnnNonlinearity;
}

export type RecurrentOptions<T> = LstmOptions<T> & GruOptions<T> & RnnOptions<T>;

/** Inputs before the per-layer weights, and inputs per layer and direction. */
export const RECURRENT_STATE_INPUTS = 3;
export const RECURRENT_SLOT_INPUTS = 5;
const WEIGHT_KINDS = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh', 'weight_ph'] as const;
type WeightKind = (typeof WEIGHT_KINDS)[number];

/** The PyTorch state_dict name of one weight, e.g. weight_hh_l1_reverse. */
export function recurrentParamName(kind: WeightKind, layer: number, reverse: boolean): string {
  return `${kind}_l${layer}${reverse ? '_reverse' : ''}`;
}

const directionsOf = (a: { readonly bidirectional: boolean }): number => (a.bidirectional ? 2 : 1);

// ---------------------------------------------------------------------------------------------
// Options and parameters -> the op's inputs and attributes

function positiveInteger(value: unknown, fallback: number | undefined, what: string): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (value === undefined) throw new ShapeError(`${what} is required`);
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ShapeError(`${what} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

function flag(value: unknown, fallback: boolean, what: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ShapeError(`${what} must be true or false, got ${String(value)}`);
  return value;
}

function clipOption(value: unknown, what: string): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !(value > 0)) throw new ShapeError(`${what} must be a positive number, got ${String(value)}`);
  return value;
}

function lengthsOption(value: unknown, what: string): number[] | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'object' || typeof (value as ArrayLike<number>).length !== 'number') {
    throw new ShapeError(`${what} must be an array of integers, got ${String(value)}`);
  }
  return Array.from(value as ArrayLike<number>);
}

/**
 * Checks `params` (PyTorch names) and `opts`, and returns recurrentOp's inputs in their fixed
 * order with the normalised attributes. Unknown or missing names are a ShapeError naming them.
 */
export function packRecurrentInputs<T extends { readonly shape: Shape }>(
  mode: RecurrentMode,
  x: T,
  params: Readonly<Record<string, T | null | undefined>>,
  opts: RecurrentOptions<T>,
): { inputs: (T | null)[]; attrs: RecurrentAttrs } {
  if (typeof opts !== 'object' || opts === null) throw new ShapeError(`${mode}: options with hiddenSize are required`);
  if (typeof params !== 'object' || params === null) throw new ShapeError(`${mode}: params must be a record of tensors by PyTorch name`);
  // Options of another recurrent mode are a mistake worth naming, not something to ignore.
  const foreign: [string, RecurrentMode][] = [
    ['c0', 'lstm'],
    ['linearBeforeReset', 'gru'],
    ['nonlinearity', 'rnn'],
  ];
  for (const [key, owner] of foreign) {
    if (owner !== mode && (opts as unknown as Record<string, unknown>)[key] !== undefined) {
      throw new ShapeError(`${mode}: option ${key} applies to ${owner} only`);
    }
  }
  const hiddenSize = positiveInteger(opts.hiddenSize, undefined, `${mode}: hiddenSize`);
  const nonlinearity = opts.nonlinearity ?? 'tanh';
  if (nonlinearity !== 'tanh' && nonlinearity !== 'relu') {
    throw new ShapeError(`${mode}: nonlinearity must be 'tanh' or 'relu', got ${String(nonlinearity)}`);
  }
  const numLayers = positiveInteger(opts.numLayers, 1, `${mode}: numLayers`);
  const bidirectional = flag(opts.bidirectional, false, `${mode}: bidirectional`);
  const D = bidirectional ? 2 : 1;

  const expected = new Set<string>();
  const missing: string[] = [];
  const slots: (T | null)[] = [];
  const hasBiasIh: boolean[] = [];
  const hasBiasHh: boolean[] = [];
  const hasPeepholes: boolean[] = [];
  for (let l = 0; l < numLayers; l++) {
    for (let d = 0; d < D; d++) {
      for (const kind of WEIGHT_KINDS) {
        const name = recurrentParamName(kind, l, d === 1);
        if (kind === 'weight_ph' && mode !== 'lstm') {
          slots.push(null);
          continue;
        }
        expected.add(name);
        const value = params[name] ?? null;
        if (value === null && (kind === 'weight_ih' || kind === 'weight_hh')) missing.push(name);
        slots.push(value);
      }
      const slot = slots.length - RECURRENT_SLOT_INPUTS;
      hasBiasIh.push(slots[slot + 2] !== null);
      hasBiasHh.push(slots[slot + 3] !== null);
      hasPeepholes.push(slots[slot + 4] !== null);
    }
  }
  for (const name of Object.keys(params)) {
    if (!expected.has(name)) {
      throw new ShapeError(`${mode}: unknown parameter ${name} (expected ${[...expected].join(', ')})`);
    }
  }
  if (missing.length > 0) throw new ShapeError(`${mode}: missing parameter(s) ${missing.join(', ')}`);

  const h0 = opts.h0 ?? null;
  const c0 = opts.c0 ?? null;
  const attrs: RecurrentAttrs = {
    mode,
    hiddenSize,
    numLayers,
    bidirectional,
    batchFirst: flag(opts.batchFirst, false, `${mode}: batchFirst`),
    nonlinearity,
    linearBeforeReset: flag(opts.linearBeforeReset, true, `${mode}: linearBeforeReset`),
    clip: clipOption(opts.clip, `${mode}: clip`),
    sequenceLengths: lengthsOption(opts.sequenceLengths, `${mode}: sequenceLengths`),
    hasH0: h0 !== null,
    hasC0: c0 !== null,
    hasBiasIh,
    hasBiasHh,
    hasPeepholes,
  };
  return { inputs: [x, h0, c0, ...slots], attrs };
}

// ---------------------------------------------------------------------------------------------
// Shape rule and MACs

/** T, N, I of x and the input width of each layer. */
function sequenceDims(x: Shape, a: RecurrentAttrs): { T: number; N: number; I: number } {
  return a.batchFirst ? { T: x[1], N: x[0], I: x[2] } : { T: x[0], N: x[1], I: x[2] };
}

function layerInputSize(layer: number, I: number, a: RecurrentAttrs): number {
  return layer === 0 ? I : directionsOf(a) * a.hiddenSize;
}

function checkAttrs(a: RecurrentAttrs): void {
  const m = a.mode;
  if (!(m in GATE_COUNT)) throw new ShapeError(`recurrent: unknown mode ${String(m)}`);
  positiveInteger(a.hiddenSize, undefined, `${m}: hiddenSize`);
  positiveInteger(a.numLayers, undefined, `${m}: numLayers`);
  if (a.nonlinearity !== 'tanh' && a.nonlinearity !== 'relu') throw new ShapeError(`${m}: nonlinearity must be 'tanh' or 'relu'`);
  if (a.clip !== null && !(a.clip > 0)) throw new ShapeError(`${m}: clip must be a positive number, got ${a.clip}`);
  const slots = a.numLayers * directionsOf(a);
  for (const [what, list] of [['hasBiasIh', a.hasBiasIh], ['hasBiasHh', a.hasBiasHh], ['hasPeepholes', a.hasPeepholes]] as const) {
    if (list.length !== slots) throw new ShapeError(`${m}: attribute ${what} has ${list.length} entries, expected ${slots}`);
  }
}

function checkPresence(m: string, name: string, shape: Shape | null, present: boolean): void {
  if ((shape !== null) !== present) {
    throw new ShapeError(`${m}: input ${name} is ${shape ? 'given' : 'absent'} but the attributes say it is ${present ? 'given' : 'absent'}`);
  }
}

function checkParam(m: string, name: string, shape: Shape | null, want: Shape): void {
  if (shape && !sameShape(shape, want)) {
    throw new ShapeError(`${m}: ${name} has shape ${formatShape(shape)}, expected ${formatShape(want)}`);
  }
}

export const recurrentOp: OpDef<RecurrentAttrs> = {
  name: 'recurrent',
  inferShapes(inputs, a) {
    checkAttrs(a);
    const m = a.mode;
    const D = directionsOf(a);
    const H = a.hiddenSize;
    const GH = GATE_COUNT[m] * H;
    const want = RECURRENT_STATE_INPUTS + RECURRENT_SLOT_INPUTS * a.numLayers * D;
    if (inputs.length !== want) throw new ShapeError(`${m}: expected ${want} inputs for ${a.numLayers} layer(s) × ${D} direction(s), got ${inputs.length}`);
    const [x, h0, c0] = inputs;
    if (!x || x.length !== 3) {
      throw new ShapeError(`${m}: x must have rank 3 (${a.batchFirst ? '[N, T, I]' : '[T, N, I]'}), got ${formatShape(x)}`);
    }
    const { T, N, I } = sequenceDims(x, a);
    const stateShape = [D * a.numLayers, N, H];
    checkPresence(m, 'h0', h0, a.hasH0);
    checkPresence(m, 'c0', c0, a.hasC0);
    if (c0 && m !== 'lstm') throw new ShapeError(`${m}: c0 applies to lstm only`);
    checkParam(m, 'h0', h0, stateShape);
    checkParam(m, 'c0', c0, stateShape);

    for (let l = 0; l < a.numLayers; l++) {
      for (let d = 0; d < D; d++) {
        const slot = l * D + d;
        const at = RECURRENT_STATE_INPUTS + RECURRENT_SLOT_INPUTS * slot;
        const [wIh, wHh, bIh, bHh, wPh] = inputs.slice(at, at + RECURRENT_SLOT_INPUTS);
        const name = (kind: WeightKind) => recurrentParamName(kind, l, d === 1);
        if (!wIh) throw new ShapeError(`${m}: missing parameter(s) ${name('weight_ih')}`);
        if (!wHh) throw new ShapeError(`${m}: missing parameter(s) ${name('weight_hh')}`);
        checkParam(m, name('weight_ih'), wIh, [GH, layerInputSize(l, I, a)]);
        checkParam(m, name('weight_hh'), wHh, [GH, H]);
        checkPresence(m, name('bias_ih'), bIh, a.hasBiasIh[slot]);
        checkPresence(m, name('bias_hh'), bHh, a.hasBiasHh[slot]);
        checkPresence(m, name('weight_ph'), wPh, a.hasPeepholes[slot]);
        checkParam(m, name('bias_ih'), bIh, [GH]);
        checkParam(m, name('bias_hh'), bHh, [GH]);
        if (wPh && m !== 'lstm') throw new ShapeError(`${m}: peepholes (${name('weight_ph')}) apply to lstm only`);
        checkParam(m, name('weight_ph'), wPh, [3, H]);
      }
    }

    const lengths = a.sequenceLengths;
    if (lengths) {
      if (lengths.length !== N) {
        throw new ShapeError(`${m}: sequenceLengths has ${lengths.length} entries, expected one per batch row (N = ${N}) for x ${formatShape(x)}`);
      }
      for (const len of lengths) {
        if (!Number.isInteger(len) || len < 0 || len > T) {
          throw new ShapeError(`${m}: sequenceLengths [${lengths.join(', ')}] must hold integers in [0, ${T}] (T of x ${formatShape(x)})`);
        }
      }
    }

    const output = a.batchFirst ? [N, T, D * H] : [T, N, D * H];
    const outputs = m === 'lstm' ? [output, stateShape, stateShape] : [output, stateShape];
    if (a.keepGates) outputs.push([savedLayout(m, T, N, H, a.numLayers, D).size]);
    return outputs;
  },

  macs(inputs, a) {
    const { T, N, I } = sequenceDims(inputs[0]!, a);
    const GH = GATE_COUNT[a.mode] * a.hiddenSize;
    let macs = 0;
    for (let l = 0; l < a.numLayers; l++) macs += directionsOf(a) * T * N * GH * (layerInputSize(l, I, a) + a.hiddenSize);
    return macs;
  },

  // x [T, N, I] (or [N, T, I]), h0/c0 [D·L, N, H], per layer and direction w_ih [G·H, I_l],
  // w_hh [G·H, H], b_ih/b_hh [G·H], w_ph [3, H] -> output [T, N, D·H] (or [N, T, D·H]), h/c [D·L, N, H]
  cpu(inputs, outputs, a, kernels = referenceKernels) {
    const x = inputs[0]!;
    const { T, N, I } = sequenceDims(x.shape, a);
    const D = directionsOf(a);
    const H = a.hiddenSize;
    const GH = GATE_COUNT[a.mode] * H;
    const lengths = a.sequenceLengths;
    const [y, hOut] = outputs;
    const cOut = a.mode === 'lstm' ? outputs[2] : undefined;
    const saved = a.keepGates ? outputs[outputs.length - 1].data : null;
    const layout = savedLayout(a.mode, T, N, H, a.numLayers, D);
    saved?.fill(0);

    // The running states live in the h (and c) outputs: slot l·D + d holds [N, H].
    // Outputs may be reused buffers (graph planning), so every element is written.
    const h0 = inputs[1];
    const c0 = inputs[2];
    if (h0) hOut.data.set(h0.data);
    else hOut.data.fill(0);
    if (cOut) {
      if (c0) cOut.data.set(c0.data);
      else cOut.data.fill(0);
    }
    const cState = cOut ? cOut.data : new Float32Array(0);

    // One buffer for the input projection, reused by every layer and direction, and the
    // time-major output of the layer below (ping-pong) when layers are stacked.
    // (Allocated when the TypeScript step runs: the wasm one projects into its own memory.)
    let projection: Float32Array | null = null;
    let scratch: StepScratch | null = null;
    const between = a.numLayers > 1 ? [new Float32Array(T * N * D * H), new Float32Array(T * N * D * H)] : [];
    const timeMajor = (data: Float32Array): SequenceRows => ({ data, strideT: N * D * H, strideN: D * H, width: D * H });

    let src: SequenceRows = a.batchFirst
      ? { data: x.data, strideT: I, strideN: T * I, width: I }
      : { data: x.data, strideT: N * I, strideN: I, width: I };
    for (let l = 0; l < a.numLayers; l++) {
      const last = l === a.numLayers - 1;
      const dst: SequenceRows = !last
        ? timeMajor(between[l % 2])
        : a.batchFirst
          ? { data: y.data, strideT: D * H, strideN: T * D * H, width: D * H }
          : timeMajor(y.data);
      for (let d = 0; d < D; d++) {
        const slot = l * D + d;
        const at = RECURRENT_STATE_INPUTS + RECURRENT_SLOT_INPUTS * slot;
        const arg = (k: number): Float32Array | null => inputs[at + k]?.data ?? null;
        const weights = stepWeights(a, arg(1)!, arg(3), arg(4));
        const input: StepInputs = { x: src, wIh: arg(0)!, bIh: arg(2) };
        const save = saved ? { data: saved, offset: slot * layout.slot, row: layout.row, batchFirst: a.batchFirst } : null;
        const state = [hOut.data, cState, slot * N * H, dst, d * H, T, N, d === 1, lengths] as const;
        // A faster direction (the wasm one) keeps no gates: a training forward runs the reference step.
        const fast = save ? undefined : (kernels as Partial<RecurrentKernels>).recurrentDirection;
        if (fast?.(weights, input, ...state)) continue;
        projection ??= new Float32Array(T * N * GH);
        scratch ??= stepScratch(a.mode, H);
        projectInputs(src, T, N, GH, input.wIh, input.bIh, projection, kernels.gemm);
        runDirection(weights, projection, ...state, scratch, save);
      }
      // The backward reads the inputs of the layers above, kept in the layout of x and y.
      if (saved && !last) {
        const width = D * H;
        const at = layout.layersAt + l * T * N * width;
        for (let t = 0; t < T; t++) {
          for (let b = 0; b < N; b++) {
            const from = (t * N + b) * width;
            saved.set(dst.data.subarray(from, from + width), at + (a.batchFirst ? b * T + t : t * N + b) * width);
          }
        }
      }
      src = dst;
    }
  },

  keepForGrad: (a) => ({ ...a, keepGates: true }),
  grad: recurrentGradRule,

  // The same split on the GPU: per layer and direction one projection GEMM, then the steps in
  // one dispatch (software adapters, recurrent_sequence.wgsl) or one fused dispatch per time step
  // (recurrent_step.wgsl); recurrentGpu.ts chooses.
  gpu(k, inputs, outputs, a) {
    const [y, hOut] = outputs;
    const cOut = a.mode === 'lstm' ? outputs[2] : null;
    const x = inputs[0]!;
    const { T, N, I } = sequenceDims(x.shape, a);
    const D = directionsOf(a);
    const weights: RecurrentGpuWeights[] = [];
    for (let slot = 0; slot < a.numLayers * D; slot++) {
      const [wIh, wHh, bIh, bHh, wPh] = inputs.slice(RECURRENT_STATE_INPUTS + RECURRENT_SLOT_INPUTS * slot);
      weights.push({ wIh: wIh!, wHh: wHh!, bIh, bHh, wPh });
    }
    recordRecurrent(k, {
      name: a.mode,
      mode: a.mode,
      nonlinearity: a.nonlinearity,
      linearBeforeReset: a.linearBeforeReset,
      clip: a.clip,
      hiddenSize: a.hiddenSize,
      steps: T,
      batch: N,
      inputSize: I,
      layers: a.numLayers,
      directions: D,
      batchFirst: a.batchFirst,
      sequenceLengths: a.sequenceLengths,
      x,
      weights,
      h0: inputs[1],
      c0: inputs[2],
      y,
      hOut,
      cOut: cOut ?? null,
      saved: a.keepGates ? outputs[outputs.length - 1] : null,
    });
  },
};

/**
 * Runs one layer's direction over time: step s handles t = s (forward) or t = len_b − 1 − s
 * (reverse) for each batch row b; steps s ≥ len_b are padding, where the output is 0 and the
 * state stays as it is, so the final state is the one after each row's last valid step.
 */
function runDirection(
  w: StepWeights,
  projection: Float32Array,
  h: Float32Array,
  c: Float32Array,
  stateOffset: number,
  dst: SequenceRows,
  dstColumn: number,
  T: number,
  N: number,
  reverse: boolean,
  lengths: readonly number[] | null,
  scratch: StepScratch,
  save: { data: Float32Array; offset: number; row: number; batchFirst: boolean } | null,
): void {
  const H = w.hiddenSize;
  const GH = GATE_COUNT[w.mode] * H;
  for (let s = 0; s < T; s++) {
    for (let b = 0; b < N; b++) {
      const len = lengths ? lengths[b] : T;
      if (s >= len) {
        // Padding: positions t ≥ len, each zeroed once per direction.
        dst.data.fill(0, s * dst.strideT + b * dst.strideN + dstColumn, s * dst.strideT + b * dst.strideN + dstColumn + H);
        continue;
      }
      const t = reverse ? len - 1 - s : s;
      const so = stateOffset + b * H;
      // Saved rows are in the memory order of x: (t, b) time-major, (b, t) batch-first.
      const row = save?.batchFirst ? b * T + t : t * N + b;
      recurrentStep(w, projection, (t * N + b) * GH, h, so, c, so, scratch, save?.data ?? null, save ? save.offset + row * save.row : 0);
      const o = t * dst.strideT + b * dst.strideN + dstColumn;
      for (let u = 0; u < H; u++) dst.data[o + u] = h[so + u];
    }
  }
}

// ---------------------------------------------------------------------------------------------
// The API

type Shaped = { readonly shape: Shape };
type Params<T> = Readonly<Record<string, T>>;

function run<T extends Shaped>(r: OpRunner<T>, mode: RecurrentMode, x: T, params: Params<T>, opts: RecurrentOptions<T>): T[] {
  const { inputs, attrs } = packRecurrentInputs(mode, x, params, opts);
  return r.runOp(recurrentOp, inputs, attrs);
}

/** LSTM over a sequence (torch.nn.LSTM): gates i, f, g, o. */
export function lstm<T extends Shaped>(r: OpRunner<T>, x: T, params: Params<T>, opts: LstmOptions<T>): { output: T; h: T; c: T } {
  const [output, h, c] = run(r, 'lstm', x, params, opts);
  return { output, h, c };
}

/** GRU over a sequence (torch.nn.GRU): gates r, z, n. */
export function gru<T extends Shaped>(r: OpRunner<T>, x: T, params: Params<T>, opts: GruOptions<T>): { output: T; h: T } {
  const [output, h] = run(r, 'gru', x, params, opts);
  return { output, h };
}

/** Elman RNN over a sequence (torch.nn.RNN): h' = act(W_ih x + b_ih + W_hh h + b_hh). */
export function rnn<T extends Shaped>(r: OpRunner<T>, x: T, params: Params<T>, opts: RnnOptions<T>): { output: T; h: T } {
  const [output, h] = run(r, 'rnn', x, params, opts);
  return { output, h };
}
