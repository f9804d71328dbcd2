// compile's `profile`, `debug` and `tune` on WebGPU (Dawn + SwiftShader). Profiles: a row per
// node with the kernel variant and grid, by timestamps in the run's one command buffer or by one
// submit per node; an unprofiled run stays one command buffer. Tuning: every candidate of every
// choice it times computes what the CPU does, the winner is one of them and later compiles use
// it without timing, and a corrupt stored entry is ignored.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as nn from '../src/index';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { nodeName } from '../src/graph/profile';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random } from './helpers';

const L = nn.layers;
const convNet = () =>
  nn.sequential([L.conv2d(1, 4, 3, { padding: 1 }), L.relu(), L.maxPool2d(2), L.flatten(), L.linear(4 * 4 * 4, 5)], { inputShape: [1, 8, 8], seed: 1 });

describe('profiles and debug output on WebGPU', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  const data = new Random(5).fill(2 * 64, -1, 1);
  const reference = async () => {
    const session = await nn.compile(convNet(), cpu);
    const y = (await session.run(cpu.tensor(data, [2, 1, 8, 8]))) as nn.Tensor;
    return y.data();
  };

  it('without profile a run is one command buffer; with timestamps it still is, and every node has a row', async () => {
    const want = await reference();
    const plain = await nn.compile(convNet(), gpu);
    const x = gpu.tensor(data, [2, 1, 8, 8]);
    const exe = await plain.executableFor([[2, 1, 8, 8]]);
    gpu.flush();
    let before = { ...gpu.counters };
    const y0 = (await plain.run(x)) as nn.Tensor;
    expect(exe.stats.commandBuffers).toBe(1);
    expect(gpu.counters.commandBuffers - before.commandBuffers).toBe(1);
    expectClose(await y0.data(), want, 'unprofiled run');

    const session = await nn.compile(convNet(), gpu, { profile: true });
    await session.executableFor([[2, 1, 8, 8]]);
    gpu.flush();
    before = { ...gpu.counters };
    const y = (await session.run(x)) as nn.Tensor;
    expect(gpu.counters.commandBuffers - before.commandBuffers).toBe(1);
    expectClose(await y.data(), want, 'profiled run');
    const profile = session.profile();
    expect(profile.method).toBe('timestamp-query'); // SwiftShader offers the feature; the backend asks for it
    expect(profile.approximate).toBe(false);
    expect(profile.rows.map((r) => [r.name, r.op])).toEqual(session.graph.nodes.map((n) => [nodeName(n), n.op.name]));
    for (const r of profile.rows) expect(r.ms).toBeGreaterThanOrEqual(0);
    const conv = profile.rows.find((r) => r.op === 'conv2d')!;
    expect(conv.kernel).toMatch(/^register \d×\d$/); // the table's pick on a software adapter
    expect(conv.dispatch).toMatch(/^\d+×\d+×\d+$/);
    expect(conv.dispatches).toBe(1);
    expect(conv.flops).toBe(2 * 2 * 4 * 64 * 9);
    expect(profile.rows.find((r) => r.op === 'view')!.kernel).toBe('view');
    expect(profile.rows.find((r) => r.op === 'linear')!.kernel).toMatch(/^registers /);
    expect(String(profile)).toMatch(/^webgpu profile \(timestamp-query\): GPU timestamps/);
    for (const s of [plain, session]) s.dispose();
  });

  it('a node of several kernels (a recurrent layer) has its time by kernel: projection, steps', async () => {
    const session = await nn.compile(nn.sequential([L.lstm(3, 4)], { inputShape: [2, 3], seed: 4 }), gpu, { profile: true });
    await session.run(gpu.tensor(new Random(6).fill(5 * 2 * 3), [5, 2, 3]));
    const [row] = session.profile().rows;
    expect(row.op).toBe('recurrent');
    // The projection, then the steps: one sequence dispatch (the table's pick on SwiftShader) or one per step.
    // The projection's GEMM: 'matmul', or 'matmul_shared_a' where subgroups are 4 wide (SwiftShader).
    const projection = row.parts.find((p) => p.kernel.startsWith('matmul'))!;
    expect(projection.dispatches).toBe(1);
    const steps = row.parts.find((p) => p.kernel.startsWith('recurrent_s'))!;
    expect([1, 5]).toContain(steps.dispatches);
    expect(row.parts.reduce((n, p) => n + p.dispatches, 0)).toBe(row.dispatches);
    expect(row.parts.reduce((ms, p) => ms + p.ms, 0)).toBeCloseTo(row.ms, 9);
    expect(nn.formatProfile(session.profile(), { parts: true })).toMatch(/\n {2}· matmul(_shared_a)?\s+\d+×\d+×1 /);
    session.dispose();
  });

  it("'submit-per-node' times each node in a submit of its own and says it is approximate", async () => {
    const want = await reference();
    const session = await nn.compile(convNet(), gpu, { profile: { method: 'submit-per-node' } });
    const y = (await session.run(gpu.tensor(data, [2, 1, 8, 8]))) as nn.Tensor;
    expectClose(await y.data(), want, 'profiled run, submit per node');
    const profile = session.profile();
    expect(profile.method).toBe('submit-per-node');
    expect(profile.approximate).toBe(true);
    expect(profile.rows).toHaveLength(session.graph.nodes.length);
    for (const r of profile.rows) expect(r.ms).toBeGreaterThanOrEqual(0);
    expect(String(profile)).toMatch(/^webgpu profile \(submit-per-node, approximate\): one submit per node/);
    session.dispose();
  });

  it('debug prints every node with its kernel variant, WGSL constants and workgroups', async () => {
    const log = vi.spyOn(console, 'log').mockImplementation(() => {});
    try {
      const session = await nn.compile(convNet(), gpu, { debug: true });
      const printed = log.mock.calls.map((c) => String(c[0])).join('\n');
      expect(printed).toMatch(/kernels chosen/);
      expect(printed).toMatch(/\(conv2d\): register \d×\d\n\s+conv2d:main:.*TM=\d.*TN=\d.* workgroups \d+×1×1/);
      expect(printed).toMatch(/\(linear\): registers \d×\d+\n\s+matmul:main:.*TRANS_B=1/);
      session.dispose();
    } finally {
      log.mockRestore();
    }
  });
});

