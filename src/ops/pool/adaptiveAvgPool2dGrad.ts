// The gradient of adaptive average pooling: each output's dy, divided by its bin's size, is spread
// over the bin's input cells (bins as in adaptiveAvgPool2d.ts; they may overlap). Global average
// pooling is the 1×1 case: its gradient is this op on dy viewed as [N, C, 1, 1] and the input
// viewed as [N, C, 1, H·W…].
import { ShapeError } from '../../errors.js';
import { formatShape } from '../../shape.js';
import type { OpDef } from '../op.js';
import { bins } from '../window.js';
import { recordPoolGrad } from './poolGradGpu.js';
import { inputShapeAttr } from './poolGradShapes.js';

export interface AdaptiveAvgPool2dGradAttrs {
  /**
   * The forward input's shape [N, C, H, W]; the output size is dy's [OH, OW], and N is dy's
   * whatever dim 0 says (graphs run at any batch size).
   */
  readonly inputShape: readonly [number, number, number, number];
}

const name = 'adaptiveAvgPool2dGrad';

export const adaptiveAvgPool2dGradOp: OpDef<AdaptiveAvgPool2dGradAttrs> = {
  name,
  // dy [N, C, OH, OW] -> dx [N, C, H, W]
  inferShapes([dy], attrs) {
    const x = inputShapeAttr(name, attrs.inputShape, dy);
    if (!dy || dy.length !== 4 || dy[0] !== x[0] || dy[1] !== x[1] || dy[2] === 0 || dy[3] === 0 || x[2] === 0 || x[3] === 0) {
      throw new ShapeError(`${name}: dy must be [N, C, OH, OW] (OH, OW ≥ 1) for the input ${formatShape(x)}, got ${formatShape(dy)}`);
    }
    return [x];
  },
  cpu([dy], [dx]) {
    const [N, C, H, W] = dx.shape;
    const [, , OH, OW] = dy!.shape;
    const rows = bins(H, OH);
    const cols = bins(W, OW);
    const acc = new Float64Array(dx.data.length);
    for (let plane = 0; plane < N * C; plane++) {
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          const count = (rows.end[oy] - rows.start[oy]) * (cols.end[ox] - cols.start[ox]);
          const share = dy!.data[(plane * OH + oy) * OW + ox] / count;
          for (let iy = rows.start[oy]; iy < rows.end[oy]; iy++) {
            for (let ix = cols.start[ox]; ix < cols.end[ox]; ix++) acc[(plane * H + iy) * W + ix] += share;
          }
        }
      }
    }
    dx.data.set(acc);
  },
  gpu(k, [dy], [dx]) {
    recordPoolGrad(k, 'adaptive', null, dy!, dx, null);
  },
};
