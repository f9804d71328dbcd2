// Layers without parameters: activations, pooling, flatten, dropout, softmax. Each wraps one
// op call so it appears as a row of summary() with the module type PyTorch prints.
import type { SymbolicTensor } from '../graph/tracer.js';
import type { Ops } from '../ops/index.js';
import { Module, type ForwardContext } from './module.js';

type Fn = (ops: Ops<SymbolicTensor>, x: SymbolicTensor) => SymbolicTensor;

export class Stateless extends Module {
  constructor(
    readonly type: string,
    private readonly fn: Fn,
  ) {
    super();
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    return this.fn(ctx.ops, x);
  }
}
