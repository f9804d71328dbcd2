import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { UnsupportedError } from '../src/errors';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random } from './helpers';

// Broadcast shapes, scalars, empty and random shapes against the CPU: test/ops/cases.ts.
describe('add and mul (WebGPU vs CPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('the same tensor as both operands', async () => {
    const data = new Random(4).fill(1000, -1, 1);
    const xg = gpu.tensor(data, [10, 100]);
    const xc = cpu.tensor(data, [10, 100]);
    expectClose(await gpu.ops.mul(xg, xg).data(), await cpu.ops.mul(xc, xc).data(), 'x·x');
  });

  it('more than 65 535 workgroups (2-D grid): equal shapes of odd size, and a broadcast', async () => {
    // 256 · 65 535 = 16 776 960 invocations fit one grid row; 4097² = 16 785 409 goes past it
    // (and, being odd, takes the one-element-per-invocation entry points).
    const n = 4097;
    const rng = new Random(5);
    const [a, b, v] = [rng.fill(n * n, -1, 1), rng.fill(n * n, -1, 1), rng.fill(n, -1, 1)];
    const [ag, ac] = [gpu.tensor(a, [n, n]), cpu.tensor(a, [n, n])];
    expectClose(await gpu.ops.add(ag, gpu.tensor(b, [n, n])).data(), await cpu.ops.add(ac, cpu.tensor(b, [n, n])).data(), 'a + b');
    expectClose(await gpu.ops.mul(ag, gpu.tensor(v, [n, 1])).data(), await cpu.ops.mul(ac, cpu.tensor(v, [n, 1])).data(), 'a · v');
  });

  it('axes that do not merge beyond 8 are an UnsupportedError naming the op and rank', () => {
    // Alternating stretched axes never merge: 9 axes.
    const a = gpu.zeros([2, 1, 2, 1, 2, 1, 2, 1, 2]);
    const b = gpu.zeros([1, 2, 1, 2, 1, 2, 1, 2, 1]);
    expect(() => gpu.ops.add(a, b)).toThrow(UnsupportedError);
    expect(() => gpu.ops.mul(a, b)).toThrow(/mul: .*9 axes/);
  });
});
