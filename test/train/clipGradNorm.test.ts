// clipGradNorm (torch.nn.utils.clip_grad_norm_ as an optimizer option) on the CPU: the factor by
// hand, and the option's checks. PyTorch's steps with clipping: test/trainingRecurrent*.test.ts.
import { describe, expect, it } from 'vitest';
import * as nn from '../../src/index';
import { clipGradNorm } from '../../src/ops/optim/clipGradNorm';
import { cpu, expectClose } from '../helpers';

describe('clipGradNorm', () => {
  it('scales every gradient by maxNorm / (‖g‖ + 1e-6) when the total norm is larger, else leaves them', async () => {
    // ‖g‖ = sqrt(3² + 4² + 12²) = 13 over two tensors.
    const grads = [cpu.tensor([3, 4], [2]), cpu.tensor([12], [1, 1])];
    const clipped = clipGradNorm(cpu, grads, 6.5);
    const k = 6.5 / (13 + 1e-6);
    expectClose(await clipped[0].data(), [3 * k, 4 * k], 'first');
    expect(clipped[1].shape).toEqual([1, 1]);
    expectClose(await clipped[1].data(), [12 * k], 'second');
    const kept = clipGradNorm(cpu, grads, 20);
    expect(Array.from(await kept[0].data())).toEqual([3, 4]);
    expect(Array.from(await kept[1].data())).toEqual([12]);
  });

  it('is an option of sgd and adam; a bad value is a ShapeError', () => {
    expect(nn.optim.sgd({ lr: 0.1, clipGradNorm: 1 }).clipGradNorm).toBe(1);
    expect(nn.optim.adam({ clipGradNorm: 0.5 }).clipGradNorm).toBe(0.5);
    expect(nn.optim.adam().clipGradNorm).toBeNull();
    for (const bad of [0, -1, Infinity, NaN, '1']) {
      expect(() => nn.optim.sgd({ lr: 0.1, clipGradNorm: bad as number })).toThrow(/optim.sgd: clipGradNorm must be a positive number/);
      expect(() => nn.optim.adam({ clipGradNorm: bad as number })).toThrow(nn.ShapeError);
    }
  });
});
