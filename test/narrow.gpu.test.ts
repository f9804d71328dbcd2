// narrow and select on WebGPU against the CPU reference, on random shapes, dims and ranges.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random, twinTensors } from './helpers';

describe('narrow and select on WebGPU', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('match the CPU on random shapes (contiguous and strided slabs, negative indices)', async () => {
    const rng = new Random(12);
    for (let trial = 0; trial < 24; trial++) {
      const rank = rng.int(1, 4);
      const shape = Array.from({ length: rank }, () => rng.int(1, 6));
      const [c, g] = twinTensors(rng, shape, gpu);
      const dim = rng.int(-rank, rank - 1);
      const n = shape[dim < 0 ? dim + rank : dim];
      const what = `${trial}: shape [${shape}] dim ${dim}`;
      if (trial % 2 === 0) {
        const start = rng.int(0, n - 1);
        const length = rng.int(0, n - start);
        const want = cpu.ops.narrow(c, dim, start - (trial % 4 === 0 ? n : 0), length);
        const got = gpu.ops.narrow(g, dim, start - (trial % 4 === 0 ? n : 0), length);
        expect(got.shape, what).toEqual(want.shape);
        expectClose(await got.data(), await want.data(), `narrow ${what}`);
      } else {
        const index = rng.int(-n, n - 1);
        const want = cpu.ops.select(c, dim, index);
        const got = gpu.ops.select(g, dim, index);
        expect(got.shape, what).toEqual(want.shape);
        expectClose(await got.data(), await want.data(), `select ${what} index ${index}`);
      }
    }
  });
});
