// Linear: y = x·Wᵀ + b with weight [out, in] and bias [out], PyTorch's default initialisation.
import type { SymbolicTensor } from '../graph/tracer';
import { Module, type ForwardContext } from './module';

export class Linear extends Module {
  readonly type = 'Linear';

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean } = {},
  ) {
    super();
    const bound = 1 / Math.sqrt(inFeatures);
    this.addParameter('weight', [outFeatures, inFeatures], { kind: 'uniform', bound });
    if (options.bias !== false) this.addParameter('bias', [outFeatures], { kind: 'uniform', bound });
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    return ctx.ops.linear(x, ctx.param('weight'), ctx.optionalParam('bias'));
  }
}
