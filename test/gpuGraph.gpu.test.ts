// Compiled graphs on WebGPU: one command buffer per run, one readback per output read, the
// same numbers as the CPU, and device limits checked by compile before anything is allocated.
import { create } from 'webgpu';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import * as nn from '../src/index';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random } from './helpers';

const L = nn.layers;
const lenet = () =>
  nn.sequential(
    [L.conv2d(1, 6, 5, { padding: 2 }), L.sigmoid(), L.avgPool2d(2), L.conv2d(6, 16, 5), L.sigmoid(), L.avgPool2d(2), L.flatten(), L.linear(400, 120), L.sigmoid(), L.linear(120, 84), L.sigmoid(), L.linear(84, 10)],
    { inputShape: [1, 28, 28], seed: 2 },
  );

describe('compiled graphs on WebGPU', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('runs a LeNet-sized graph as one command buffer and reads back once', async () => {
    const model = lenet();
    const session = await nn.compile(model, gpu);
    const reference = await nn.compile(model, cpu);
    const data = new Random(1).fill(2 * 784, 0, 1);
    const x = gpu.tensor(data, [2, 1, 28, 28]);
    const exe = await session.executableFor([[2, 1, 28, 28]]);
    gpu.flush();
    const before = { ...gpu.counters };
    const y = (await session.run(x)) as nn.Tensor;
    const afterRun = { ...gpu.counters };
    const out = await y.data();
    const afterRead = { ...gpu.counters };

    expect(exe.stats.commandBuffers).toBe(1);
    expect(afterRun.commandBuffers - before.commandBuffers).toBe(1);
    expect(afterRun.dispatches - before.dispatches).toBe(exe.stats.dispatches);
    expect(afterRead.readbacks - afterRun.readbacks).toBe(1);
    // conv+sigmoid, pool, conv+sigmoid (on a software adapter im2col, then the GEMM with the
    // sigmoid in its epilogue), pool, three linears (activations fused; flatten is a view).
    expect(exe.stats.dispatches).toBeLessThanOrEqual(8);
    console.log(`LeNet batch 2: ${exe.stats.dispatches} dispatches, ${exe.stats.commandBuffers} command buffer, ${exe.stats.buffers} intermediate buffers per run`);

    const ref = (await reference.run(cpu.tensor(data, [2, 1, 28, 28]))) as nn.Tensor;
    expectClose(out, await ref.data(), 'LeNet webgpu vs cpu');
    session.dispose();
  });

  it('does not upload the weights folding replaced: conv + BatchNorm holds what conv with a bias holds', async () => {
    const withBias = nn.sequential([L.conv2d(3, 8, 3), L.relu()], { inputShape: [3, 8, 8], seed: 3 });
    const withNorm = nn.sequential([L.conv2d(3, 8, 3, { bias: false }), L.batchNorm2d(8), L.relu()], { inputShape: [3, 8, 8], seed: 3 });
    const bytes = async (model: nn.Module) => {
      const session = await nn.compile(model, gpu);
      await session.executableFor([[1, 3, 8, 8]]);
      const held = gpu.memory().sessionBytes;
      session.dispose();
      return held;
    };
    expect(await bytes(withNorm)).toBe(await bytes(withBias));
    // and the folded model still computes what the CPU does.
    const x = new Random(4).fill(3 * 64);
    const [gpuOut, cpuOut] = await Promise.all(
      [gpu, cpu].map(async (b) => {
        const session = await nn.compile(withNorm, b);
        const y = (await session.run(b.tensor(x, [1, 3, 8, 8]))) as nn.Tensor;
        const out = await y.data();
        session.dispose();
        return out;
      }),
    );
    expectClose(gpuOut, cpuOut);
  });

  it('convolutions share one im2col scratch buffer (nodes run one after another)', async () => {
    // The first needs the most (32 input channels); the later ones fit in its buffer.
    const stack = nn.sequential([L.conv2d(32, 16, 3, { padding: 1 }), L.relu(), L.conv2d(16, 16, 3, { padding: 1 }), L.relu(), L.conv2d(16, 16, 3, { padding: 1 })], { inputShape: [32, 12, 12], seed: 5 });
    const session = await nn.compile(stack, gpu);
    const exe = (await session.executableFor([[2, 32, 12, 12]])) as unknown as { buffers: readonly GPUBuffer[] };
    // SwiftShader (a software adapter) lowers these convolutions to im2col + GEMM, each with scratch.
    expect(exe.buffers.filter((b) => b.label === 'scratch')).toHaveLength(1);
    const x = new Random(6).fill(2 * 32 * 144);
    const outs = await Promise.all(
      [gpu, cpu].map(async (b) => {
        const s = b === gpu ? session : await nn.compile(stack, cpu);
        return ((await s.run(b.tensor(x, [2, 32, 12, 12]))) as nn.Tensor).data();
      }),
    );
    expectClose(outs[0], outs[1]);
    session.dispose();
  });

  it('outputs stay valid after later runs and belong to the caller', async () => {
    const session = await nn.compile(lenet(), gpu);
    const rng = new Random(3);
    const a = gpu.tensor(rng.fill(784), [1, 1, 28, 28]);
    const b = gpu.tensor(rng.fill(784), [1, 1, 28, 28]);
    const ya = (await session.run(a)) as nn.Tensor;
    const first = await ya.data();
    const yb = (await session.run(b)) as nn.Tensor;
    expect(Array.from(await ya.data())).toEqual(Array.from(first));
    expect(Array.from(await yb.data())).not.toEqual(Array.from(first));
    ya.dispose();
    session.dispose();
    await expect(session.run(a)).rejects.toThrow(/disposed/);
    expect((await yb.data()).length).toBe(10);
  });

  it('eager ops queue into one submit until data()', async () => {
    const x = gpu.tensor(new Random(4).fill(64), [1, 1, 8, 8]);
    gpu.flush();
    const before = gpu.counters.submits;
    const y = gpu.ops.relu(gpu.ops.maxPool2d(gpu.ops.sigmoid(x), { kernelSize: 2 }));
    expect(gpu.counters.submits).toBe(before);
    await y.data();
    expect(gpu.counters.submits - before).toBe(2); // the queued ops, then the copy to the readback buffer
  });

  it('raises DeviceLimitError from compile, naming the tensor, before allocating', async () => {
    // A device with the spec's default 128 MiB per storage binding.
    const gpuObject = create([]) as GPU;
    const adapter = (await gpuObject.requestAdapter())!;
    const device = await adapter.requestDevice();
    const small = await nn.createBackend('webgpu', { device });
    const big = nn.sequential([L.conv2d(1, 3, 1)], { inputShape: [1, 4096, 4096] }); // output 192 MiB
    await expect(nn.compile(big, small)).rejects.toThrow(nn.DeviceLimitError);
    await expect(nn.compile(big, small)).rejects.toThrow(/0 \(conv2d\): output 0 \[1, 3, 4096, 4096\] is 192\.0 MiB.*at most 128\.0 MiB/);
    small.dispose();
    expect(() => device.createBuffer({ size: 16, usage: 0x08 }).destroy()).not.toThrow(); // not ours to destroy
    device.destroy();
  });

  // Regression: { debug } promised every dispatch but logged the eager ones only.
  it('{ debug } logs the dispatches of compiled runs as well as eager ones: kernel and grid', async () => {
    const noisy = await createGpuBackend({ debug: true });
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const model = nn.sequential([L.linear(8, 4), L.relu()], { inputShape: [8] });
      const session = await nn.compile(model, noisy);
      log.mockClear();
      await ((await session.run(noisy.tensor(new Float32Array(16), [2, 8]))) as nn.Tensor).data();
      const lines = log.mock.calls.map((c) => String(c[0]));
      expect(lines.length).toBeGreaterThan(0);
      expect(lines[0]).toMatch(/^\[webgpu-nn\] run: matmul.* workgroups \d+×\d+×\d+ bindings \d+$/);
      log.mockClear();
      await noisy.ops.relu(noisy.tensor([1, -1], [2])).data();
      expect(log.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/^\[webgpu-nn\] eager: activation.* workgroups 1×1×1/)]);
      session.dispose();
    } finally {
      log.mockRestore();
      noisy.dispose();
    }
  });
});
