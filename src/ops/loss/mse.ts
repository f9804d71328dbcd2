// mse: torch.nn.functional.mse_loss with mean reduction, loss = Σ (output − target)² / n over
// all n elements; target has the output's shape.
import mseWgsl from '../../../shaders/loss/mse.wgsl?raw';
import { uniforms } from '../kernel.js';
import { ShapeError } from '../../errors.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { mseGrad } from './mseGrad.js';

export const mseOp: OpDef<Record<string, never>> = {
  name: 'mse',
  inferShapes([output, target]) {
    if (!output || !target || !sameShape(output, target)) {
      throw new ShapeError(`mse: target must have the output's shape ${formatShape(output)}, got ${formatShape(target)}`);
    }
    return [[]];
  },
  // output, target [...] -> loss []; float64 sum
  cpu([output, target], [loss]) {
    const [o, t] = [output!.data, target!.data];
    let sum = 0;
    for (let i = 0; i < o.length; i++) sum += (o[i] - t[i]) ** 2;
    loss.data[0] = sum / o.length; // NaN for an empty tensor, as PyTorch
  },
  // One workgroup: each invocation sums elements t, t + 256, …, then a tree reduction.
  gpu(k, [output, target], [loss]) {
    k.dispatch({
      shader: { label: 'mse', code: mseWgsl },
      uniforms: uniforms().u32(sizeOf(output!.shape)).bytes(),
      bindings: [output!, target!, loss],
      workgroups: [1, 1, 1],
    });
  },
  grad: (r, { inputs: [output, target], dys: [dy], needs }) => [needs[0] ? mseGrad(r, output!, target!, dy!) : null, null],
};

type Shaped = { readonly shape: Shape };

/** Mean squared error between `output` and `target` (same shape). */
export const mse = <T extends Shaped>(r: OpRunner<T>, output: T, target: T): T => r.runOp(mseOp, [output, target], {})[0];
