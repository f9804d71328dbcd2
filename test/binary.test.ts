import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import { add, mul } from '../src/ops/elementwise/binary';
import { cpu, expectValues, Random, randomTensor } from './helpers';

/** Plain-loop broadcasting: output index → each input's index, dim by dim. */
function broadcastRef(a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], out: number[], f: (x: number, y: number) => number): number[] {
  const size = out.reduce((p, d) => p * d, 1);
  const indexInto = (shape: number[], outIndex: number[]): number => {
    let flat = 0;
    const offset = out.length - shape.length;
    shape.forEach((d, k) => {
      flat = flat * d + (d === 1 ? 0 : outIndex[k + offset]);
    });
    return flat;
  };
  const result: number[] = [];
  for (let i = 0; i < size; i++) {
    const outIndex = new Array<number>(out.length);
    let rest = i;
    for (let k = out.length - 1; k >= 0; k--) {
      outIndex[k] = rest % out[k];
      rest = Math.floor(rest / out[k]);
    }
    result.push(f(a[indexInto(aShape, outIndex)], b[indexInto(bShape, outIndex)]));
  }
  return Array.from(Float32Array.from(result));
}

describe('add and mul (CPU)', () => {
  const rng = new Random(7);

  it('adds and multiplies a hand-worked example', async () => {
    const a = cpu.tensor([1, 2, 3, 4, 5, 6], [2, 3]);
    expectValues(await add(cpu, a, cpu.tensor([10, 20, 30], [3])).data(), [11, 22, 33, 14, 25, 36]);
    expectValues(await mul(cpu, a, cpu.tensor([2, 3], [2, 1])).data(), [2, 4, 6, 12, 15, 18]);
  });

  // [a shape, b shape, output shape]: equal, trailing vector, per-channel, scalar, both sides
  // stretched, and each of these with the operands swapped.
  const cases: [number[], number[], number[]][] = [
    [[2, 3, 4], [2, 3, 4], [2, 3, 4]],
    [[2, 3, 4], [4], [2, 3, 4]],
    [[4], [2, 3, 4], [2, 3, 4]],
    [[2, 1, 4], [3, 1], [2, 3, 4]],
    [[3, 1], [2, 1, 4], [2, 3, 4]],
    [[2, 3, 4, 5], [3, 1, 1], [2, 3, 4, 5]],
    [[1, 3, 1, 1], [2, 3, 4, 5], [2, 3, 4, 5]],
    [[2, 3, 4, 5], [1, 3, 4, 1], [2, 3, 4, 5]],
    [[2, 3, 4], [2, 1, 4], [2, 3, 4]],
    [[2, 3], [], [2, 3]],
    [[], [2, 3], [2, 3]],
    [[], [], []],
    [[1], [1, 1], [1, 1]],
    [[5, 1, 3], [1, 1, 1], [5, 1, 3]],
    [[1, 4], [4], [1, 4]],
  ];

  for (const [aShape, bShape, out] of cases) {
    it(`broadcasts [${aShape}] with [${bShape}] to [${out}]`, async () => {
      const a = randomTensor(rng, aShape);
      const b = randomTensor(rng, bShape);
      const [ad, bd] = [await a.data(), await b.data()];
      const sum = add(cpu, a, b);
      const product = mul(cpu, a, b);
      expect(sum.shape).toEqual(out);
      expect(product.shape).toEqual(out);
      expectValues(await sum.data(), broadcastRef(ad, aShape, bd, bShape, out, (x, y) => x + y));
      expectValues(await product.data(), broadcastRef(ad, aShape, bd, bShape, out, (x, y) => x * y));
    });
  }

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
