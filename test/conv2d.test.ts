import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import { conv2d, conv2dAttrs, conv2dOp, type Conv2dOptions } from '../src/ops/conv/conv2d';
import { samePads, type Pads } from '../src/ops/window';
import { sizeOf } from '../src/shape';
import type { Tensor } from '../src/tensor';
import { cpu, expectClose, expectValues, Random, randomTensor } from './helpers';
import { CROSS_CORRELATION, PADDED, STRIDED, VOLUME_BIASES, VOLUME_FILTERS, VOLUME_INPUT, VOLUME_OUTPUT } from './lecture';

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const outShape = (x: number[], w: number[], opts: Conv2dOptions = {}) => conv2dOp.inferShapes([x, w, null], conv2dAttrs(opts))[0];

const view = (t: Tensor) => cpu.view(t);

describe('lecture worked examples', () => {
  const x = cpu.tensor(range(9), [1, 1, 3, 3]);
  const k = cpu.tensor([0, 1, 2, 3], [1, 1, 2, 2]);

  it('3×3 input 0..8 with the 2×2 kernel [[0, 1], [2, 3]] gives 19 25 / 37 43', async () => {
    const y = conv2d(cpu, x, k);
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expectValues(await y.data(), CROSS_CORRELATION);
  });

  it('with padding 1', async () => {
    const y = conv2d(cpu, x, k, null, { padding: 1 });
    expect(y.shape).toEqual([1, 1, 4, 4]);
    expectValues(await y.data(), PADDED);
  });

  it('with stride 3 for height and 2 for width, padding 1', async () => {
    const y = conv2d(cpu, x, k, null, { stride: [3, 2], padding: 1 });
    expect(y.shape).toEqual([1, 1, 2, 2]);
    expectValues(await y.data(), STRIDED);
  });

  it('7×7×3 padded input, two 3×3×3 filters with biases 1 and 0, stride 2', async () => {
    const y = conv2d(cpu, cpu.tensor(VOLUME_INPUT, [1, 3, 7, 7]), cpu.tensor(VOLUME_FILTERS, [2, 3, 3, 3]), cpu.tensor(VOLUME_BIASES, [2]), { stride: 2 });
    expect(y.shape).toEqual([1, 2, 3, 3]);
    expectValues(await y.data(), VOLUME_OUTPUT);
  });

  it('output shapes: 32×32 with a 5×5 kernel gives 28×28, and seven such layers 4×4', () => {
    expect(outShape([1, 1, 32, 32], [1, 1, 5, 5])).toEqual([1, 1, 28, 28]);
    let shape = [1, 1, 32, 32];
    for (let layer = 0; layer < 7; layer++) shape = outShape(shape, [1, 1, 5, 5]) as number[];
    expect(shape).toEqual([1, 1, 4, 4]);
  });

  it('output shapes: padding p = k − 1 (odd k: p/2 each side; even k: ceil(p/2) on top, floor below) keeps n', () => {
    for (const n of [7, 28, 32]) {
      for (const kSize of [1, 2, 3, 4, 5, 6]) {
        const p = kSize - 1;
        const [top, bottom] = [Math.ceil(p / 2), Math.floor(p / 2)];
        const padding: Pads = [top, top, bottom, bottom];
        // (n_h − k_h + p_h + 1) × (n_w − k_w + p_w + 1) with p = k − 1 is n × n.
        expect(outShape([1, 1, n, n], [1, 1, kSize, kSize], { padding })).toEqual([1, 1, n, n]);
      }
    }
  });

  it('output shapes: floor((n − k + p + s) / s), floor((n + s − 1) / s) for p = k − 1, and n / s when s divides n', () => {
    for (const n of [5, 8, 13, 32]) {
      for (const kSize of [1, 2, 3, 5]) {
        for (const p of [0, 1, 2, 3, 4]) {
          for (const s of [1, 2, 3, 4]) {
            if (n - kSize + p < 0) continue;
            const padding: Pads = [Math.ceil(p / 2), 0, Math.floor(p / 2), 0];
            const [, , oh] = outShape([1, 1, n, 3], [1, 1, kSize, 1], { padding, stride: [s, 1] });
            expect(oh).toBe(Math.floor((n - kSize + p + s) / s));
            if (p === kSize - 1) expect(oh).toBe(Math.floor((n + s - 1) / s));
            if (p === kSize - 1 && n % s === 0) expect(oh).toBe(n / s);
          }
        }
      }
    }
  });
});

