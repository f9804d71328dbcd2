// Adaptive average pooling (PyTorch's AdaptiveAvgPool2d): the output size is given and each
// output cell averages its own bin of the input, start = floor(i·H/OH), end = ceil((i+1)·H/OH).
// Bins may overlap or differ in size by one. torchvision's AlexNet (6×6) and VGG (7×7) use it.
import { ShapeError } from '../../errors.js';
import { formatShape, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { adaptiveAvgPool2dGradOp } from './adaptiveAvgPool2dGrad.js';
import { dispatchPoolWindows } from './pool2d.js';
import { bins, positivePair, type Pair } from '../window.js';

/** A number (square output) or [OH, OW]. */
export type AdaptiveAvgPool2dSize = number | readonly [number, number];

export interface AdaptiveAvgPool2dAttrs {
  /** [OH, OW] */
  readonly outputSize: Pair;
}

export const adaptiveAvgPool2dOp: OpDef<AdaptiveAvgPool2dAttrs> = {
  name: 'adaptiveAvgPool2d',
  inferShapes([x], attrs) {
    const [OH, OW] = positivePair(attrs.outputSize, 'adaptiveAvgPool2d: output size');
    if (!x || x.length !== 4) throw new ShapeError(`adaptiveAvgPool2d: x must have rank 4 [N, C, H, W], got ${formatShape(x)}`);
    if (x[2] === 0 || x[3] === 0) {
      throw new ShapeError(`adaptiveAvgPool2d: x ${formatShape(x)} has no spatial positions to pool over`);
    }
    return [[x[0], x[1], OH, OW]];
  },
  cpu([x], [y], attrs) {
    // x [N, C, H, W] -> y [N, C, OH, OW]
    const [N, C, H, W] = x!.shape;
    const [OH, OW] = attrs.outputSize;
    const rows = bins(H, OH);
    const cols = bins(W, OW);
    const xd = x!.data;
    for (let plane = 0; plane < N * C; plane++) {
      const xPlane = plane * H * W;
      const yPlane = plane * OH * OW;
      for (let oy = 0; oy < OH; oy++) {
        for (let ox = 0; ox < OW; ox++) {
          let sum = 0;
          for (let iy = rows.start[oy]; iy < rows.end[oy]; iy++) {
            for (let ix = cols.start[ox]; ix < cols.end[ox]; ix++) sum += xd[xPlane + iy * W + ix];
          }
          const count = (rows.end[oy] - rows.start[oy]) * (cols.end[ox] - cols.start[ox]);
          y.data[yPlane + oy * OW + ox] = sum / count;
        }
      }
    }
  },
  gpu(k, [x], [y], { outputSize }) {
    // Mode 2 derives each bin from the input and output sizes; kernel, stride and pads are unused.
    dispatchPoolWindows(k, x!, y, {
      mode: 2,
      countIncludePad: false,
      input: [x!.shape[2], x!.shape[3]],
      output: outputSize,
      kernel: [1, 1],
      stride: [1, 1],
      dilation: [1, 1],
      pads: [0, 0, 0, 0],
    });
  },
  grad: (r, { inputs: [x], dys: [dy] }) => [r.runOp(adaptiveAvgPool2dGradOp, [dy!], { inputShape: x!.shape as [number, number, number, number] })[0]],
};


type Shaped = { readonly shape: Shape };

/** Average pooling to a fixed output size: x [N, C, H, W] -> [N, C, OH, OW]. */
export function adaptiveAvgPool2d<T extends Shaped>(r: OpRunner<T>, x: T, size: AdaptiveAvgPool2dSize): T {
  return r.runOp(adaptiveAvgPool2dOp, [x], { outputSize: positivePair(size, 'adaptiveAvgPool2d: output size') })[0];
}
