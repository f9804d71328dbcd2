// The op table: every op of the API, bound to one runner (a backend or a graph tracer).
// backend.ops and the layers' forward functions are both this table, so eager calls and
// compiled graphs go through the same op definitions.
import type { Shape } from '../shape';
import * as act from './activation';
import type { OpRunner } from './op';

type Shaped = { readonly shape: Shape };

export function makeOps<T extends Shaped>(r: OpRunner<T>) {
  return {
    relu: (x: T) => act.relu(r, x),
    sigmoid: (x: T) => act.sigmoid(r, x),
    tanh: (x: T) => act.tanh(r, x),
    leakyRelu: (x: T, opts?: act.LeakyReluOptions) => act.leakyRelu(r, x, opts),
    clip: (x: T, opts?: act.ClipOptions) => act.clip(r, x, opts),
  };
}

export type Ops<T extends Shaped> = ReturnType<typeof makeOps<T>>;
