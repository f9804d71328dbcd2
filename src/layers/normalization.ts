// BatchNorm2d (inference: running statistics are buffers, not parameters) and
// LocalResponseNorm (no parameters).
import type { SymbolicTensor } from '../graph/tracer.js';
import type { LocalResponseNormOptions } from '../ops/norm/localResponseNorm.js';
import { Module, type ForwardContext } from './module.js';

export interface BatchNorm2dLayerOptions {
  /** Added to the variance (default 1e-5; torchvision's GoogLeNet uses 1e-3). */
  eps?: number;
  /** Learn γ and β (default true). */
  affine?: boolean;
}

export class BatchNorm2d extends Module {
  readonly type = 'BatchNorm2d';

  constructor(
    readonly numFeatures: number,
    readonly options: BatchNorm2dLayerOptions = {},
  ) {
    super();
    if (options.affine !== false) {
      this.addParameter('weight', [numFeatures], { kind: 'constant', value: 1 });
      this.addParameter('bias', [numFeatures], { kind: 'constant', value: 0 });
    }
    this.addParameter('running_mean', [numFeatures], { kind: 'constant', value: 0 }, false);
    this.addParameter('running_var', [numFeatures], { kind: 'constant', value: 1 }, false);
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    return ctx.ops.batchNorm2d(x, {
      weight: ctx.optionalParam('weight'),
      bias: ctx.optionalParam('bias'),
      runningMean: ctx.param('running_mean'),
      runningVar: ctx.param('running_var'),
      eps: this.options.eps,
    });
  }
}

export class LocalResponseNorm extends Module {
  readonly type = 'LocalResponseNorm';

  constructor(readonly options: LocalResponseNormOptions) {
    super();
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    return ctx.ops.localResponseNorm(x, this.options);
  }
}
