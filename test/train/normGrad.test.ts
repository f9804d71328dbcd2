// BatchNorm in training mode (batchNorm2dTrain: outputs and running statistics) and the
// normalisation gradients (batchNorm2dTrainGrad, localResponseNormGrad) on the CPU, against
// float64 oracles and central finite differences, ranks 2–5.
import { describe, expect, it } from 'vitest';
import * as nn from '../../src/index';
import { batchNorm2dTrainOp } from '../../src/ops/norm/batchNorm2dTrain';
import { batchNorm2dTrainGradOp } from '../../src/ops/norm/batchNorm2dTrainGrad';
import { localResponseNormAttrs, type LocalResponseNormAttrs } from '../../src/ops/norm/localResponseNorm';
import { localResponseNormGradOp } from '../../src/ops/norm/localResponseNormGrad';
import { sizeOf } from '../../src/shape';
import { cpu, expectClose, Random } from '../helpers';
import { numericGrad, randomValues } from './gradCheck';

const f32 = (v: Float64Array) => Float32Array.from(v);

/** Float64 training-mode BatchNorm: y and the per-channel batch mean and biased variance. */
function batchNormOracle(shape: number[], eps: number) {
  const [N, C] = shape;
  const inner = sizeOf(shape.slice(2));
  const stats = (x: Float64Array) => {
    const mean = new Float64Array(C);
    const variance = new Float64Array(C);
    for (let c = 0; c < C; c++) {
      const values: number[] = [];
      for (let n = 0; n < N; n++) for (let j = 0; j < inner; j++) values.push(x[(n * C + c) * inner + j]);
      mean[c] = values.reduce((a, b) => a + b, 0) / values.length;
      variance[c] = values.reduce((a, b) => a + (b - mean[c]) ** 2, 0) / values.length;
    }
    return { mean, variance };
  };
  const forward = ([x, weight, bias]: Float64Array[]) => {
    const { mean, variance } = stats(x);
    return x.map((v, i) => {
      const c = Math.floor(i / inner) % C;
      return ((v - mean[c]) / Math.sqrt(variance[c] + eps)) * weight[c] + bias[c];
    });
  };
  return { stats, forward };
}

describe('batchNorm2dTrain (CPU)', () => {
  const shapes = [[6, 3], [2, 3, 5], [2, 2, 3, 4], [1, 3, 2, 3, 2], [3, 1, 1, 1]];

  it('normalises with the batch statistics and updates the running mean and unbiased variance', async () => {
    const rng = new Random(84);
    for (const shape of shapes) {
      const C = shape[1];
      const M = sizeOf(shape) / C;
      const x = randomValues(rng, shape, -2, 3);
      const [w, b, rm, rv] = [randomValues(rng, [C]), randomValues(rng, [C]), randomValues(rng, [C]), randomValues(rng, [C], 0.5, 2)];
      const eps = 1e-3;
      const momentum = 0.1;
      const inputs = [x, w, b, rm, rv].map((v, i) => cpu.tensor(f32(v), i === 0 ? shape : [C]));
      const [y, mean, invstd, runningMean, runningVar] = cpu.runOp(batchNorm2dTrainOp, inputs, { eps, momentum });
      const oracle = batchNormOracle(shape, eps);
      const { mean: m, variance } = oracle.stats(x);
      const what = `x [${shape}]`;
      expectClose(await y.data(), oracle.forward([x, w, b]), `y ${what}`);
      expectClose(await mean.data(), m, `mean ${what}`);
      expectClose(await invstd.data(), variance.map((v) => 1 / Math.sqrt(v + eps)), `invstd ${what}`);
      expectClose(await runningMean.data(), rm.map((r, c) => 0.9 * r + 0.1 * m[c]), `runningMean ${what}`);
      expectClose(await runningVar.data(), rv.map((r, c) => 0.9 * r + (0.1 * variance[c] * M) / (M - 1)), `runningVar ${what}`);
    }
  });

  it('the gradient (dx, dweight, dbias) matches finite differences, with and without affine parameters', async () => {
    const rng = new Random(85);
    for (const shape of shapes) {
      for (const affine of [true, false]) {
        const C = shape[1];
        const eps = 1e-5;
        const x = randomValues(rng, shape, -2, 3);
        const w = affine ? randomValues(rng, [C]) : new Float64Array(C).fill(1);
        const b = affine ? randomValues(rng, [C]) : new Float64Array(C);
        const dy = randomValues(rng, shape);
        const xT = cpu.tensor(f32(x), shape);
        const wT = affine ? cpu.tensor(f32(w), [C]) : null;
        const bT = affine ? cpu.tensor(f32(b), [C]) : null;
        const [, mean, invstd] = cpu.runOp(batchNorm2dTrainOp, [xT, wT, bT, cpu.zeros([C]), cpu.zeros([C])], { eps, momentum: 0.1 });
        const [dx, dweight, dbias] = cpu.runOp(batchNorm2dTrainGradOp, [cpu.tensor(f32(dy), shape), xT, wT, mean, invstd], {});
        const f = batchNormOracle(shape, eps).forward;
        const what = `x [${shape}] affine ${affine}`;
        expect(dx.shape).toEqual(shape);
        expectClose(await dx.data(), numericGrad(f, [x, w, b], dy, 0, 1e-4), `dx ${what}`);
        expectClose(await dweight.data(), numericGrad(f, [x, w, b], dy, 1, 1e-4), `dweight ${what}`);
        expectClose(await dbias.data(), numericGrad(f, [x, w, b], dy, 2, 1e-4), `dbias ${what}`);
      }
    }
  });

  it('bad input is a ShapeError naming the op', () => {
    const c = cpu.zeros([3]);
    expect(() => cpu.runOp(batchNorm2dTrainOp, [cpu.zeros([1, 3, 1, 1]), null, null, c, c], { eps: 1e-5, momentum: 0.1 })).toThrow(
      /batchNorm2dTrain: training needs more than one value per channel/,
    );
    expect(() => cpu.runOp(batchNorm2dTrainOp, [cpu.zeros([2, 3]), null, null, c, c], { eps: 1e-5, momentum: 2 })).toThrow(/momentum/);
    expect(() => cpu.runOp(batchNorm2dTrainGradOp, [cpu.zeros([2, 3]), cpu.zeros([2, 3]), null, c, cpu.zeros([2])], {})).toThrow(
      /batchNorm2dTrainGrad: invstd must have shape \[3\]/,
    );
    expect(() => cpu.runOp(batchNorm2dTrainGradOp, [cpu.zeros([2, 4]), cpu.zeros([2, 3]), null, c, c], {})).toThrow(nn.ShapeError);
  });
});

