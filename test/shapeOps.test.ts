import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import { concat } from '../src/ops/shape/concat';
import { permute } from '../src/ops/shape/permute';
import { dropout, flatten, reshape, viewOp } from '../src/ops/shape/reshape';
import type { Tensor } from '../src/tensor';
import { cpu, expectValues, Random, randomTensor } from './helpers';

const rng = new Random(3);
const sharesStorage = (y: Tensor, x: Tensor) => (y as any).storage === (x as any).storage;
const iota = (n: number) => Array.from({ length: n }, (_, i) => i);

// Every dim, random shapes up to rank 6: test/ops/cases.ts (src/ops/shape/shapeOracle.ts).
describe('concat (CPU)', () => {
  it('defaults to dim 0 and accepts one input or inputs empty along dim', async () => {
    const a = cpu.tensor([1, 2, 3, 4], [2, 2]);
    const b = cpu.tensor([5, 6], [1, 2]);
    expectValues(await concat(cpu, [a, b]).data(), [1, 2, 3, 4, 5, 6]);
    expectValues(await concat(cpu, [a]).data(), [1, 2, 3, 4]);
    const y = concat(cpu, [cpu.zeros([2, 0]), a, cpu.zeros([2, 0])], { dim: 1 });
    expect(y.shape).toEqual([2, 2]);
    expectValues(await y.data(), [1, 2, 3, 4]);
    expect(concat(cpu, [cpu.zeros([0, 3]), cpu.zeros([0, 2])], { dim: 1 }).shape).toEqual([0, 5]);
  });

  it('rejects bad inputs with a ShapeError naming the op', () => {
    const a = cpu.zeros([2, 3]);
    expect(() => concat(cpu, [])).toThrow(ShapeError);
    expect(() => concat(cpu, [])).toThrow(/^concat: needs at least one tensor/);
    expect(() => concat(cpu, [a, cpu.zeros([2, 4])])).toThrow(/^concat: input 1 has shape \[2, 4\], expected \[\*, 3\].*dim 0/);
    expect(() => concat(cpu, [a, a, cpu.zeros([2, 3, 1])], { dim: 1 })).toThrow(/^concat: input 2 .*dim 1/);
    expect(() => concat(cpu, [a, a], { dim: 2 })).toThrow(/^concat: dim 2 is out of range/);
    expect(() => concat(cpu, [cpu.zeros([]), cpu.zeros([])])).toThrow(/^concat: cannot join 0-D/);
    expect(() => concat(cpu, a as never)).toThrow(/^concat: expects an array/);
    expect(() => concat(cpu, [a, a], { dim: 0.5 })).toThrow(ShapeError);
  });
});

