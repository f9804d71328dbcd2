// The gradient of localResponseNorm. With s_c = k + alpha/size · Σ_{c' in window(c)} x_{c'}² and
// y_c = x_c·s_c^−β, channel j receives its own term and one from every channel whose window
// holds it (c in [j − after, j + before]):
//   dx_j = dy_j·s_j^−β − 2·β·alpha/size · x_j · Σ_c dy_c·x_c·s_c^(−β−1)
import { ShapeError } from '../../errors.js';
import { formatShape, sizeOf } from '../../shape.js';
import type { OpDef } from '../op.js';
import { checkLrn, recordLrn, type LocalResponseNormAttrs } from './lrnKernel.js';

const name = 'localResponseNormGrad';

export const localResponseNormGradOp: OpDef<LocalResponseNormAttrs> = {
  name,
  // x, dy [N, C, ...] -> dx [N, C, ...]
  inferShapes([x, dy], attrs) {
    const shape = checkLrn(x, attrs);
    if (!dy || dy.length !== shape.length || dy.some((d, i) => d !== shape[i])) {
      throw new ShapeError(`${name}: dy must have x's shape ${formatShape(shape)}, got ${formatShape(dy)}`);
    }
    return [shape];
  },
  cpu([x, dy], [dx], { size, alpha, beta, k, before }) {
    const xs = x!.data;
    const dys = dy!.data;
    const [N, C] = x!.shape;
    const inner = sizeOf(x!.shape.slice(2));
    const after = size - 1 - before;
    const scale = alpha / size;
    const channel = (n: number, c: number, j: number) => (n * C + c) * inner + j;
    // Per position: s_c for every channel, then the sums, in float64.
    const s = new Float64Array(C);
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < inner; j++) {
        for (let c = 0; c < C; c++) {
          let sumSq = 0;
          for (let w = Math.max(0, c - before); w <= Math.min(C - 1, c + after); w++) sumSq += xs[channel(n, w, j)] ** 2;
          s[c] = k + scale * sumSq;
        }
        for (let c = 0; c < C; c++) {
          let cross = 0;
          for (let w = Math.max(0, c - after); w <= Math.min(C - 1, c + before); w++) {
            cross += dys[channel(n, w, j)] * xs[channel(n, w, j)] * Math.pow(s[w], -beta - 1);
          }
          const at = channel(n, c, j);
          dx.data[at] = dys[at] * Math.pow(s[c], -beta) - 2 * beta * scale * xs[at] * cross;
        }
      }
    }
  },
  // shaders/norm/lrn.wgsl's `grad`, beside the forward kernel it shares the window sums with.
  gpu(kr, [x, dy], [dx], attrs) {
    recordLrn(kr, 'grad', [x!, dx, dy!], attrs);
  },
};
