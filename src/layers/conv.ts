// Conv2d: weight [out, in/groups, kh, kw] and bias [out], PyTorch's default initialisation
// (uniform ±1/√fan_in for both).
import type { SymbolicTensor } from '../graph/tracer.js';
import type { Conv2dOptions } from '../ops/conv/conv2d.js';
import { pair } from '../shape.js';
import { Module, type ForwardContext, type Init } from './module.js';

export interface Conv2dLayerOptions extends Conv2dOptions {
  /** Learn a bias (default true). */
  bias?: boolean;
  /** Default weights other than PyTorch's uniform ±1/√fan_in (e.g. Kaiming's, for ReLU networks). */
  weightInit?: Init;
  biasInit?: Init;
}

export class Conv2d extends Module {
  readonly type = 'Conv2d';
  readonly kernelSize: [number, number];

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | readonly [number, number],
    readonly options: Conv2dLayerOptions = {},
  ) {
    super();
    this.kernelSize = pair(kernelSize, 'conv2d: kernelSize');
    const groups = options.groups ?? 1;
    const fanIn = (inChannels / groups) * this.kernelSize[0] * this.kernelSize[1];
    const bound = 1 / Math.sqrt(fanIn);
    this.addParameter('weight', [outChannels, inChannels / groups, ...this.kernelSize], options.weightInit ?? { kind: 'uniform', bound });
    if (options.bias !== false) this.addParameter('bias', [outChannels], options.biasInit ?? { kind: 'uniform', bound });
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    const { bias: _bias, weightInit: _weightInit, biasInit: _biasInit, ...opts } = this.options;
    return ctx.ops.conv2d(x, ctx.param('weight'), ctx.optionalParam('bias'), opts);
  }
}
