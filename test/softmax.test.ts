import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import { logSoftmax, softmax } from '../src/ops/norm/softmax';
import { cpu, expectClose, Random, randomTensor } from './helpers';

// Every dim of ranks 0-5, long lines, large values: test/ops/cases.ts (src/ops/norm/normOracle.ts).
describe('softmax and logSoftmax (CPU)', () => {
  const rng = new Random(11);
  const shape = [3, 4, 5];
  const x = randomTensor(rng, shape, cpu, -3, 3);

  it('defaults to the last dim, and its rows sum to 1', async () => {
    const y = await softmax(cpu, x).data();
    expectClose(y, await softmax(cpu, x, { dim: 2 }).data());
    for (let row = 0; row < 12; row++) {
      let sum = 0;
      for (let k = 0; k < 5; k++) sum += y[row * 5 + k];
      expect(sum).toBeCloseTo(1, 6);
    }
    expectClose(await logSoftmax(cpu, x).data(), Array.from(y, Math.log));
  });

  it('gives the hand-worked values for [1, 2, 3]', async () => {
    const v = cpu.tensor([1, 2, 3], [3]);
    expectClose(await softmax(cpu, v).data(), [0.09003057, 0.24472847, 0.66524096]);
    expectClose(await logSoftmax(cpu, v).data(), [-2.40760596, -1.40760596, -0.40760596]);
  });

  it('is stable for large inputs (ONNX softmax_large_number)', async () => {
    const big = cpu.tensor([10000, 10001, 10002, 10003, 1, 2, 3, 4], [2, 4]);
    const p = [0.0320586, 0.08714432, 0.23688282, 0.64391426];
    const logP = p.map(Math.log);
    expectClose(await softmax(cpu, big).data(), [...p, ...p]);
    expectClose(await logSoftmax(cpu, big).data(), [...logP, ...logP]);
    const tiny = await logSoftmax(cpu, cpu.tensor([0, -1e4], [2])).data();
    expect(tiny[0]).toBe(0);
    expect(tiny[1]).toBe(-1e4); // not −∞: no log(0) from an underflowed exp
  });

  it('handles a 0-D tensor and zero-size tensors', async () => {
    expect(Array.from(await softmax(cpu, cpu.tensor([5], [])).data())).toEqual([1]);
    expect(Array.from(await logSoftmax(cpu, cpu.tensor([5], []), { dim: 0 }).data())).toEqual([0]);
    expect(softmax(cpu, cpu.zeros([0, 3])).shape).toEqual([0, 3]);
    expect(softmax(cpu, cpu.zeros([2, 0]), { dim: 1 }).shape).toEqual([2, 0]);
    expect((await logSoftmax(cpu, cpu.zeros([2, 0, 3]), { dim: 1 }).data()).length).toBe(0);
  });

  it('rejects a bad dim with a ShapeError naming the op', () => {
    expect(() => softmax(cpu, x, { dim: 3 })).toThrow(ShapeError);
    expect(() => softmax(cpu, x, { dim: 3 })).toThrow(/^softmax: /);
    expect(() => logSoftmax(cpu, x, { dim: -4 })).toThrow(/^logSoftmax: /);
    expect(() => softmax(cpu, x, { dim: 1.5 })).toThrow(/^softmax: dim must be an integer/);
    expect(() => softmax(cpu, cpu.tensor([1], []), { dim: 1 })).toThrow(ShapeError);
  });
});
