// Linear: y = x·Wᵀ + b with weight [out, in] and bias [out], PyTorch's default initialisation.
import type { SymbolicTensor } from '../graph/tracer.js';
import { Module, type ForwardContext, type Init } from './module.js';

export interface LinearLayerOptions {
  /** Learn a bias (default true). */
  bias?: boolean;
  /** Default weights other than PyTorch's uniform ±1/√in (e.g. a given standard deviation). */
  weightInit?: Init;
  biasInit?: Init;
}

export class Linear extends Module {
  readonly type = 'Linear';

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: LinearLayerOptions = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.addParameter('weight', [outFeatures, inFeatures], options.weightInit ?? { kind: 'uniform', bound });
    if (options.bias !== false) this.addParameter('bias', [outFeatures], options.biasInit ?? { kind: 'uniform', bound });
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    return ctx.ops.linear(x, ctx.param('weight'), ctx.optionalParam('bias'));
  }
}
