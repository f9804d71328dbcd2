import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import { cpu, expectValues } from './helpers';

describe('activations (CPU)', () => {
  const x = cpu.tensor([-2, -0.5, 0, 0.5, 2], [5]);

  it('relu, leakyRelu, clip', async () => {
    expectValues(await cpu.ops.relu(x).data(), [0, 0, 0, 0.5, 2]);
    expectValues(await cpu.ops.leakyRelu(x, { negativeSlope: 0.5 }).data(), [-1, -0.25, 0, 0.5, 2]);
    expectValues(await cpu.ops.clip(x, { min: -1, max: 1 }).data(), [-1, -0.5, 0, 0.5, 1]);
    // ONNX: min greater than max gives max everywhere.
    expectValues(await cpu.ops.clip(x, { min: 2, max: 1 }).data(), [1, 1, 1, 1, 1]);
  });

  it('sigmoid and tanh', async () => {
    const s = await cpu.ops.sigmoid(x).data();
    expect(s[2]).toBe(0.5);
    expect(s[4]).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    const t = await cpu.ops.tanh(x).data();
    expect(t[0]).toBeCloseTo(Math.tanh(-2), 6);
  });

  it('rejects a bad option with a ShapeError', () => {
    expect(() => cpu.ops.leakyRelu(x, { negativeSlope: NaN })).toThrow(ShapeError);
  });
});
