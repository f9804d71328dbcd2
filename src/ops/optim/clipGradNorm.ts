// clipGradNorm: torch.nn.utils.clip_grad_norm_ (2-norm) on the device, between the gradients and
// the optimizer's updates of a training graph. The total norm of all gradients together is
// ‖g‖ = sqrt(Σ_p Σ g_p²); every gradient is multiplied by min(maxNorm / (‖g‖ + 1e-6), 1), so
// nothing changes while ‖g‖ ≤ maxNorm. The sums of squares are existing ops (mul, reduceSum,
// add); clipGradNormScaleOp turns their total into the factor.
import clipScaleWgsl from '../../../shaders/optim/clip_grad_norm_scale.wgsl?raw';
import { ShapeError } from '../../errors.js';
import { formatShape, type Shape } from '../../shape.js';
import { binaryOp } from '../elementwise/binary.js';
import { uniforms } from '../kernel.js';
import type { OpDef, OpRunner } from '../op.js';
import { reduceSum } from '../reduce/reduceSum.js';

export interface ClipGradNormAttrs {
  readonly maxNorm: number;
}

/** The factor of clip_grad_norm_ from the total sum of squares of the gradients. */
export const clipGradNormScaleOp: OpDef<ClipGradNormAttrs> = {
  name: 'clipGradNormScale',
  inferShapes([sumSq]) {
    if (!sumSq || sumSq.length !== 0) throw new ShapeError(`clipGradNorm: the sum of squares must be a scalar [], got ${formatShape(sumSq)}`);
    return [[]];
  },
  // sum_sq [] -> scale []
  cpu([sumSq], [scale], { maxNorm }) {
    scale.data[0] = Math.min(maxNorm / (Math.sqrt(sumSq!.data[0]) + 1e-6), 1);
  },
  gpu(k, [sumSq], [scale], { maxNorm }) {
    k.dispatch({
      shader: { label: 'clip_grad_norm_scale', code: clipScaleWgsl },
      uniforms: uniforms().f32(maxNorm).bytes(),
      bindings: [sumSq!, scale],
      workgroups: [1, 1, 1],
    });
  },
};

type Shaped = { readonly shape: Shape };

/** The gradients scaled as clip_grad_norm_(parameters, maxNorm) leaves them. */
export function clipGradNorm<T extends Shaped>(r: OpRunner<T>, grads: readonly T[], maxNorm: number): T[] {
  if (grads.length === 0) return [];
  let total: T | null = null;
  for (const g of grads) {
    const square = r.runOp(binaryOp, [g, g], { kind: 'mul' })[0];
    const axes = g.shape.map((_, i) => i);
    const sum = reduceSum(r, square, axes, axes.length);
    total = total ? r.runOp(binaryOp, [total, sum], { kind: 'add' })[0] : sum;
  }
  const [scale] = r.runOp(clipGradNormScaleOp, [total], { maxNorm });
  return grads.map((g) => r.runOp(binaryOp, [g, scale], { kind: 'mul' })[0]);
}
