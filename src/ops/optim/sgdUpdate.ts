// sgdUpdate: one step of torch.optim.SGD for one parameter, on the device. The step number and
// the learning rate are a tensor `clock` = [step, lr] that lives with the parameters, so a
// schedule can change the rate between steps without rebuilding anything. PyTorch's update:
//   d = g + weightDecay·p
//   momentum ≠ 0: buf = d on the first step, else momentum·buf + (1 − dampening)·d;
//                 d = nesterov ? d + momentum·buf : buf
//   p = p − lr·d
import sgdMomentumWgsl from '../../../shaders/optim/sgd_momentum_update.wgsl?raw';
import sgdWgsl from '../../../shaders/optim/sgd_update.wgsl?raw';
import { grid, uniforms } from '../kernel.js';
import { ShapeError } from '../../errors.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';

export interface SgdAttrs {
  readonly momentum: number;
  readonly dampening: number;
  readonly weightDecay: number;
  readonly nesterov: boolean;
}

/** Inputs: [param, grad, momentum buffer (null without momentum), clock [step (this step's number, from 1), lr]]. */
export const sgdUpdateOp: OpDef<SgdAttrs> = {
  name: 'sgdUpdate',
  inferShapes([param, grad, buf, clock], { momentum }) {
    const ok = param && grad && sameShape(param, grad) && (momentum === 0 ? !buf : buf && sameShape(param, buf)) && clock && sameShape(clock, [2]);
    if (!ok) {
      throw new ShapeError(`sgd: needs param, grad${momentum ? ' and momentum buffer' : ''} of one shape and a clock [2], got ${[param, grad, buf, clock].map(formatShape).join(', ')}`);
    }
    return momentum === 0 ? [param!] : [param!, param!];
  },
  // -> [new param] or [new param, new momentum buffer]
  cpu([param, grad, buf, clock], [newParam, newBuf], { momentum, dampening, weightDecay, nesterov }) {
    const [p, g] = [param!.data, grad!.data];
    const [step, rate] = clock!.data;
    const first = step <= 1;
    for (let i = 0; i < p.length; i++) {
      let d = g[i] + weightDecay * p[i];
      if (momentum !== 0) {
        const b = first ? d : momentum * buf!.data[i] + (1 - dampening) * d;
        newBuf.data[i] = b;
        d = nesterov ? d + momentum * b : b;
      }
      newParam.data[i] = p[i] - rate * d;
    }
  },
  gpu(k, [param, grad, buf, clock], [newParam, newBuf], { momentum, dampening, weightDecay, nesterov }) {
    const n = sizeOf(param!.shape);
    const u = uniforms().u32(n).f32(weightDecay, momentum, dampening).bytes();
    const workgroups = grid(n, 256);
    if (momentum === 0) {
      k.dispatch({ shader: sgdShader, uniforms: u, bindings: [param!, grad!, clock!, newParam], workgroups });
      return;
    }
    k.dispatch({
      shader: sgdMomentumShader,
      constants: { NESTEROV: nesterov ? 1 : 0 },
      uniforms: u,
      bindings: [param!, grad!, clock!, buf!, newParam, newBuf],
      workgroups,
    });
  },
};

const sgdShader = { label: 'sgd_update', code: sgdWgsl };
const sgdMomentumShader = { label: 'sgd_momentum_update', code: sgdMomentumWgsl };

type Shaped = { readonly shape: Shape };

/** The updated parameter (and momentum buffer, when momentum ≠ 0). */
export const sgdUpdate = <T extends Shaped>(r: OpRunner<T>, param: T, grad: T, buf: T | null, clock: T, attrs: SgdAttrs): T[] =>
  r.runOp(sgdUpdateOp, [param, grad, buf, clock], attrs);
