// The gradient of max pooling: each output's dy goes to the input cell its window took the maximum
// from. As in PyTorch, the first maximum in the window (row-major) wins a tie, a NaN wins over any
// number (the last NaN of the window), and a window of −∞ only gives its first cell; windows
// that lie wholly in the padding give nothing. Cells in several windows add up what they get.
import type { OpDef } from '../op.js';
import { axisTaps } from '../window.js';
import { recordPoolGrad } from './poolGradGpu.js';
import { checkPoolGrad, type PoolGradWindowAttrs } from './poolGradShapes.js';

const name = 'maxPool2dGrad';

export const maxPool2dGradOp: OpDef<PoolGradWindowAttrs> = {
  name,
  // x [N, C, H, W], dy [N, C, OH, OW] -> dx [N, C, H, W]
  inferShapes([x, dy], attrs) {
    checkPoolGrad(name, x, dy, attrs);
    return [[...x!]];
  },
  cpu([x, dy], [dx], attrs) {
    const [N, C, H, W] = x!.shape;
    const { kernel, stride, dilation, pads, output } = checkPoolGrad(name, x!.shape, dy!.shape, attrs);
    const [OH, OW] = output;
    const rows = axisTaps(OH, stride[0], pads[0], dilation[0], kernel[0], H, pads[2]);
    const cols = axisTaps(OW, stride[1], pads[1], dilation[1], kernel[1], W, pads[3]);
    const xd = x!.data;
    const acc = new Float64Array(dx.data.length);
    for (let plane = 0; plane < N * C; plane++) {
      for (let oy = 0; oy < OH; oy++) {
        const iy0 = oy * stride[0] - pads[0];
        for (let ox = 0; ox < OW; ox++) {
          const ix0 = ox * stride[1] - pads[1];
          if (rows.lo[oy] === rows.hi[oy] || cols.lo[ox] === cols.hi[ox]) continue;
          let best = plane * H * W + (iy0 + rows.lo[oy] * dilation[0]) * W + ix0 + cols.lo[ox] * dilation[1];
          let max = xd[best];
          for (let ky = rows.lo[oy]; ky < rows.hi[oy]; ky++) {
            const xRow = plane * H * W + (iy0 + ky * dilation[0]) * W + ix0;
            for (let kx = cols.lo[ox]; kx < cols.hi[ox]; kx++) {
              const v = xd[xRow + kx * dilation[1]];
              if (v > max || v !== v) {
                max = v;
                best = xRow + kx * dilation[1];
              }
            }
          }
          acc[best] += dy!.data[(plane * OH + oy) * OW + ox];
        }
      }
    }
    dx.data.set(acc);
  },
  gpu(k, [x, dy], [dx], attrs) {
    recordPoolGrad(k, 'max', x, dy!, dx, checkPoolGrad(name, x!.shape, dy!.shape, attrs));
  },
};
