import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { UnsupportedError } from '../src/errors';
import { add, mul } from '../src/ops/elementwise/binary';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random } from './helpers';

describe('add and mul (WebGPU vs CPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  /** a ⊕ b on both backends, for add and mul. */
  async function check(rng: Random, aShape: number[], bShape: number[]): Promise<void> {
    const aData = rng.fill(aShape.reduce((p, d) => p * d, 1), -2, 2);
    const bData = rng.fill(bShape.reduce((p, d) => p * d, 1), -2, 2);
    const [ac, bc] = [cpu.tensor(aData, aShape), cpu.tensor(bData, bShape)];
    const [ag, bg] = [gpu.tensor(aData, aShape), gpu.tensor(bData, bShape)];
    for (const f of [add, mul]) {
      const yg = f(gpu, ag, bg);
      const yc = f(cpu, ac, bc);
      expect(yg.shape).toEqual(yc.shape);
      expectClose(await yg.data(), await yc.data(), `${f.name} [${aShape}] with [${bShape}]`);
      yg.dispose();
    }
    ag.dispose();
    bg.dispose();
  }

  const named: [number[], number[]][] = [
    [[2, 3, 4], [4]],
    [[2, 1, 4], [3, 1]],
    [[1], [5, 1, 1]],
    [[2, 3, 4, 5], [3, 1, 1]],
    [[2, 3, 4, 5], [1, 3, 4, 1]],
    [[7, 1, 5, 1, 3], [1, 6, 1, 4, 1]],
    [[3, 5, 7], [3, 5, 7]],
    [[1, 1], [1]],
    [[0, 3], [3]],
    [[2, 0, 4], [2, 1, 4]],
  ];
  it.each(named)('broadcasts [%s] with [%s], both ways', async (a, b) => {
    const rng = new Random(a.length * 31 + b.length);
    await check(rng, a, b);
    await check(rng, b, a);
  });

  it('scalar [] with anything', async () => {
    const rng = new Random(2);
    for (const other of [[], [1], [7], [2, 3], [4, 1, 5], [2, 0]]) {
      await check(rng, [], other);
      await check(rng, other, []);
    }
  });

  it('random broadcastable shapes up to rank 6', async () => {
    const rng = new Random(3);
    const pick = (n: number) => Math.floor(rng.next() * n);
    for (let t = 0; t < 40; t++) {
      const out = Array.from({ length: pick(7) }, () => 1 + pick(5));
      // Each operand: a random suffix of `out` with random axes stretched (1).
      const operand = () => out.slice(pick(out.length + 1)).map((d) => (rng.next() < 0.4 ? 1 : d));
      await check(rng, operand(), operand());
      await check(rng, out, operand());
    }
  });

  it('equal shapes with a count not divisible by 4 (scalar entry point) and divisible (vec4)', async () => {
    const rng = new Random(6);
    for (const shape of [[7], [3, 5, 7], [4], [2, 6, 10]]) await check(rng, shape, shape);
  });

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