describe('tune on WebGPU', () => {
  let gpu: WebGpuBackend;
  const global = globalThis as { indexedDB?: unknown };
  beforeAll(async () => {
    gpu = await createGpuBackend();
    // An IndexedDB that refuses everything: tuning goes on with the memory cache alone.
    global.indexedDB = {
      open: () => {
        throw new Error('IndexedDB is disabled');
      },
    };
  });
  afterAll(() => {
    delete global.indexedDB;
    gpu?.dispose();
  });

  // A depthwise convolution and a small one: few candidates each (few pipelines to build on SwiftShader).
  const model = () => nn.sequential([L.conv2d(2, 2, 3, { padding: 1, groups: 2 }), L.relu(), L.conv2d(2, 8, 3)], { inputShape: [2, 6, 6], seed: 3 });
  const data = new Random(9).fill(72, -1, 1);

  it('times every candidate, each computes what the CPU does, the winner is one of them and a second compile does no timing', async () => {
    const net = model();
    const ref = await nn.compile(net, cpu);
    const want = await ((await ref.run(cpu.tensor(data, [1, 2, 6, 6]))) as nn.Tensor).data();

    const progress: nn.CompileProgress[] = [];
    const tuned = await nn.compile(net, gpu, { tune: { budgetMs: 600_000 }, profile: true, onProgress: (p) => progress.push(p) });
    const tuning = progress.filter((p) => p.stage === 'tuning');
    const keys = [...new Set(tuning.map((p) => p.kernel!))];
    expect(keys).toHaveLength(2);
    expect(keys.every((k) => k.startsWith('conv2d '))).toBe(true);
    expect(tuning[tuning.length - 1]).toMatchObject({ built: 2, total: 2 });

    const y = (await tuned.run(gpu.tensor(data, [1, 2, 6, 6]))) as nn.Tensor;
    expectClose(await y.data(), want, 'tuned');
    // A row's kernel lists the node's choices: the convolution's first, then any GEMM it records.
    const convKernel = (r: { kernel: string }) => r.kernel.split(', ')[0];
    const convRows = tuned.profile().rows.filter((r) => r.op === 'conv2d');
    for (const [i, key] of keys.entries()) {
      const entry = gpu.tunedChoices.get(key)!;
      expect(entry.candidates.length).toBeGreaterThan(1);
      expect(entry.candidates).toContain(entry.winner);
      expect(Object.keys(entry.ms).sort()).toEqual([...entry.candidates].sort());
      expect(convKernel(convRows[i])).toBe(entry.winner); // the compile used what it tuned
    }

    // Each candidate, forced through the store, against the CPU.
    for (const key of keys) {
      const entry = gpu.tunedChoices.get(key)!;
      for (const candidate of entry.candidates) {
        gpu.tunedChoices.set(key, { ...entry, winner: candidate });
        const session = await nn.compile(net, gpu, { profile: true });
        const out = (await session.run(gpu.tensor(data, [1, 2, 6, 6]))) as nn.Tensor;
        expectClose(await out.data(), want, `${key}: ${candidate}`);
        expect(session.profile().rows.filter((r) => r.op === 'conv2d').map(convKernel)).toContain(candidate);
        session.dispose();
      }
      gpu.tunedChoices.set(key, entry);
    }

    // Tuned already: no timing, no submit.
    gpu.flush();
    const submits = gpu.counters.submits;
    const again: nn.CompileProgress[] = [];
    const second = await nn.compile(net, gpu, { tune: true, onProgress: (p) => again.push(p) });
    expect(again.filter((p) => p.stage === 'tuning')).toEqual([]);
    expect(gpu.counters.submits).toBe(submits);
    for (const s of [tuned, second, ref]) s.dispose();
  }, 300_000);

  it('a corrupt stored entry is ignored: the table decides, and tune times that choice again', async () => {
    const net = model();
    const key = 'conv2d N1 C2 H6 W6 O2 g2 k3x3 s1x1 d1x1 p1,1,1,1'; // the depthwise layer
    const good = gpu.tunedChoices.get(key);
    expect(good).toBeDefined(); // tuned by the test above
    // What the table picks: the tuned winner (the test above) may differ from it.
    gpu.tunedChoices.set(key, undefined as never);
    const probe = await nn.compile(net, gpu, { profile: true });
    await probe.run(gpu.tensor(data, [1, 2, 6, 6]));
    const tableKernels = probe.profile().rows.filter((r) => r.op === 'conv2d').map((r) => r.kernel);
    probe.dispose();

    for (const corrupt of [{ winner: 'no such kernel', candidates: ['no such kernel'], ms: { 'no such kernel': 1 } }, 42, { winner: 'tiled 64×64' }]) {
      gpu.tunedChoices.set(key, corrupt as never);
      const session = await nn.compile(net, gpu, { profile: true });
      await session.run(gpu.tensor(data, [1, 2, 6, 6]));
      expect(session.profile().rows.filter((r) => r.op === 'conv2d')[0].kernel).toBe(tableKernels[0]);
      session.dispose();
    }
    const progress: nn.CompileProgress[] = [];
    const retuned = await nn.compile(net, gpu, { tune: { budgetMs: 600_000 }, onProgress: (p) => progress.push(p) });
    expect(progress.filter((p) => p.stage === 'tuning').map((p) => p.kernel)).toContain(key);
    expect(gpu.tunedChoices.get(key)!.candidates).toEqual(good!.candidates);
    retuned.dispose();
  }, 300_000);
});
