// Global average and max pooling: one value per (sample, channel) over all spatial positions,
// for any number of spatial dims (x [N, C, ...spatial] -> [N, C, 1, ...]). NiN, GoogLeNet and
// ResNet end with the average one.
import { ShapeError } from '../../errors.js';
import { formatShape, sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { reshape } from '../shape/reshape.js';
import { adaptiveAvgPool2dGradOp } from './adaptiveAvgPool2dGrad.js';
import { maxPool2dGradOp } from './maxPool2dGrad.js';
import { dispatchPlaneReduction, dispatchPoolWindows, wholePlaneWindow } from './pool2d.js';

export interface GlobalPool2dAttrs {
  readonly mode: 'max' | 'avg';
}

/**
 * How global pooling is computed, by plane size (bench/lab/pool; ms on an H200 through Dawn/Vulkan,
 * and on SwiftShader, where a workgroup with barriers costs ~0.2–5 ms however little it does):
 *   [1, 512, 14, 14]   invocation per plane 0.025, workgroup of 64 0.0065 | SwiftShader 2.7 vs 180
 *   [1, 256, 28, 28]   0.082 vs 0.0085                                    | 3.5 vs 160
 *   [1, 64, 56, 56]    0.34 vs 0.016 (256 wide: 0.0089)                   | 3.5 vs 31
 *   [8, 64, 112, 112]  1.74 vs 0.045 (256 wide: 0.016)                    | 390 vs 910 (256 wide: 1750)
 * Planes below REDUCTION_MIN_AREA (the 7×7 and 6×6 ones of ResNet, GoogLeNet and NiN) take an
 * invocation each, the pooling kernel with the whole plane as its window: on the GPU that costs
 * microseconds (0.015 ms for [1, 2048, 7, 7]) and on SwiftShader it is the fast way. Larger planes
 * take a workgroup each, 256 wide from WIDE_REDUCTION_MIN_AREA on (faster on the GPU, ~10× slower
 * per workgroup on SwiftShader).
 */
const REDUCTION_MIN_AREA = 256;
const WIDE_REDUCTION_MIN_AREA = 4096;

const opName = (mode: 'max' | 'avg') => (mode === 'max' ? 'globalMaxPool2d' : 'globalAvgPool2d');

export const globalPool2dOp: OpDef<GlobalPool2dAttrs> = {
  name: 'globalPool2d',
  inferShapes([x], attrs) {
    if (attrs.mode !== 'max' && attrs.mode !== 'avg') {
      throw new ShapeError(`globalPool2d: mode must be 'max' or 'avg', got ${String(attrs.mode)}`);
    }
    const name = opName(attrs.mode);
    if (!x || x.length < 3) throw new ShapeError(`${name}: x must have rank 3 or more [N, C, ...spatial], got ${formatShape(x)}`);
    if (x.slice(2).some((d) => d === 0)) {
      throw new ShapeError(`${name}: x ${formatShape(x)} has no spatial positions to pool over`);
    }
    return [[x[0], x[1], ...x.slice(2).map(() => 1)]];
  },
  cpu([x], [y], attrs) {
    // x [N, C, ...spatial] -> y [N, C, 1, ...]
    const [N, C] = x!.shape;
    const area = sizeOf(x!.shape.slice(2));
    const xd = x!.data;
    for (let plane = 0; plane < N * C; plane++) {
      const start = plane * area;
      if (attrs.mode === 'avg') {
        let sum = 0;
        for (let i = start; i < start + area; i++) sum += xd[i];
        y.data[plane] = sum / area;
      } else {
        let max = -Infinity;
        for (let i = start; i < start + area; i++) if (xd[i] > max || xd[i] !== xd[i]) max = xd[i]; // NaN wins
        y.data[plane] = max;
      }
    }
  },
  gpu(k, [x], [y], { mode }) {
    const [N, C] = x!.shape;
    const area = sizeOf(x!.shape.slice(2));
    if (area >= REDUCTION_MIN_AREA) {
      dispatchPlaneReduction(k, x!, y, mode, N * C, area, area >= WIDE_REDUCTION_MIN_AREA ? 256 : 64);
      return;
    }
    dispatchPoolWindows(k, x!, y, wholePlaneWindow(mode, area));
  },
  // On x viewed as [N, C, 1, S] (S the spatial positions), global pooling is a 1 × S window.
  grad(r, { inputs: [x], dys: [dy], attrs }) {
    const [N, C] = x!.shape;
    const S = sizeOf(x!.shape.slice(2));
    const plane: [number, number, number, number] = [N, C, 1, S];
    const dy4 = reshape(r, dy!, [N, C, 1, 1]);
    const dx =
      attrs.mode === 'avg'
        ? r.runOp(adaptiveAvgPool2dGradOp, [dy4], { inputShape: plane })[0]
        : r.runOp(maxPool2dGradOp, [reshape(r, x!, plane), dy4], { kernel: [1, S], stride: [1, S], padding: [0, 0, 0, 0], dilation: [1, 1], ceilMode: false })[0];
    return [reshape(r, dx, x!.shape)];
  },
};

type Shaped = { readonly shape: Shape };

/** The mean over all spatial positions: x [N, C, ...spatial] -> [N, C, 1, ...]. */
export function globalAvgPool2d<T extends Shaped>(r: OpRunner<T>, x: T): T {
  return r.runOp(globalPool2dOp, [x], { mode: 'avg' })[0];
}

/** The maximum over all spatial positions: x [N, C, ...spatial] -> [N, C, 1, ...]. */
export function globalMaxPool2d<T extends Shaped>(r: OpRunner<T>, x: T): T {
  return r.runOp(globalPool2dOp, [x], { mode: 'max' })[0];
}