/** Float64 LRN with the window of the attrs. */
function lrnOracle(shape: number[], { size, alpha, beta, k, before }: LocalResponseNormAttrs) {
  const C = shape[1];
  const inner = sizeOf(shape.slice(2));
  return ([x]: Float64Array[]) =>
    x.map((v, i) => {
      const j = i % inner;
      const c = Math.floor(i / inner) % C;
      const n = Math.floor(i / (inner * C));
      let sumSq = 0;
      for (let w = c - before; w <= c + size - 1 - before; w++) if (w >= 0 && w < C) sumSq += x[(n * C + w) * inner + j] ** 2;
      return v / Math.pow(k + (alpha / size) * sumSq, beta);
    });
}

describe('localResponseNormGrad (CPU) against finite differences', () => {
  it('odd and even windows (PyTorch and ONNX placement), ranks 3–5', async () => {
    const rng = new Random(86);
    const cases: [number[], Parameters<typeof localResponseNormAttrs>[0], 'pytorch' | 'onnx'][] = [
      [[2, 5, 3], { size: 3 }, 'pytorch'],
      [[1, 6, 2, 3], { size: 4, alpha: 0.5, beta: 0.6, k: 2 }, 'pytorch'],
      [[1, 6, 2, 3], { size: 4, alpha: 0.5, beta: 0.6, k: 2 }, 'onnx'],
      [[2, 3, 2, 2, 2], { size: 5, alpha: 1, beta: 0.75, k: 1 }, 'pytorch'],
      [[1, 2, 3, 3], { size: 1, alpha: 2, beta: 1.5, k: 0.5 }, 'pytorch'],
    ];
    for (const [shape, opts, placement] of cases) {
      const attrs = localResponseNormAttrs(opts, placement);
      const x = randomValues(rng, shape, -2, 2);
      const dy = randomValues(rng, shape);
      const [dx] = cpu.runOp(localResponseNormGradOp, [cpu.tensor(f32(x), shape), cpu.tensor(f32(dy), shape)], attrs);
      expectClose(await dx.data(), numericGrad(lrnOracle(shape, attrs), [x], dy, 0, 1e-4), `x [${shape}] ${JSON.stringify(attrs)}`);
    }
  });

  it('dy of another shape is a ShapeError', () => {
    expect(() => cpu.runOp(localResponseNormGradOp, [cpu.zeros([1, 3, 2]), cpu.zeros([1, 3, 3])], localResponseNormAttrs({ size: 3 }))).toThrow(
      /localResponseNormGrad: dy must have x's shape/,
    );
  });
});
