// The gradient of batchNorm2dTrain (batch statistics). With x̂ = (x − mean)·invstd over the M =
// N·positions values of a channel:
//   dbias = Σ dy,   dweight = Σ dy·x̂,   dx = weight·invstd·(dy − dbias/M − x̂·dweight/M)
// (the mean and variance depend on x, hence the two subtracted terms). dweight and dbias are
// produced even when the layer has no affine parameters (weight null means 1).
import { ShapeError } from '../../errors.js';
import { formatShape, sizeOf } from '../../shape.js';
import type { OpDef } from '../op.js';

/** The inputs' positions. */
export const batchNorm2dTrainGradInputs = { dy: 0, x: 1, weight: 2, mean: 3, invstd: 4 } as const;

const name = 'batchNorm2dTrainGrad';

export const batchNorm2dTrainGradOp: OpDef<Record<string, never>> = {
  name,
  // dy, x [N, C, ...], weight [C] | null, mean, invstd [C] (batchNorm2dTrain's outputs)
  //   -> dx [N, C, ...], dweight [C], dbias [C]
  inferShapes([dy, x, weight, mean, invstd]) {
    if (!x || x.length < 2) throw new ShapeError(`${name}: x must have rank ≥ 2 ([N, C, ...]), got ${formatShape(x)}`);
    if (!dy || dy.length !== x.length || dy.some((d, i) => d !== x[i])) {
      throw new ShapeError(`${name}: dy must have x's shape ${formatShape(x)}, got ${formatShape(dy)}`);
    }
    const C = x[1];
    for (const [what, p, optional] of [['weight', weight, true], ['mean', mean, false], ['invstd', invstd, false]] as const) {
      if (!p && optional) continue;
      if (!p || p.length !== 1 || p[0] !== C) throw new ShapeError(`${name}: ${what} must have shape [${C}] for x ${formatShape(x)}, got ${formatShape(p)}`);
    }
    return [x, [C], [C]];
  },
  cpu([dy, x, weight, mean, invstd], [dx, dweight, dbias]) {
    const [N, C] = x!.shape;
    const inner = sizeOf(x!.shape.slice(2));
    const count = N * inner;
    for (let c = 0; c < C; c++) {
      const m = mean!.data[c];
      const inv = invstd!.data[c];
      let sumDy = 0;
      let sumDyXhat = 0;
      for (let n = 0; n < N; n++) {
        for (let i = (n * C + c) * inner, end = i + inner; i < end; i++) {
          sumDy += dy!.data[i];
          sumDyXhat += dy!.data[i] * (x!.data[i] - m) * inv;
        }
      }
      const scale = (weight ? weight.data[c] : 1) * inv;
      for (let n = 0; n < N; n++) {
        for (let i = (n * C + c) * inner, end = i + inner; i < end; i++) {
          const xhat = (x!.data[i] - m) * inv;
          dx.data[i] = scale * (dy!.data[i] - sumDy / count - (xhat * sumDyXhat) / count);
        }
      }
      dweight.data[c] = sumDyXhat;
      dbias.data[c] = sumDy;
    }
  },
};
