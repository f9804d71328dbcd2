// LSTM, GRU and RNN layers with PyTorch's parameter names (weight_ih_l0, weight_hh_l0_reverse,
// …) and initialisation (uniform ±1/√hidden). forward returns the output sequence, or with
// { returnState: true } (Keras' return_state) a record { output, h } (LSTM: { output, h, c }),
// h and c being the final states [numLayers · directions, N, hidden] as PyTorch returns them.
import type { SymbolicTensor } from '../graph/tracer.js';
import { recurrentParamName, type RecurrentMode, type RnnNonlinearity } from '../ops/recurrent/recurrent.js';
import { GATE_COUNT } from '../ops/recurrent/recurrentMath.js';
import { Module, type ForwardContext } from './module.js';

export interface RecurrentLayerOptions {
  /** Stacked layers (default 1). */
  numLayers?: number;
  /** Default false. */
  bidirectional?: boolean;
  /** Input and output as [N, T, …] (default false: [T, N, …]). */
  batchFirst?: boolean;
  /** Learn biases b_ih and b_hh (default true). */
  bias?: boolean;
  /** RNN only: 'tanh' (default) or 'relu'. */
  nonlinearity?: RnnNonlinearity;
  /** Return `{ output, h }` (LSTM `{ output, h, c }`) instead of the output sequence alone (default false). */
  returnState?: boolean;
}

/** What a recurrent layer built with `returnState: true` returns. */
export type RecurrentState = {
  readonly output: SymbolicTensor;
  /** Final hidden states [numLayers · directions, N, hidden]. */
  readonly h: SymbolicTensor;
  /** LSTM only: final cell states, shaped as h. */
  readonly c?: SymbolicTensor;
};

const TYPES: Record<RecurrentMode, string> = { lstm: 'LSTM', gru: 'GRU', rnn: 'RNN' };

export class Recurrent extends Module {
  readonly type: string;
  readonly numLayers: number;
  readonly bidirectional: boolean;

  constructor(
    readonly mode: RecurrentMode,
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly options: RecurrentLayerOptions = {},
  ) {
    super();
    this.type = TYPES[mode];
    this.numLayers = options.numLayers ?? 1;
    this.bidirectional = options.bidirectional ?? false;
    const directions = this.bidirectional ? 2 : 1;
    const rows = GATE_COUNT[mode] * hiddenSize;
    const init = { kind: 'uniform', bound: 1 / Math.sqrt(hiddenSize) } as const;
    for (let l = 0; l < this.numLayers; l++) {
      const layerInput = l === 0 ? inputSize : directions * hiddenSize;
      for (let d = 0; d < directions; d++) {
        const name = (kind: Parameters<typeof recurrentParamName>[0]) => recurrentParamName(kind, l, d === 1);
        this.addParameter(name('weight_ih'), [rows, layerInput], init);
        this.addParameter(name('weight_hh'), [rows, hiddenSize], init);
        if (options.bias !== false) {
          this.addParameter(name('bias_ih'), [rows], init);
          this.addParameter(name('bias_hh'), [rows], init);
        }
      }
    }
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor | RecurrentState {
    const params = Object.fromEntries(this.ownParameters().map(([name]) => [name, ctx.param(name)]));
    const opts = {
      hiddenSize: this.hiddenSize,
      numLayers: this.numLayers,
      bidirectional: this.bidirectional,
      batchFirst: this.options.batchFirst ?? false,
    };
    const state: RecurrentState =
      this.mode === 'lstm'
        ? ctx.ops.lstm(x, params, opts)
        : this.mode === 'gru'
          ? ctx.ops.gru(x, params, opts)
          : ctx.ops.rnn(x, params, { ...opts, nonlinearity: this.options.nonlinearity ?? 'tanh' });
    return this.options.returnState ? { ...state } : state.output;
  }
}

/** A recurrent layer built without `returnState`: its forward returns the output sequence. */
export interface RecurrentSequence extends Recurrent {
  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor;
}

/** A recurrent layer built with `returnState: true`: its forward's type says so. */
export interface RecurrentWithState extends Recurrent {
  forward(ctx: ForwardContext, x: SymbolicTensor): RecurrentState;
}
