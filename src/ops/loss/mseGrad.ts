// mseGrad: the gradient of the mean squared error with respect to the output,
// doutput = 2 · (output − target) · dloss / n.
import mseGradWgsl from '../../../shaders/loss/mse_grad.wgsl?raw';
import { grid, uniforms } from '../kernel.js';
import { ShapeError } from '../../errors.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';

export const mseGradOp: OpDef<Record<string, never>> = {
  name: 'mseGrad',
  inferShapes([output, target, dloss]) {
    if (!output || !target || !sameShape(output, target) || !dloss || dloss.length !== 0) {
      throw new ShapeError(`mse gradient: needs output and target of one shape and a scalar dloss, got ${formatShape(output)}, ${formatShape(target)}, ${formatShape(dloss)}`);
    }
    return [output];
  },
  // output, target [...], dloss [] -> doutput [...]
  cpu([output, target, dloss], [dx]) {
    const [o, t] = [output!.data, target!.data];
    const scale = (2 * dloss!.data[0]) / o.length;
    for (let i = 0; i < o.length; i++) dx.data[i] = (o[i] - t[i]) * scale;
  },
  gpu(k, [output, target, dloss], [dx]) {
    const n = sizeOf(output!.shape);
    k.dispatch({
      shader: { label: 'mse_grad', code: mseGradWgsl },
      uniforms: uniforms().u32(n).bytes(),
      bindings: [output!, target!, dloss!, dx],
      workgroups: grid(n, 256),
    });
  },
};

type Shaped = { readonly shape: Shape };

export const mseGrad = <T extends Shaped>(r: OpRunner<T>, output: T, target: T, dloss: T): T => r.runOp(mseGradOp, [output, target, dloss], {})[0];
