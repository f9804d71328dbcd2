// The gradient of conv2d's bias: db[o] = the sum of dy[n, o, ...] over the images and pixels.
// Any rank ≥ 2 ([N, O], [N, O, L], [N, O, H, W], …), so linear's bias can use it too. On WebGPU
// it is the channel sum of BatchNorm's gradient kernel (batchNorm2dTrainGrad.ts).
import { ShapeError } from '../../errors.js';
import { formatShape, sizeOf } from '../../shape.js';
import { recordChannelSums } from '../norm/batchNorm2dTrainGrad.js';
import type { OpDef } from '../op.js';

export const conv2dGradBiasOp: OpDef<Record<string, never>> = {
  name: 'conv2dGradBias',
  // dy [N, O, ...] -> db [O]
  inferShapes([dy]) {
    if (!dy || dy.length < 2) throw new ShapeError(`conv2dGradBias: dy must have rank ≥ 2 ([N, O, ...]), got ${formatShape(dy)}`);
    return [[dy[1]]];
  },
  cpu([dy], [db]) {
    const [N, O] = dy!.shape;
    const inner = sizeOf(dy!.shape.slice(2));
    for (let o = 0; o < O; o++) {
      let sum = 0;
      for (let n = 0; n < N; n++) {
        const start = (n * O + o) * inner;
        for (let i = start; i < start + inner; i++) sum += dy!.data[i];
      }
      db.data[o] = sum;
    }
  },
  gpu(k, [dy], [db]) {
    recordChannelSums(k, dy!, db);
  },
};
