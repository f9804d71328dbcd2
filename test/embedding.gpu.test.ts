// compile's progress and cancellation, tensor.write and run(x, { output }) on WebGPU (Dawn on
// SwiftShader): the same results as the CPU, and a run into the caller's tensor creates no buffer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { createGpuBackend } from './gpu';
import { cpu, expectClose } from './helpers';

describe('embedding on WebGPU', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('compile reports every pipeline built, and an abort mid-way rejects with the reason; the backend still compiles after', async () => {
    const controller = new AbortController();
    const reason = new Error('user left the page');
    const seen: nn.CompileProgress[] = [];
    const aborted = nn.compile(nn.lenet({ activation: 'relu', pooling: 'max' }), gpu, {
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p);
        controller.abort(reason);
      },
    });
    await expect(aborted).rejects.toBe(reason);
    expect(seen[0].total).toBeGreaterThan(0);

    const progress: nn.CompileProgress[] = [];
    const session = await nn.compile(nn.lenet(), gpu, { onProgress: (p) => progress.push(p) });
    const last = progress.at(-1)!;
    expect(last.built).toBe(last.total);
    expect(last.total).toBeGreaterThan(0);
    expect(progress.every((p, i) => p.total === last.total && (i === 0 || p.built >= progress[i - 1].built))).toBe(true);
    session.dispose();
  });

  it('per frame: write the input, run into the same output tensor; no buffer is created and the values match the CPU', async () => {
    const model = nn.lenet();
    const [gSession, cSession] = await Promise.all([nn.compile(model, gpu, { inputShape: [2, 1, 28, 28] }), nn.compile(model, cpu, { inputShape: [2, 1, 28, 28] })]);
    const x = gpu.zeros([2, 1, 28, 28]);
    const y = gpu.zeros([2, 10]);
    const created = { count: 0 };
    const createBuffer = gpu.createBuffer.bind(gpu);
    gpu.createBuffer = (bytes, label) => (created.count++, createBuffer(bytes, label));
    try {
      for (let frame = 0; frame < 3; frame++) {
        const data = Float32Array.from({ length: 2 * 784 }, (_, i) => Math.sin(i * (frame + 1)));
        x.write(data);
        expect(await gSession.run(x, { output: y })).toBe(y);
        expect(created.count).toBe(0);
        expectClose(await y.data(), await (await cSession.run(cpu.tensor(data, [2, 1, 28, 28]))).data(), `frame ${frame}`);
      }
    } finally {
      gpu.createBuffer = createBuffer;
    }
    // Work queued before a write still reads the old values.
    const before = gpu.ops.relu(x);
    x.write(new Float32Array(2 * 784).fill(-1));
    expect((await before.data())[1]).toBeCloseTo(Math.max(0, Math.sin(3)), 5);
    expect((await x.data())[1]).toBe(-1);
  });
});
