// BatchNorm (inference), local response normalisation and softmax / logSoftmax on WebGPU against
// the CPU reference.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { localResponseNormAttrs, localResponseNormOp, type LocalResponseNormOptions } from '../src/ops/norm/localResponseNorm';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random, twinTensors } from './helpers';

describe('normalisation and softmax (WebGPU vs CPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  /** The same data on both backends. */
  const pair = (rng: Random, shape: number[], lo = -1, hi = 1) => twinTensors(rng, shape, gpu, lo, hi);

  describe('batchNorm2d', () => {
    it('ranks 2 to 5, with and without weight and bias', async () => {
      const rng = new Random(31);
      for (const shape of [[3, 5], [2, 4, 9], [2, 3, 7, 5], [1, 6, 2, 3, 4], [2, 64, 14, 14]]) {
        const C = shape[1];
        const [xc, xg] = pair(rng, shape, -3, 3);
        const [wc, wg] = pair(rng, [C], -2, 2);
        const [bc, bg] = pair(rng, [C]);
        const [mc, mg] = pair(rng, [C]);
        const [vc, vg] = pair(rng, [C], 0, 3);
        for (const [affine, eps] of [[0, 1e-5], [1, 1e-3], [2, 0.1], [3, 1e-5]] as const) {
          // affine: 0 none, 1 weight only, 2 bias only, 3 both
          const hasWeight = affine === 1 || affine === 3;
          const hasBias = affine >= 2;
          const ref = cpu.ops.batchNorm2d(xc, { runningMean: mc, runningVar: vc, weight: hasWeight ? wc : null, bias: hasBias ? bc : null, eps });
          const got = gpu.ops.batchNorm2d(xg, { runningMean: mg, runningVar: vg, weight: hasWeight ? wg : null, bias: hasBias ? bg : null, eps });
          expect(got.shape).toEqual(shape);
          expectClose(await got.data(), await ref.data(), `[${shape}] weight ${hasWeight} bias ${hasBias} eps ${eps}`);
        }
      }
    });

    it('an empty batch gives an empty tensor', async () => {
      const stats = gpu.tensor([0, 0, 0], [3]);
      const y = gpu.ops.batchNorm2d(gpu.tensor(new Float32Array(0), [0, 3, 4, 4]), { runningMean: stats, runningVar: stats });
      expect(await y.data()).toHaveLength(0);
    });
  });

  describe('localResponseNorm', () => {
    it('odd and even sizes, PyTorch and ONNX windows, ranks 3 to 5', async () => {
      const rng = new Random(32);
      const cases: [number[], LocalResponseNormOptions][] = [
        [[2, 7, 5, 6], { size: 5, alpha: 1e-4, beta: 0.75, k: 2 }], // AlexNet's
        [[1, 6, 9], { size: 2, alpha: 0.5, beta: 0.5, k: 1 }],
        [[2, 5, 3, 4], { size: 4, alpha: 0.2, beta: 1, k: 1.5 }],
        [[1, 3, 2, 2, 3], { size: 3, alpha: 1, beta: 0.75 }],
        [[1, 4, 4, 4], { size: 9, alpha: 0.3 }], // window wider than the channels
        [[2, 8, 3, 3], { size: 1, alpha: 2, beta: 0.6, k: 1 }],
      ];
      for (const [shape, opts] of cases) {
        const [xc, xg] = pair(rng, shape, -3, 3);
        for (const window of ['pytorch', 'onnx'] as const) {
          const attrs = localResponseNormAttrs(opts, window);
          const ref = cpu.runOp(localResponseNormOp, [xc], attrs)[0];
          const got = gpu.runOp(localResponseNormOp, [xg], attrs)[0];
          expectClose(await got.data(), await ref.data(), `[${shape}] ${JSON.stringify(opts)} ${window}`);
        }
        expectClose(await gpu.ops.localResponseNorm(xg, opts).data(), await cpu.ops.localResponseNorm(xc, opts).data(), `api [${shape}]`);
      }
    });
  });

  describe('softmax and logSoftmax', () => {
    it('every dim, negative dims included', async () => {
      const rng = new Random(33);
      for (const shape of [[7], [3, 5], [2, 3, 4], [2, 3, 1, 5], [4, 1, 3, 2, 3]]) {
        const [xc, xg] = pair(rng, shape, -4, 4);
        for (let dim = -shape.length; dim < shape.length; dim++) {
          for (const op of ['softmax', 'logSoftmax'] as const) {
            expectClose(await gpu.ops[op](xg, { dim }).data(), await cpu.ops[op](xc, { dim }).data(), `${op} [${shape}] dim ${dim}`);
          }
        }
      }
    });

    it('long lines (a workgroup per line), along the last dim and a middle one', async () => {
      const rng = new Random(34);
      for (const [shape, dim] of [[[64, 1000], -1], [[3, 1000, 5], 1], [[2, 255], 1], [[2, 256], 1], [[1, 4099], 0], [[2, 300, 3], -2]] as [number[], number][]) {
        const [xc, xg] = pair(rng, shape, -10, 10);
        for (const op of ['softmax', 'logSoftmax'] as const) {
          expectClose(await gpu.ops[op](xg, { dim }).data(), await cpu.ops[op](xc, { dim }).data(), `${op} [${shape}] dim ${dim}`);
        }
      }
    });

    it('large values (around 10000) stay finite and exact', async () => {
      const rng = new Random(35);
      for (const shape of [[4, 10], [2, 1000]]) {
        const [xc, xg] = pair(rng, shape, 9990, 10010);
        for (const op of ['softmax', 'logSoftmax'] as const) {
          const got = await gpu.ops[op](xg).data();
          expect(got.every(Number.isFinite), `${op} [${shape}] finite`).toBe(true);
          expectClose(got, await cpu.ops[op](xc).data(), `${op} [${shape}]`);
        }
      }
      const y = await gpu.ops.softmax(gpu.tensor([10000, 10000, -10000], [3])).data();
      expectClose(y, [0.5, 0.5, 0]);
    });

    it('a 0-D tensor is one element; empty tensors give empty tensors', async () => {
      expectClose(await gpu.ops.softmax(gpu.tensor([3], [])).data(), [1]);
      expectClose(await gpu.ops.logSoftmax(gpu.tensor([3], [])).data(), [0]);
      expect(await gpu.ops.softmax(gpu.tensor(new Float32Array(0), [0, 10])).data()).toHaveLength(0);
      expect(await gpu.ops.softmax(gpu.tensor(new Float32Array(0), [4, 0]), { dim: 1 }).data()).toHaveLength(0);
    });
  });
});
