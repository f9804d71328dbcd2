// crossEntropy: torch.nn.functional.cross_entropy with class-index targets and mean reduction.
// logits [..., C] (classes on the last dim; [N, C] as in PyTorch), target [...] holding class
// indices as float32; the loss is the mean over rows of logsumexp(logits) − logits[target].
import crossEntropyWgsl from '../../../shaders/loss/cross_entropy.wgsl?raw';
import { uniforms } from '../kernel.js';
import type { Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { checkClassIndices, crossEntropyGeometry } from './classIndices.js';
import { crossEntropyGrad } from './crossEntropyGrad.js';

export const crossEntropyOp: OpDef<Record<string, never>> = {
  name: 'crossEntropy',
  inferShapes([logits, target]) {
    crossEntropyGeometry(logits, target);
    return [[]];
  },
  // logits [R, C], target [R] -> loss [] (mean over R); float64 sums
  cpu([logits, target], [loss]) {
    const [rows, classes] = crossEntropyGeometry(logits!.shape, target!.shape);
    checkClassIndices(target!.data, classes);
    const x = logits!.data;
    let total = 0;
    for (let r = 0; r < rows; r++) {
      const base = r * classes;
      let max = -Infinity;
      for (let c = 0; c < classes; c++) max = Math.max(max, x[base + c]);
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(x[base + c] - max);
      total += max + Math.log(sum) - x[base + target!.data[r]];
    }
    loss.data[0] = rows === 0 ? NaN : total / rows; // PyTorch's mean of nothing is NaN too
  },
  // One workgroup: each invocation sums the losses of rows t, t + 256, …, then a tree reduction.
  gpu(k, [logits, target], [loss]) {
    const [rows, classes] = crossEntropyGeometry(logits!.shape, target!.shape);
    k.dispatch({
      shader: { label: 'cross_entropy', code: crossEntropyWgsl },
      uniforms: uniforms().u32(rows, classes).bytes(),
      bindings: [logits!, target!, loss],
      workgroups: [1, 1, 1],
    });
  },
  grad: (r, { inputs: [logits, target], dys: [dy] }) => [crossEntropyGrad(r, logits!, target!, dy!), null],
};

type Shaped = { readonly shape: Shape };

/** Mean cross-entropy of `logits` [..., C] against class indices `target` [...] (float32). */
export const crossEntropy = <T extends Shaped>(r: OpRunner<T>, logits: T, target: T): T => r.runOp(crossEntropyOp, [logits, target], {})[0];
