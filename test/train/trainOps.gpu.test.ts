// The training ops of reverse mode, the losses, the optimizer updates and dropout's mask on
// WebGPU against their CPU references, on random shapes.
import { afterAll, beforeAll, describe, it } from 'vitest';
import type { WebGpuBackend } from '../../src/backends/webgpu/webgpuBackend';
import type { BackendBase } from '../../src/backends/backendBase';
import { activationGradOp } from '../../src/ops/elementwise/activationGrad';
import type { Activation } from '../../src/ops/elementwise/activation';
import { dropoutMaskOp } from '../../src/ops/elementwise/dropoutMask';
import { crossEntropyOp } from '../../src/ops/loss/crossEntropy';
import { crossEntropyGradOp } from '../../src/ops/loss/crossEntropyGrad';
import { mseOp } from '../../src/ops/loss/mse';
import { mseGradOp } from '../../src/ops/loss/mseGrad';
import { softmaxGradOp } from '../../src/ops/norm/softmaxGrad';
import type { OpDef } from '../../src/ops/op';
import { adamUpdateOp } from '../../src/ops/optim/adamUpdate';
import { sgdUpdateOp } from '../../src/ops/optim/sgdUpdate';
import { reduceSumOp } from '../../src/ops/reduce/reduceSum';
import { sliceOp } from '../../src/ops/shape/slice';
import { sizeOf } from '../../src/shape';
import { createGpuBackend } from '../gpu';
import { cpu, expectClose, Random } from '../helpers';

describe('training ops (WebGPU vs CPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());
  const rng = new Random(5);

  /** Runs `op` on both backends with the same inputs (null = absent) and compares every output. */
  async function same<A>(what: string, op: OpDef<A>, inputs: (Float32Array | null)[], shapes: number[][], attrs: A) {
    const run = async (b: BackendBase) => {
      const ts = inputs.map((d, i) => (d ? b.tensor(d, shapes[i]) : null));
      return Promise.all(b.runOp(op, ts, attrs).map((t) => t.data()));
    };
    const [want, got] = [await run(cpu), await run(gpu)];
    want.forEach((w, i) => expectClose(got[i], w, `${what}: output ${i}`));
  }
  const random = (shape: number[], lo = -1, hi = 1) => rng.fill(sizeOf(shape), lo, hi);

  it('activationGrad, every kind', async () => {
    const shape = [3, 70, 5];
    const kinds: Activation[] = [{ kind: 'relu' }, { kind: 'sigmoid' }, { kind: 'tanh' }, { kind: 'leakyRelu', negativeSlope: 0.2 }, { kind: 'clip', min: -0.3, max: 0.6 }];
    for (const a of kinds) await same(a.kind, activationGradOp, [random(shape, -2, 2), random(shape, 0, 1), random(shape)], [shape, shape, shape], a);
  });

  it('softmaxGrad and logSoftmax gradient along each axis', async () => {
    const shape = [4, 6, 300];
    for (const log of [false, true]) for (const dim of [0, 1, 2]) await same(`softmaxGrad ${log} ${dim}`, softmaxGradOp, [random(shape, 0, 1), random(shape)], [shape, shape], { dim, log });
  });

  it('reduceSum over every pattern of axes, and slice', async () => {
    const shape = [5, 7, 3, 66];
    for (const [axes, drop] of [[[0], 1], [[0, 2, 3], 1], [[1, 3], 0], [[0, 1, 2, 3], 4], [[2], 0]] as [number[], number][]) {
      await same(`reduceSum ${axes}`, reduceSumOp, [random(shape)], [shape], { axes, dropLeading: drop });
    }
    for (const [dim, start, length] of [[0, 1, 3], [1, 2, 4], [3, 10, 50], [-1, 0, 66]]) await same(`slice ${dim}`, sliceOp, [random(shape)], [shape], { dim, start, length });
  });

  it('crossEntropy and mse with their gradients', async () => {
    for (const [rows, classes] of [[1, 10], [300, 7], [64, 1000]]) {
      const logits = random([rows, classes], -5, 5);
      const target = Float32Array.from({ length: rows }, () => rng.int(0, classes - 1));
      await same(`crossEntropy ${rows}×${classes}`, crossEntropyOp, [logits, target], [[rows, classes], [rows]], {});
      await same(`crossEntropyGrad ${rows}×${classes}`, crossEntropyGradOp, [logits, target, Float32Array.of(0.7)], [[rows, classes], [rows], []], {});
    }
    for (const shape of [[3], [70, 41]]) {
      await same('mse', mseOp, [random(shape), random(shape)], [shape, shape], {});
      await same('mseGrad', mseGradOp, [random(shape), random(shape), Float32Array.of(1.3)], [shape, shape, []], {});
    }
  });

  it('SGD (plain, momentum, Nesterov; first and later steps) and Adam updates', async () => {
    const shape = [33, 17];
    const [p, g, buf] = [random(shape), random(shape), random(shape)];
    for (const step of [1, 5]) {
      await same('sgd', sgdUpdateOp, [p, g, null, Float32Array.of(step, 0.1)], [shape, shape, shape, [2]], { momentum: 0, dampening: 0, weightDecay: 0.01, nesterov: false });
      for (const nesterov of [false, true]) {
        await same('sgd momentum', sgdUpdateOp, [p, g, buf, Float32Array.of(step, 0.1)], [shape, shape, shape, [2]], { momentum: 0.9, dampening: nesterov ? 0 : 0.1, weightDecay: 0.01, nesterov });
      }
      await same('adam', adamUpdateOp, [p, g, random(shape), random(shape, 0, 1), Float32Array.of(step, 0.01)], [shape, shape, shape, shape, [2]], { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 });
    }
  });

  it("dropout's mask is the same on both backends", async () => {
    const shape = [7, 1000];
    for (const step of [1, 2, 1000]) await same(`dropoutMask step ${step}`, dropoutMaskOp, [random(shape), Float32Array.of(step, 0)], [shape, [2]], { p: 0.3, seed: 12345 });
  });
});
