import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import { add, mul } from '../src/ops/elementwise/binary';
import { cpu, expectValues } from './helpers';

// Broadcasting over many shape pairs: test/ops/cases.ts (src/ops/elementwise/elementwiseOracle.ts).
describe('add and mul (CPU)', () => {
  it('adds and multiplies a hand-worked example', async () => {
    const a = cpu.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expectValues(await add(cpu, a, cpu.tensor([10, 20, 30], [3])).data(), [11, 22, 33, 14, 25, 36]);
    expectValues(await mul(cpu, a, cpu.tensor([2, 3], [2, 1])).data(), [2, 4, 6, 12, 15, 18]);
  });

  it('returns empty tensors for zero-size shapes', async () => {
    expect(add(cpu, cpu.zeros([0, 3]), cpu.zeros([3])).shape).toEqual([0, 3]);
    expect(mul(cpu, cpu.zeros([2, 1]), cpu.zeros([2, 0])).shape).toEqual([2, 0]);
    expect((await add(cpu, cpu.zeros([]), cpu.zeros([4, 0, 2])).data()).length).toBe(0);
  });

  it('propagates NaN and infinities as IEEE arithmetic does', async () => {
    const a = cpu.tensor([NaN, Infinity, 1], [3]);
    expectValues(await add(cpu, a, cpu.tensor([1], [1])).data(), [NaN, Infinity, 2]);
    expectValues(await mul(cpu, a, cpu.tensor([0], [])).data(), [NaN, NaN, 0]);
  });

  it('rejects shapes that do not broadcast with a ShapeError naming the op', () => {
    expect(() => add(cpu, cpu.zeros([2, 3]), cpu.zeros([4]))).toThrow(ShapeError);
    expect(() => add(cpu, cpu.zeros([2, 3]), cpu.zeros([4]))).toThrow(/^add: .*\[2, 3\].*\[4\]/);
    expect(() => mul(cpu, cpu.zeros([3]), cpu.zeros([2, 2]))).toThrow(/^mul: /);
    expect(() => mul(cpu, cpu.zeros([0]), cpu.zeros([2]))).toThrow(ShapeError);
    expect(() => add(cpu, cpu.zeros([2]), null as never)).toThrow(/^add: needs two tensors/);
  });
});
