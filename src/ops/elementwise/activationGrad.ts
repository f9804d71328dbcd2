// activationGrad: the gradient of an activation, dx = dy · f'(x). relu, leakyRelu and clip read
// the input x, sigmoid and tanh their output y (f' is cheaper from it), so the op takes both.
// The derivatives at the kinks follow PyTorch: relu and leakyRelu pass dy only where x > 0, clip
// (torch.clamp) where min ≤ x ≤ max.
import activationGradWgsl from '../../../shaders/elementwise/activation_grad.wgsl?raw';
import { grid, uniforms } from '../kernel.js';
import { ShapeError } from '../../errors.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import type { Activation } from './activationKind.js';

/** f'(x) · dy for one element, from the input x and the output y. */
export function activationDerivative(a: Activation, x: number, y: number, dy: number): number {
  switch (a.kind) {
    case 'relu':
      return x > 0 ? dy : 0;
    case 'sigmoid':
      return dy * y * (1 - y);
    case 'tanh':
      return dy * (1 - y * y);
    case 'leakyRelu':
      return x > 0 ? dy : dy * a.negativeSlope;
    case 'clip':
      return x >= a.min && x <= a.max ? dy : 0;
  }
}

const F32_MAX = 3.4028234663852886e38;
const KIND: Record<Activation['kind'], number> = { relu: 1, sigmoid: 2, tanh: 3, leakyRelu: 4, clip: 5 };

export const activationGradOp: OpDef<Activation> = {
  name: 'activationGrad',
  inferShapes([x, y, dy], a) {
    if (!x || !y || !dy || !sameShape(x, y) || !sameShape(x, dy)) {
      throw new ShapeError(`${a.kind} gradient: x, y and dy must have one shape, got ${formatShape(x)}, ${formatShape(y)}, ${formatShape(dy)}`);
    }
    return [x];
  },
  // x, y, dy [...] -> dx [...]
  cpu([x, y, dy], [dx], a) {
    const [xs, ys, ds, out] = [x!.data, y!.data, dy!.data, dx.data];
    for (let i = 0; i < out.length; i++) out[i] = activationDerivative(a, xs[i], ys[i], ds[i]);
  },
  gpu(k, [x, y, dy], [dx], a) {
    const n = sizeOf(dx.shape);
    const bound = (v: number) => Math.min(Math.max(v, -F32_MAX), F32_MAX);
    k.dispatch({
      shader: { label: 'activation_grad', code: activationGradWgsl },
      constants: {
        ACT_KIND: KIND[a.kind],
        ACT_ALPHA: a.kind === 'leakyRelu' ? a.negativeSlope : 0,
        ACT_MIN: a.kind === 'clip' ? bound(a.min) : 0,
        ACT_MAX: a.kind === 'clip' ? bound(a.max) : 0,
      },
      uniforms: uniforms().u32(n).bytes(),
      bindings: [x!, y!, dy!, dx],
      workgroups: grid(n, 256),
    });
  },
};

type Shaped = { readonly shape: Shape };

/** dx for the activation `a` that mapped x to y, given dy. */
export const activationGrad = <T extends Shaped>(r: OpRunner<T>, x: T, y: T, dy: T, a: Activation): T =>
  r.runOp(activationGradOp, [x, y, dy], a)[0];
