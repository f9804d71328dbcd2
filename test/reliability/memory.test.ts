// Memory over a long life (issue 13, "Build"): backend.memory() accounts for tensors, sessions and
// GPU buffers; tensors dropped without dispose() are reported and reclaimed by the safety net;
// runs called in a loop without awaiting are bounded (backpressure); and 10,000 compiled runs
// plus eager loops bring the GPU buffers, counted through a wrapped device, back to the baseline.
import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import * as nn from '../../src/index';
import { MAX_RUNS_IN_FLIGHT, WebGpuBackend } from '../../src/backends/webgpu/webgpuBackend';
import { CpuBackend } from '../../src/backends/cpu/cpuBackend';
import { cpu } from '../helpers';
import { countingDevice } from './countingDevice';

const L = nn.layers;
/** Small on purpose: the long run is about buffers, not arithmetic. */
const small = () => nn.sequential([L.conv2d(1, 4, 3, { padding: 1 }), L.relu(), L.maxPool2d(2), L.flatten(), L.linear(4 * 16, 10)], { inputShape: [1, 8, 8], seed: 11 });
const input = new Float32Array(64).map((_, i) => Math.sin(i));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

describe('memory(), the safety net and backpressure', () => {
  it('memory() counts tensors, views, bytes and sessions, and comes back to zero (both backends)', async () => {
    const { device, gpu: g } = await countingDevice();
    const gpu = await WebGpuBackend.create({ device, gpu: g });
    for (const backend of [new CpuBackend(), gpu] as nn.Backend[]) {
      const start = backend.memory();
      expect(start).toMatchObject({ numTensors: 0, numDataBuffers: 0, numBytes: 0, numSessions: 0, sessionBytes: 0 });
      const x = backend.tensor(input, [1, 1, 8, 8]);
      const v = backend.ops.reshape(x, [64]); // a view: a tensor of its own, the same storage
      expect(backend.memory()).toMatchObject({ numTensors: 2, numDataBuffers: 1, numBytes: 256 });
      const session = await nn.compile(small(), backend);
      const m = backend.memory();
      expect(m.numSessions).toBe(1);
      expect(m.sessionBytes).toBeGreaterThanOrEqual((4 * 9 + 4 + 64 * 10 + 10) * 4); // at least the weights
      const y = (await session.run(x)) as nn.Tensor;
      expect(backend.memory()).toMatchObject({ numTensors: 3, numDataBuffers: 2, numBytes: 256 + 40 });
      x.dispose();
      expect(backend.memory()).toMatchObject({ numTensors: 2, numDataBuffers: 2 }); // the view holds the storage
      v.dispose();
      y.dispose();
      session.dispose();
      expect(backend.memory()).toMatchObject({ numTensors: 0, numDataBuffers: 0, numBytes: 0, numSessions: 0, sessionBytes: 0, numDroppedTensors: 0 });
    }
    await device.queue.onSubmittedWorkDone();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(gpu.memory()).toMatchObject({ gpuBuffers: 0, gpuBytes: 0 });
    gpu.dispose();
  });

  it('tensors dropped without dispose() are reported by memory() and their storage reclaimed by the FinalizationRegistry', async () => {
    const backend = new CpuBackend();
    const keep = backend.tensor([1, 2, 3], [3]);
    (() => {
      for (let i = 0; i < 50; i++) backend.ops.relu(backend.tensor(new Float32Array(1000), [1000])); // both dropped
    })();
    expect(backend.memory().numTensors).toBe(101);
    // Collection is up to the engine: collect and yield until the registry has run (bounded).
    for (let i = 0; i < 50 && backend.memory().numDroppedTensors < 100; i++) {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(backend.memory()).toMatchObject({ numDroppedTensors: 100, numTensors: 1, numDataBuffers: 1, numBytes: 12 });
    expect(Array.from(await keep.data())).toEqual([1, 2, 3]);
  });

  it('backpressure: 500 run() calls without awaiting keep at most MAX_RUNS_IN_FLIGHT runs on the GPU, in order, all correct', async () => {
    const { device, gpu: g, live } = await countingDevice();
    const gpu = await WebGpuBackend.create({ device, gpu: g });
    const session = await nn.compile(small(), gpu);
    const x = gpu.tensor(input, [1, 1, 8, 8]);
    const want = await ((await session.run(x)) as nn.Tensor).data();
    const baseline = live.size;
    let most = 0;
    let peakBuffers = 0;
    const runs = Array.from({ length: 500 }, () =>
      session.run(x).then((y) => {
        most = Math.max(most, gpu.runsInFlight);
        peakBuffers = Math.max(peakBuffers, live.size - baseline);
        return y as nn.Tensor;
      }),
    );
    const outputs = await Promise.all(runs);
    expect(most).toBeLessThanOrEqual(MAX_RUNS_IN_FLIGHT);
    expect(most).toBeGreaterThan(1); // runs do overlap
    for (const y of [outputs[0], outputs[499]]) expect(Array.from(await y.data())).toEqual(Array.from(want));
    for (const y of outputs) y.dispose();
    expect(peakBuffers).toBeLessThanOrEqual(500); // one output buffer per run, nothing else per run
    gpu.dispose();
  });

  it('long run: 10,000 compiled runs and eager loops return GPU buffers (counted through a wrapped device) and CPU memory to the baseline', async () => {
    const { device, gpu: g, live, settle } = await countingDevice();
    const gpu = await WebGpuBackend.create({ device, gpu: g });
    for (const backend of [cpu, gpu] as nn.Backend[]) {
      await settle();
      const baseline = live.size;
      const memoryBefore = backend.memory();
      const session = await nn.compile(small(), backend);
      const x = backend.tensor(input, [1, 1, 8, 8]);
      const first = (await session.run(x)) as nn.Tensor;
      const want = await first.data();
      first.dispose();
      await settle();
      const compiled = live.size;
      let peak = 0;
      // 10,000 runs in rounds of 100 called without awaiting each (backpressure paces them).
      for (let round = 0; round < 100; round++) {
        const ys = (await Promise.all(Array.from({ length: 100 }, () => session.run(x)))) as nn.Tensor[];
        peak = Math.max(peak, live.size - compiled);
        if (round % 25 === 0) expect(Array.from(await ys[99].data()), `round ${round}`).toEqual(Array.from(want));
        for (const y of ys) y.dispose();
      }
      // A second batch size (a second plan), then eager loops: op chains, views, reads.
      const x4 = backend.tensor(new Float32Array(4 * 64), [4, 1, 8, 8]);
      for (let i = 0; i < 50; i++) ((await session.run(x4)) as nn.Tensor).dispose();
      for (let i = 0; i < 300; i++) {
        const sum = backend.ops.add(x, x);
        const a = backend.ops.relu(sum);
        const view = backend.ops.reshape(a, [1, 1, 8, 8]);
        const b = backend.ops.maxPool2d(view, { kernelSize: 2 });
        if (i % 100 === 0) expect((await b.data()).length).toBe(16);
        for (const t of [sum, a, view, b]) t.dispose();
        if (i % 50 === 0) peak = Math.max(peak, live.size - compiled);
      }
      expect(peak, `${backend.name}: buffers held beyond the compiled session at any time`).toBeLessThan(1000);
      x.dispose();
      x4.dispose();
      session.dispose();
      await settle();
      expect(live.size, backend.name).toBe(baseline);
      const after = backend.memory();
      expect(after.numTensors).toBe(memoryBefore.numTensors);
      expect(after.numBytes).toBe(memoryBefore.numBytes);
      expect(after.numSessions).toBe(memoryBefore.numSessions);
    }
    expect(gpu.memory().gpuBuffers).toBe(0);
    gpu.dispose();
  }, 600_000); // ~35 s alone on 2 cores (10,000 SwiftShader submits); room for a loaded machine
});
