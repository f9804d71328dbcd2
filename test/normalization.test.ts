import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import { batchNorm2d, batchNorm2dOp, batchNormInputs } from '../src/ops/norm/batchNorm2d';
import { localResponseNorm, localResponseNormAttrs, localResponseNormOp } from '../src/ops/norm/localResponseNorm';
import { cpu, expectClose, expectValues } from './helpers';

// Ranks 2-5 with and without weight and bias: test/ops/cases.ts (src/ops/norm/normOracle.ts).
describe('batchNorm2d (CPU, inference)', () => {
  const C = 3;
  const runningMean = cpu.tensor([1, -0.5, 0.25], [C]);
  const runningVar = cpu.tensor([0.5, 2, 0.01], [C]);

  it('gives the hand-worked value and handles zero-size batches', async () => {
    // (3 − 1) / √(3 + 1) · 2 + 1 = 3
    const one = (v: number) => cpu.tensor([v], [1]);
    const y = batchNorm2d(cpu, cpu.tensor([3], [1, 1, 1, 1]), { weight: one(2), bias: one(1), runningMean: one(1), runningVar: one(3), eps: 1 });
    expectValues(await y.data(), [3]);
    expect(batchNorm2d(cpu, cpu.zeros([0, C, 4, 4]), { runningMean, runningVar }).shape).toEqual([0, C, 4, 4]);
    expect(batchNorm2d(cpu, cpu.zeros([2, 0]), { runningMean: cpu.zeros([0]), runningVar: cpu.zeros([0]) }).shape).toEqual([2, 0]);
  });

  it('takes its inputs in the exported order', () => {
    expect(batchNormInputs).toEqual({ x: 0, weight: 1, bias: 2, runningMean: 3, runningVar: 4 });
    const y = { data: new Float32Array(2), shape: [1, 2] };
    const p = (a: number, b: number) => ({ data: Float32Array.of(a, b), shape: [2] });
    // x, weight, bias, mean, var: (x − mean)/√(var + eps)·w + b with var + eps = 4.
    batchNorm2dOp.cpu([{ data: Float32Array.of(5, 5), shape: [1, 2] }, p(2, 3), p(1, -1), p(1, 3), p(3.5, 3.5)], [y], { eps: 0.5 });
    expectValues(y.data, [5, 2]);
  });

  it('rejects bad shapes and eps with a ShapeError naming the op', () => {
    const x = cpu.zeros([2, C, 4, 4]);
    const stats = { runningMean, runningVar };
    expect(() => batchNorm2d(cpu, x, { ...stats, weight: cpu.zeros([4]) })).toThrow(ShapeError);
    expect(() => batchNorm2d(cpu, x, { ...stats, weight: cpu.zeros([4]) })).toThrow(/^batchNorm2d: weight must have shape \[3\]/);
    expect(() => batchNorm2d(cpu, x, { ...stats, bias: cpu.zeros([1, C]) })).toThrow(/^batchNorm2d: bias /);
    expect(() => batchNorm2d(cpu, x, { runningMean, runningVar: cpu.zeros([2]) })).toThrow(/^batchNorm2d: runningVar /);
    expect(() => batchNorm2d(cpu, x, { runningVar } as never)).toThrow(/^batchNorm2d: runningMean .*got none/);
    expect(() => batchNorm2d(cpu, cpu.zeros([C]), stats)).toThrow(/^batchNorm2d: x must have rank ≥ 2/);
    for (const eps of [0, -1e-5, NaN, Infinity]) expect(() => batchNorm2d(cpu, x, { ...stats, eps })).toThrow(/^batchNorm2d: eps /);
    expect(() => batchNorm2d(cpu, x, undefined as never)).toThrow(/^batchNorm2d: options/);
  });
});

// Odd and even sizes at ranks 3-5, both windows: test/ops/cases.ts.
describe('localResponseNorm (CPU)', () => {
  it('matches a hand-worked example, odd size (PyTorch and ONNX agree)', async () => {
    // Channels 1, 2, 3; alpha/size = 1, beta = 1, k = 1: y_c = x_c / (1 + Σ window x²).
    const x = cpu.tensor([1, 2, 3], [1, 3, 1]);
    const y = localResponseNorm(cpu, x, { size: 3, alpha: 3, beta: 1, k: 1 });
    expectClose(await y.data(), [1 / (1 + 1 + 4), 2 / (1 + 1 + 4 + 9), 3 / (1 + 4 + 9)]);
  });

  it('uses PyTorch’s window for even sizes, and ONNX’s through its attrs', async () => {
    const x = cpu.tensor([1, 2, 3], [1, 3, 1]);
    // PyTorch, size 2: channels c−1 and c.
    const y = localResponseNorm(cpu, x, { size: 2, alpha: 2, beta: 1, k: 1 });
    expectClose(await y.data(), [1 / (1 + 1), 2 / (1 + 1 + 4), 3 / (1 + 4 + 9)]);
    // ONNX, size 2: channels c and c+1.
    const onnx = cpu.runOp(localResponseNormOp, [x], localResponseNormAttrs({ size: 2, alpha: 2, beta: 1, k: 1 }, 'onnx'))[0];
    expectClose(await onnx.data(), [1 / (1 + 1 + 4), 2 / (1 + 4 + 9), 3 / (1 + 9)]);
  });

  it('returns an empty tensor for zero-size input', () => {
    expect(localResponseNorm(cpu, cpu.zeros([0, 3, 2, 2]), { size: 3 }).shape).toEqual([0, 3, 2, 2]);
    expect(localResponseNorm(cpu, cpu.zeros([1, 0, 2]), { size: 3 }).shape).toEqual([1, 0, 2]);
  });

  it('rejects bad shapes and options with a ShapeError naming the op', () => {
    const x = cpu.zeros([1, 3, 2, 2]);
    expect(() => localResponseNorm(cpu, cpu.zeros([2, 3]), { size: 3 })).toThrow(ShapeError);
    expect(() => localResponseNorm(cpu, cpu.zeros([2, 3]), { size: 3 })).toThrow(/^localResponseNorm: x must have rank ≥ 3/);
    for (const size of [0, -1, 1.5, NaN]) expect(() => localResponseNorm(cpu, x, { size })).toThrow(/^localResponseNorm: size /);
    expect(() => localResponseNorm(cpu, x, {} as never)).toThrow(/^localResponseNorm: size /);
    expect(() => localResponseNorm(cpu, x, undefined as never)).toThrow(/^localResponseNorm: options/);
    expect(() => localResponseNorm(cpu, x, { size: 3, beta: NaN })).toThrow(/^localResponseNorm: beta /);
    expect(() => cpu.runOp(localResponseNormOp, [x], { size: 3, alpha: 1, beta: 1, k: 1, before: 3 })).toThrow(/^localResponseNorm: /);
  });
});
