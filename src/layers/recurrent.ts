// LSTM, GRU and RNN layers with PyTorch's parameter names (weight_ih_l0, weight_hh_l0_reverse,
// …) and initialisation (uniform ±1/√hidden). forward returns the output sequence.
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
}

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

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    const params = Object.fromEntries(this.ownParameters().map(([name]) => [name, ctx.param(name)]));
    const opts = {
      hiddenSize: this.hiddenSize,
      numLayers: this.numLayers,
      bidirectional: this.bidirectional,
      batchFirst: this.options.batchFirst ?? false,
    };
    if (this.mode === 'lstm') return ctx.ops.lstm(x, params, opts).output;
    if (this.mode === 'gru') return ctx.ops.gru(x, params, opts).output;
    return ctx.ops.rnn(x, params, { ...opts, nonlinearity: this.options.nonlinearity ?? 'tanh' }).output;
  }
}
