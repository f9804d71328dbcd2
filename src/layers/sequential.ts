// Sequential: children called in order, named '0', '1', … (or by the keys of a record), as
// torch.nn.Sequential names them in a state dict.
import { ShapeError } from '../errors.js';
import { SymbolicTensor } from '../graph/tracer.js';
import { checkShape, type Shape } from '../shape.js';
import { Module, type ForwardContext } from './module.js';

export interface ModelOptions {
  /** The input shape without the batch dim, e.g. [1, 28, 28]; makes the module a runnable model. */
  inputShape?: readonly number[];
  /** Seed of the default weights (default 0). */
  seed?: number;
}

export class Sequential extends Module {
  readonly type = 'Sequential';

  constructor(layers: readonly Module[] | Readonly<Record<string, Module>>, options: ModelOptions = {}) {
    super();
    const entries = Array.isArray(layers) ? layers.map((m, i) => [String(i), m] as const) : Object.entries(layers);
    for (const [name, m] of entries) {
      if (!(m instanceof Module)) throw new ShapeError(`sequential: layer '${name}' is not a module (got ${String(m)})`);
      this.addModule(name, m);
    }
    applyModelOptions(this, options);
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    for (const [name, m] of this.children()) {
      x = ctx.call(m, x);
      if (!(x instanceof SymbolicTensor)) {
        throw new ShapeError(`sequential: layer '${name}' (${m.type}) returns a record; a sequential passes one tensor from layer to layer (returnState belongs in a custom module)`);
      }
    }
    return x;
  }
}

/** Sets the input shape and seed of a module used as a model. */
export function applyModelOptions(module: Module, { inputShape, seed }: ModelOptions): void {
  if (inputShape !== undefined) module.inputShapes = { input: checkShape([...inputShape], 'inputShape') as Shape };
  if (seed !== undefined) {
    if (!Number.isInteger(seed)) throw new ShapeError(`seed must be an integer, got ${seed}`);
    module.seed = seed;
  }
}
