// The op table: every op of the API, bound to one runner (a backend or a graph tracer).
// backend.ops and the layers' forward functions are both this table, so eager calls and
// compiled graphs go through the same op definitions. Names and argument order are the public
// API of DESIGN.md; each entry only binds the runner to the op file's API function.
import type { Shape } from '../shape';
import * as act from './activation';
import * as binary from './binary';
import type { OpRunner } from './op';
import * as softmax from './softmax';

type Shaped = { readonly shape: Shape };

export function makeOps<T extends Shaped>(r: OpRunner<T>) {
  return {
    // Activations
    relu: (x: T) => act.relu(r, x),
    sigmoid: (x: T) => act.sigmoid(r, x),
    tanh: (x: T) => act.tanh(r, x),
    leakyRelu: (x: T, opts?: act.LeakyReluOptions) => act.leakyRelu(r, x, opts),
    clip: (x: T, opts?: act.ClipOptions) => act.clip(r, x, opts),
    softmax: (x: T, opts?: softmax.SoftmaxOptions) => softmax.softmax(r, x, opts),
    logSoftmax: (x: T, opts?: softmax.SoftmaxOptions) => softmax.logSoftmax(r, x, opts),

    // Elementwise arithmetic (NumPy broadcasting)
    add: (a: T, b: T) => binary.add(r, a, b),
    mul: (a: T, b: T) => binary.mul(r, a, b),
  };
}

export type Ops<T extends Shaped> = ReturnType<typeof makeOps<T>>;
