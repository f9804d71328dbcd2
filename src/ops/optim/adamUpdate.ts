// adamUpdate: one step of torch.optim.Adam (amsgrad off) for one parameter, on the device. As in
// PyTorch 1.13:
//   g = g + weightDecay·p;  m = β1·m + (1 − β1)·g;  v = β2·v + (1 − β2)·g²
//   p = p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + eps)
// with t this step's number (from 1) and lr read from `clock` = [t, lr], a tensor kept with the parameters.
import adamWgsl from '../../../shaders/optim/adam_update.wgsl?raw';
import { grid, uniforms } from '../kernel.js';
import { ShapeError } from '../../errors.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';

export interface AdamAttrs {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
}

/** Inputs: [param, grad, m, v, clock [step, lr]]; outputs [new param, new m, new v]. */
export const adamUpdateOp: OpDef<AdamAttrs> = {
  name: 'adamUpdate',
  inferShapes([param, grad, m, v, clock]) {
    const same = param && [grad, m, v].every((t) => t && sameShape(param, t));
    if (!same || !clock || !sameShape(clock, [2])) {
      throw new ShapeError(`adam: needs param, grad, m and v of one shape and a clock [2], got ${[param, grad, m, v, clock].map(formatShape).join(', ')}`);
    }
    return [param!, param!, param!];
  },
  cpu([param, grad, m, v, clock], [newParam, newM, newV], { beta1, beta2, eps, weightDecay }) {
    const [t, lr] = clock!.data;
    // Python floats, as PyTorch computes them: float64.
    const stepSize = lr / (1 - beta1 ** t);
    const correction2 = Math.sqrt(1 - beta2 ** t);
    const p = param!.data;
    for (let i = 0; i < p.length; i++) {
      const g = grad!.data[i] + weightDecay * p[i];
      const mi = (newM.data[i] = beta1 * m!.data[i] + (1 - beta1) * g);
      const vi = (newV.data[i] = beta2 * v!.data[i] + (1 - beta2) * g * g);
      newParam.data[i] = p[i] - (stepSize * mi) / (Math.sqrt(vi) / correction2 + eps);
    }
  },
  gpu(k, [param, grad, m, v, clock], [newParam, newM, newV], { beta1, beta2, eps, weightDecay }) {
    const n = sizeOf(param!.shape);
    k.dispatch({
      shader: { label: 'adam_update', code: adamWgsl },
      uniforms: uniforms().u32(n).f32(beta1, beta2, eps, weightDecay).bytes(),
      bindings: [param!, grad!, m!, v!, clock!, newParam, newM, newV],
      workgroups: grid(n, 256),
    });
  },
};

type Shaped = { readonly shape: Shape };

/** The updated [param, m, v]. */
export const adamUpdate = <T extends Shaped>(r: OpRunner<T>, param: T, grad: T, m: T, v: T, clock: T, attrs: AdamAttrs): T[] =>
  r.runOp(adamUpdateOp, [param, grad, m, v, clock], attrs);
