// softmaxGrad: the gradient of softmax and logSoftmax along one axis, from the forward output y:
//   softmax:    dx = y · (dy − Σ dy·y)
//   logSoftmax: dx = dy − exp(y) · Σ dy
// the sums running along the axis (float64 on the CPU).
import softmaxGradWgsl from '../../../shaders/norm/softmax_grad.wgsl?raw';
import { grid, uniforms } from '../kernel.js';
import { ShapeError } from '../../errors.js';
import { formatShape, normalizeAxis, sameShape, sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';

/** softmax's attributes (softmax.ts), restated so the two files do not import each other. */
export interface SoftmaxGradAttrs {
  readonly dim: number;
  readonly log: boolean;
}

/** [outer, n, inner] around the axis; a 0-D tensor is one element (as softmax treats it). */
function lines(shape: Shape, dim: number): { outer: number; n: number; inner: number } {
  const dims = shape.length === 0 ? [1] : shape;
  const axis = normalizeAxis(dim, dims.length, 'softmax gradient');
  return { outer: sizeOf(dims.slice(0, axis)), n: dims[axis], inner: sizeOf(dims.slice(axis + 1)) };
}

export const softmaxGradOp: OpDef<SoftmaxGradAttrs> = {
  name: 'softmaxGrad',
  inferShapes([y, dy], { dim }) {
    if (!y || !dy || !sameShape(y, dy)) throw new ShapeError(`softmax gradient: y and dy must have one shape, got ${formatShape(y)} and ${formatShape(dy)}`);
    lines(y, dim);
    return [y];
  },
  // y, dy [outer, n, inner] -> dx [outer, n, inner]
  cpu([y, dy], [dx], { dim, log }) {
    const { outer, n, inner } = lines(y!.shape, dim);
    const [ys, ds, out] = [y!.data, dy!.data, dx.data];
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < inner; j++) {
        const start = o * n * inner + j;
        let sum = 0;
        for (let k = 0; k < n; k++) sum += log ? ds[start + k * inner] : ds[start + k * inner] * ys[start + k * inner];
        for (let k = 0; k < n; k++) {
          const i = start + k * inner;
          out[i] = log ? ds[i] - Math.exp(ys[i]) * sum : ys[i] * (ds[i] - sum);
        }
      }
    }
  },
  gpu(k, [y, dy], [dx], { dim, log }) {
    const { outer, n, inner } = lines(y!.shape, dim);
    const count = outer * inner;
    if (count === 0 || n === 0) return;
    k.dispatch({
      shader: { label: 'softmax_grad', code: softmaxGradWgsl },
      constants: { LOG: log ? 1 : 0 },
      uniforms: uniforms().u32(count, n, inner).bytes(),
      bindings: [y!, dy!, dx],
      workgroups: grid(count, 64),
    });
  },
};

type Shaped = { readonly shape: Shape };

/** dx of softmax (or logSoftmax, attrs.log) whose output was y, given dy. */
export const softmaxGrad = <T extends Shaped>(r: OpRunner<T>, y: T, dy: T, attrs: SoftmaxGradAttrs): T => r.runOp(softmaxGradOp, [y, dy], attrs)[0];
