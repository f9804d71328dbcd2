// crossEntropyGrad: the gradient of the mean cross-entropy with respect to the logits,
// dlogits[r, c] = (softmax(logits[r])[c] − [c = target[r]]) · dloss / rows.
import crossEntropyGradWgsl from '../../../shaders/loss/cross_entropy_grad.wgsl?raw';
import { grid, uniforms } from '../kernel.js';
import { ShapeError } from '../../errors.js';
import { formatShape, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { checkClassIndices, crossEntropyGeometry } from './classIndices.js';

export const crossEntropyGradOp: OpDef<Record<string, never>> = {
  name: 'crossEntropyGrad',
  inferShapes([logits, target, dloss]) {
    crossEntropyGeometry(logits, target, 'crossEntropy gradient');
    if (!dloss || dloss.length !== 0) throw new ShapeError(`crossEntropy gradient: dloss must be a scalar [], got ${formatShape(dloss)}`);
    return [logits!];
  },
  // logits [R, C], target [R], dloss [] -> dlogits [R, C]
  cpu([logits, target, dloss], [dx]) {
    const [rows, classes] = crossEntropyGeometry(logits!.shape, target!.shape);
    checkClassIndices(target!.data, classes);
    const x = logits!.data;
    const scale = dloss!.data[0] / rows;
    for (let r = 0; r < rows; r++) {
      const base = r * classes;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, x[base + c]);
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(x[base + c] - max);
      for (let c = 0; c < classes; c++) dx.data[base + c] = (Math.exp(x[base + c] - max) / sum) * scale;
      dx.data[base + target!.data[r]] -= scale;
    }
  },
  gpu(k, [logits, target, dloss], [dx]) {
    const [rows, classes] = crossEntropyGeometry(logits!.shape, target!.shape);
    k.dispatch({
      shader: { label: 'cross_entropy_grad', code: crossEntropyGradWgsl },
      uniforms: uniforms().u32(rows, classes).bytes(),
      bindings: [logits!, target!, dloss!, dx],
      workgroups: grid(rows, 64),
    });
  },
};

type Shaped = { readonly shape: Shape };

export const crossEntropyGrad = <T extends Shaped>(r: OpRunner<T>, logits: T, target: T, dloss: T): T =>
  r.runOp(crossEntropyGradOp, [logits, target, dloss], {})[0];