describe('reshape, flatten and dropout (CPU views)', () => {
  const x = cpu.tensor(iota(24), [2, 3, 4]);

  it('reshape infers one −1, keeps the order and shares storage', async () => {
    const y = reshape(cpu, x, [4, -1]);
    expect(y.shape).toEqual([4, 6]);
    expect(sharesStorage(y, x)).toBe(true);
    expectValues(await y.data(), iota(24));
    expect(reshape(cpu, x, [-1]).shape).toEqual([24]);
    expect(reshape(cpu, x, [2, 1, -1, 3]).shape).toEqual([2, 1, 4, 3]);
    expect(reshape(cpu, cpu.tensor([7], [1]), []).shape).toEqual([]);
  });

  it('reshape treats 0 as a literal 0', () => {
    expect(reshape(cpu, cpu.zeros([0, 3]), [3, 0]).shape).toEqual([3, 0]);
    expect(reshape(cpu, cpu.zeros([2, 0]), [0, 5, 2]).shape).toEqual([0, 5, 2]);
    expect(() => reshape(cpu, x, [0, -1])).toThrow(/^reshape: cannot reshape \[2, 3, 4\] \(24 elements\) into \[0, -1\]/);
    expect(() => reshape(cpu, cpu.zeros([0, 3]), [0, -1])).toThrow(/^reshape: the −1 .* is ambiguous/);
    expect(() => reshape(cpu, x, [0, 24])).toThrow(/^reshape: cannot reshape \[2, 3, 4\] \(24 elements\)/);
  });

  it('reshape rejects impossible shapes with a ShapeError', () => {
    expect(() => reshape(cpu, x, [5, 5])).toThrow(ShapeError);
    expect(() => reshape(cpu, x, [5, -1])).toThrow(/^reshape: .*not a multiple of 5/);
    expect(() => reshape(cpu, x, [-1, -1])).toThrow(/^reshape: .*more than one −1/);
    expect(() => reshape(cpu, x, [-2, -12])).toThrow(/^reshape: /);
    expect(() => reshape(cpu, x, [2.5, 4])).toThrow(/^reshape: /);
    expect(() => reshape(cpu, cpu.zeros([0, 2]), [-1, 0])).toThrow(/ambiguous/);
    expect(() => reshape(cpu, x, 24 as never)).toThrow(/^reshape: shape must be an array/);
  });

  it('flatten merges startDim..endDim (default 1..−1) and shares storage', async () => {
    const x4 = cpu.tensor(iota(120), [2, 3, 4, 5]);
    const y = flatten(cpu, x4);
    expect(y.shape).toEqual([2, 60]);
    expect(sharesStorage(y, x4)).toBe(true);
    expectValues(await y.data(), iota(120));
    expect(flatten(cpu, x4, { startDim: 0 }).shape).toEqual([120]);
    expect(flatten(cpu, x4, { startDim: 1, endDim: 2 }).shape).toEqual([2, 12, 5]);
    expect(flatten(cpu, x4, { startDim: -3, endDim: -2 }).shape).toEqual([2, 12, 5]);
    expect(flatten(cpu, x4, { startDim: 2, endDim: 2 }).shape).toEqual([2, 3, 4, 5]);
    expect(flatten(cpu, cpu.zeros([0, 3, 2])).shape).toEqual([0, 6]);
    expect(flatten(cpu, cpu.zeros([4, 0, 2])).shape).toEqual([4, 0]);
  });

  it('flatten of a 0-D tensor gives [1] (dims −1 or 0), as torch.flatten', async () => {
    const s = cpu.tensor([7], []);
    expect(flatten(cpu, s, { startDim: 0 }).shape).toEqual([1]);
    expect(flatten(cpu, s, { startDim: -1, endDim: 0 }).shape).toEqual([1]);
    expectValues(await flatten(cpu, s, { startDim: 0 }).data(), [7]);
    expect(() => flatten(cpu, s)).toThrow(/^flatten: dim 1 is out of range/);
  });

  it('flatten rejects bad dims with a ShapeError', () => {
    expect(() => flatten(cpu, x, { startDim: 2, endDim: 1 })).toThrow(/^flatten: startDim 2 comes after endDim 1/);
    expect(() => flatten(cpu, x, { startDim: 3 })).toThrow(ShapeError);
    expect(() => flatten(cpu, x, { endDim: -4 })).toThrow(/^flatten: /);
    expect(() => flatten(cpu, cpu.zeros([5]))).toThrow(/^flatten: /);
    expect(() => flatten(cpu, x, { startDim: 0.5 })).toThrow(/^flatten: startDim must be an integer/);
  });

  it('dropout is the identity at inference and shares storage', async () => {
    for (const opts of [undefined, { p: 0 }, { p: 0.3 }, { p: 1 }]) {
      const y = dropout(cpu, x, opts);
      expect(y.shape).toEqual([2, 3, 4]);
      expect(sharesStorage(y, x)).toBe(true);
      expectValues(await y.data(), iota(24));
    }
    for (const p of [-0.1, 1.5, NaN]) expect(() => dropout(cpu, x, { p })).toThrow(/^dropout: p must be in \[0, 1\]/);
    expect(() => dropout(cpu, x, { p: '0.5' as never })).toThrow(ShapeError);
  });

  it('the view op copies correctly when run as a plain kernel', () => {
    const y = { data: new Float32Array(6), shape: [3, 2] };
    viewOp.cpu([{ data: Float32Array.from(iota(6)), shape: [2, 3] }], [y], { kind: 'reshape', shape: [3, 2] });
    expectValues(y.data, iota(6));
  });
});

// Every order of ranks 3-5, zero-size and unit axes: test/ops/cases.ts.
describe('permute (CPU)', () => {
  const shape = [2, 3, 4];
  const x = randomTensor(rng, shape);

  it('accepts negative dims, 0-D and zero-size tensors', async () => {
    expectValues(await permute(cpu, x, [-1, 0, -2]).data(), Array.from(await permute(cpu, x, [2, 0, 1]).data()));
    expectValues(await permute(cpu, cpu.tensor([1, 2, 3, 4, 5, 6], [2, 3]), [1, 0]).data(), [1, 4, 2, 5, 3, 6]);
    expectValues(await permute(cpu, cpu.tensor([9], []), []).data(), [9]);
    expect(permute(cpu, cpu.zeros([2, 0, 3]), [2, 1, 0]).shape).toEqual([3, 0, 2]);
  });

  it('rejects a dims list that is not a permutation with a ShapeError', () => {
    expect(() => permute(cpu, x, [0, 1])).toThrow(ShapeError);
    expect(() => permute(cpu, x, [0, 1])).toThrow(/^permute: .*got 2 dims for rank 3/);
    expect(() => permute(cpu, x, [0, 1, 1])).toThrow(/^permute: .*axis 1 appears twice/);
    expect(() => permute(cpu, x, [0, 2, -1])).toThrow(/^permute: .*axis 2 appears twice/);
    expect(() => permute(cpu, x, [0, 1, 3])).toThrow(/^permute: .*3 is out of range/);
    expect(() => permute(cpu, x, [0, 1, 1.5])).toThrow(/^permute: /);
    expect(() => permute(cpu, x, 'abc' as never)).toThrow(/^permute: dims must be an array/);
  });
});
