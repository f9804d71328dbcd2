// The gradient of average pooling: each output's dy, divided by the divisor the forward pass used
// (countIncludePad as there), is spread evenly over the input cells of its window.
import type { OpDef } from '../op.js';
import { axisTaps } from '../window.js';
import { recordPoolGrad } from './poolGradGpu.js';
import { checkPoolGrad, inputShapeAttr, type PoolGradWindowAttrs } from './poolGradShapes.js';

export interface AvgPool2dGradAttrs extends PoolGradWindowAttrs {
  readonly countIncludePad: boolean;
  /** The forward input's shape [N, C, H, W]; N is dy's whatever dim 0 says (graphs run at any batch size). */
  readonly inputShape: readonly [number, number, number, number];
}

const name = 'avgPool2dGrad';

export const avgPool2dGradOp: OpDef<AvgPool2dGradAttrs> = {
  name,
  // dy [N, C, OH, OW] -> dx [N, C, H, W]
  inferShapes([dy], attrs) {
    const x = inputShapeAttr(name, attrs.inputShape, dy);
    checkPoolGrad(name, x, dy, attrs);
    return [x];
  },
  cpu([dy], [dx], attrs) {
    const [N, C, H, W] = dx.shape;
    const { kernel, stride, dilation, pads, output } = checkPoolGrad(name, dx.shape, dy!.shape, attrs);
    const [OH, OW] = output;
    const rows = axisTaps(OH, stride[0], pads[0], dilation[0], kernel[0], H, pads[2]);
    const cols = axisTaps(OW, stride[1], pads[1], dilation[1], kernel[1], W, pads[3]);
    const acc = new Float64Array(dx.data.length);
    for (let plane = 0; plane < N * C; plane++) {
      for (let oy = 0; oy < OH; oy++) {
        const iy0 = oy * stride[0] - pads[0];
        for (let ox = 0; ox < OW; ox++) {
          const ix0 = ox * stride[1] - pads[1];
          const divisor = attrs.countIncludePad
            ? rows.padded[oy] * cols.padded[ox]
            : (rows.hi[oy] - rows.lo[oy]) * (cols.hi[ox] - cols.lo[ox]);
          const share = dy!.data[(plane * OH + oy) * OW + ox] / divisor;
          for (let ky = rows.lo[oy]; ky < rows.hi[oy]; ky++) {
            const xRow = plane * H * W + (iy0 + ky * dilation[0]) * W + ix0;
            for (let kx = cols.lo[ox]; kx < cols.hi[ox]; kx++) acc[xRow + kx * dilation[1]] += share;
          }
        }
      }
    }
    dx.data.set(acc);
  },
  gpu(k, [dy], [dx], attrs) {
    recordPoolGrad(k, 'avg', null, dy!, dx, checkPoolGrad(name, dx.shape, dy!.shape, attrs), attrs.countIncludePad);
  },
};