// Random shapes and options, fused activations: test/ops/cases.ts (against src/ops/conv/conv2dOracle.ts).
describe('conv2d (CPU)', () => {
  const rng = new Random(7);

  it("'same' keeps ceil(n / stride) and puts the extra pixel at the bottom/right; 'valid' is no padding", () => {
    const x = randomTensor(rng, [1, 2, 7, 8]);
    const w = randomTensor(rng, [3, 2, 2, 4]);
    const same = conv2d(cpu, x, w, null, { padding: 'same' });
    expect(same.shape).toEqual([1, 3, 7, 8]);
    // totals 1 (rows) and 3 (cols): [top, left, bottom, right] = [0, 1, 1, 2]
    expectClose(view(same), view(conv2d(cpu, x, w, null, { padding: [0, 1, 1, 2] })));
    expect(conv2d(cpu, x, w, null, { padding: 'same', stride: [2, 3] }).shape).toEqual([1, 3, 4, 3]);
    expect(conv2d(cpu, x, w, null, { padding: 'same', dilation: 2 }).shape).toEqual([1, 3, 7, 8]);
    expectValues(view(conv2d(cpu, x, w, null, { padding: 'valid' })), Array.from(view(conv2d(cpu, x, w, null))));
    // A pair is [h, w] on both sides.
    expectValues(view(conv2d(cpu, x, w, null, { padding: [1, 2] })), Array.from(view(conv2d(cpu, x, w, null, { padding: [1, 2, 1, 2] }))));
  });

  it('samePads: SAME_UPPER puts the extra pixel at the end, SAME_LOWER at the start, for any stride', () => {
    // in 7, k 4, stride 1: out 7, total 3
    expect(samePads([7, 7], [4, 4], [1, 1], [1, 1], 'upper')).toEqual([1, 1, 2, 2]);
    expect(samePads([7, 7], [4, 4], [1, 1], [1, 1], 'lower')).toEqual([2, 2, 1, 1]);
    // in 5, k 3, stride 2: out 3, total (3−1)·2 + 3 − 5 = 2; in 10, k 3, stride 4: out 3, total 1
    expect(samePads([5, 10], [3, 3], [2, 4], [1, 1], 'lower')).toEqual([1, 1, 1, 0]);
    // never negative: in 9, k 1, stride 4: out 3, (3−1)·4 + 1 − 9 < 0
    expect(samePads([9, 9], [1, 1], [4, 4], [1, 1])).toEqual([0, 0, 0, 0]);
    // dilation: k 3, d 2 spans 5
    expect(samePads([6, 6], [3, 3], [1, 1], [2, 2])).toEqual([2, 2, 2, 2]);
  });

  it('counts N·O·OH·OW·(C/groups)·kh·kw multiply-accumulates', () => {
    expect(conv2dOp.macs!([[2, 64, 56, 56], [64, 64, 3, 3], [64]], conv2dAttrs({ padding: 1 }))).toBe(2 * 64 * 56 * 56 * 64 * 9);
    expect(conv2dOp.macs!([[1, 32, 10, 10], [64, 8, 3, 3], null], conv2dAttrs({ groups: 4, stride: 2 }))).toBe(64 * 4 * 4 * 8 * 9);
  });

  it('an empty batch or no output channels gives an empty tensor', () => {
    const y = conv2d(cpu, cpu.zeros([0, 3, 5, 5]), randomTensor(rng, [2, 3, 3, 3]), randomTensor(rng, [2]));
    expect(y.shape).toEqual([0, 2, 3, 3]);
    expect(sizeOf(y.shape)).toBe(0);
    expect(conv2d(cpu, randomTensor(rng, [1, 3, 5, 5]), cpu.zeros([0, 3, 3, 3])).shape).toEqual([1, 0, 3, 3]);
  });

  describe('rejects bad shapes and options with a ShapeError', () => {
    const x = cpu.zeros([1, 4, 6, 6]);
    const w = cpu.zeros([2, 4, 3, 3]);
    const cases: [string, () => unknown][] = [
      ['stride 0', () => conv2d(cpu, x, w, null, { stride: 0 })],
      ['negative stride', () => conv2d(cpu, x, w, null, { stride: [1, -2] })],
      ['non-integer stride', () => conv2d(cpu, x, w, null, { stride: 1.5 })],
      ['stride of three numbers', () => conv2d(cpu, x, w, null, { stride: [1, 1, 1] as unknown as [number, number] })],
      ['dilation 0', () => conv2d(cpu, x, w, null, { dilation: 0 })],
      ['kernel larger than the padded input', () => conv2d(cpu, x, cpu.zeros([2, 4, 7, 3]))],
      ['dilated kernel larger than the padded input', () => conv2d(cpu, x, w, null, { dilation: 3, padding: 0 })],
      ['zero-size kernel', () => conv2d(cpu, x, cpu.zeros([2, 4, 0, 3]))],
      ['channel mismatch', () => conv2d(cpu, x, cpu.zeros([2, 3, 3, 3]))],
      ['groups not dividing the input channels', () => conv2d(cpu, x, cpu.zeros([3, 1, 3, 3]), null, { groups: 3 })],
      ['groups not dividing the output channels', () => conv2d(cpu, x, cpu.zeros([3, 2, 3, 3]), null, { groups: 2 })],
      ['groups 0', () => conv2d(cpu, x, w, null, { groups: 0 })],
      ['non-integer groups', () => conv2d(cpu, x, w, null, { groups: 1.5 })],
      ['x of rank 3', () => conv2d(cpu, cpu.zeros([4, 6, 6]), w)],
      ['w of rank 3', () => conv2d(cpu, x, cpu.zeros([2, 4, 3]))],
      ['bias of the wrong size', () => conv2d(cpu, x, w, cpu.zeros([3]))],
      ['negative padding', () => conv2d(cpu, x, w, null, { padding: -1 })],
      ['padding of three numbers', () => conv2d(cpu, x, w, null, { padding: [1, 1, 1] as unknown as [number, number] })],
      ['padding by an unknown name', () => conv2d(cpu, x, w, null, { padding: 'full' as 'same' })],
      ['fractional padding', () => conv2d(cpu, x, w, null, { padding: [0.5, 1] })],
      ['bad attributes from a translator', () => conv2dOp.inferShapes([[1, 4, 6, 6], [2, 4, 3, 3], null], { ...conv2dAttrs(), stride: [0, 1] })],
      ['bad padding attribute', () => conv2dOp.inferShapes([[1, 4, 6, 6], [2, 4, 3, 3], null], { ...conv2dAttrs(), padding: [1, 1] as unknown as Pads })],
    ];
    for (const [what, call] of cases) {
      it(what, () => {
        expect(call).toThrow(ShapeError);
        expect(call).toThrow(/conv2d/);
      });
    }
  });
});
