// rnn(), lstm(), gru(): d2l's character model (RNNModel): a PyTorch recurrent stack (two biases
// per gate, state dict keys rnn.weight_ih_l0, rnn.bias_hh_l0, …) followed by a dense layer
// applied at every step (linear.weight, linear.bias). Defaults 28 → 32 → 28 (d2l's vocabulary
// of 26 letters, space and unknown): 2,908 / 8,860 / 6,876 parameters.
//
// Input x [T, N, inputSize] (PyTorch's sequence-first layout; one-hot characters as float),
// output [T, N, outputSize]: the scores of the next character at every step. The model is
// traced at [seqLength, 1, inputSize], so summary() shows shapes and MACs per sequence of
// seqLength steps for one sample; run() takes any T and N (each new shape is planned once).
import { ShapeError } from '../errors.js';
import type { SymbolicTensor } from '../graph/tracer.js';
import * as layers from '../layers/index.js';
import { Module, type ForwardContext, type TraceInput } from '../layers/module.js';
import type { Linear } from '../layers/linear.js';
import type { Recurrent } from '../layers/recurrent.js';
import { positiveInteger } from './common.js';

export interface RecurrentModelOptions {
  /** Features per step, e.g. the vocabulary size of one-hot characters (default 28). */
  inputSize?: number;
  /** Hidden units per layer and direction (default 32). */
  hiddenSize?: number;
  /** Stacked recurrent layers (default 1). */
  numLayers?: number;
  /** Default false; the dense layer then reads 2·hiddenSize features. */
  bidirectional?: boolean;
  /** Outputs per step (default inputSize: the next character's scores). */
  outputSize?: number;
  /** Steps of the traced sequence, for summary() and the first plan (default 35, d2l's num_steps). */
  seqLength?: number;
  /** Seed of the default weights (default 0). */
  seed?: number;
}

type Mode = 'rnn' | 'lstm' | 'gru';

/** A recurrent stack and a dense layer at every step. */
export class RecurrentModel extends Module {
  readonly type = 'RNNModel';
  readonly rnn: Recurrent;
  readonly linear: Linear;
  readonly seqLength: number;
  readonly inputSize: number;

  constructor(mode: Mode, opts: RecurrentModelOptions) {
    super();
    const check = (what: keyof RecurrentModelOptions, fallback: number) => positiveInteger(mode, what, opts[what] ?? fallback);
    this.inputSize = check('inputSize', 28);
    const hiddenSize = check('hiddenSize', 32);
    const numLayers = check('numLayers', 1);
    const outputSize = check('outputSize', this.inputSize);
    this.seqLength = check('seqLength', 35);
    const bidirectional = opts.bidirectional ?? false;
    if (typeof bidirectional !== 'boolean') throw new ShapeError(`${mode}: bidirectional must be true or false, got ${String(bidirectional)}`);
    const stack = { numLayers, bidirectional };
    this.rnn = this.addModule('rnn', layers[mode](this.inputSize, hiddenSize, stack));
    this.linear = this.addModule('linear', layers.linear((bidirectional ? 2 : 1) * hiddenSize, outputSize));
    this.inputShapes = { input: [this.seqLength, this.inputSize] };
    if (opts.seed !== undefined) {
      if (!Number.isInteger(opts.seed)) throw new ShapeError(`${mode}: seed must be an integer, got ${opts.seed}`);
      this.seed = opts.seed;
    }
  }

  /** @internal x [T, N, I]: the batch is dim 1, and both T and N may change between runs. */
  protected override traceInputs(batch: number): TraceInput[] {
    return [{ name: 'input', shape: [this.seqLength, batch, this.inputSize], dynamicDims: { 0: 'T', 1: 'N' } }];
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    return ctx.call(this.linear, ctx.call(this.rnn, x));
  }
}

/** Elman RNN (tanh) + dense: 2,908 parameters by default. */
export const rnn = (opts: RecurrentModelOptions = {}) => new RecurrentModel('rnn', opts);
/** LSTM + dense: 8,860 parameters by default. */
export const lstm = (opts: RecurrentModelOptions = {}) => new RecurrentModel('lstm', opts);
/** GRU + dense: 6,876 parameters by default. */
export const gru = (opts: RecurrentModelOptions = {}) => new RecurrentModel('gru', opts);
