// LSTM, GRU and RNN on WebGPU: every k-split variant of the step kernel, the whole-sequence
// kernel of software adapters on random shapes and options (NaN included), the init
// kernel's limit, a compiled graph. Every mode and option against the CPU: test/ops/cases.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { UnsupportedError } from '../src/errors';
import { chooseRecurrentKernel, MAX_GPU_SEQUENCE_LENGTHS, stepSplit } from '../src/ops/recurrent/recurrentGpu';
import { MAX_SEQUENCE_HIDDEN } from '../src/ops/recurrent/recurrentSequenceGpu';
import type { RecurrentMode } from '../src/ops/recurrent/recurrentMath';
import type { Tensor } from '../src/tensor';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random } from './helpers';

describe('recurrent ops (WebGPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('the step kernel splits k so that an invocation loops over at most 256 k (GPUs), and never on software adapters', () => {
    expect([5, 256, 257, 1024, 1025, 4096, 4097].map((H) => stepSplit(H))).toEqual([1, 1, 4, 4, 16, 16, 32]);
    expect(stepSplit(4097, true)).toBe(1);
  });

  // Every k-split of the step kernel (each a tuning candidate), forced through the tuned-choice
  // store into a compiled graph, against the CPU: H = 37 leaves a partial k-quad and a
  // partial workgroup of units; N = 3 spreads rows over workgroups.
  it('every k-split of the step kernel equals the CPU for LSTM, GRU and RNN (relu)', async () => {
    const L = nn.layers;
    const [T, N, I, H] = [4, 3, 6, 37];
    const layers = { lstm: L.lstm(I, H), gru: L.gru(I, H), rnn: L.rnn(I, H, { nonlinearity: 'relu' }) };
    const rng = new Random(11);
    const data = rng.fill(T * N * I, -2, 2);
    for (const [mode, layer] of Object.entries(layers)) {
      const model = nn.sequential([layer], { inputShape: [N, I], seed: 3 });
      const want = await ((await nn.compile(model, cpu)).run(cpu.tensor(data, [T, N, I])) as Promise<Tensor>);
      const key = `recurrent ${mode} N${N} H${H}`;
      for (const S of [1, 4, 16, 32]) {
        const winner = `step k-split ${S}`;
        gpu.tunedChoices.set(key, { winner, candidates: [winner], ms: { [winner]: 1 } });
        const session = await nn.compile(model, gpu, { profile: true });
        const y = (await session.run(gpu.tensor(data, [T, N, I]))) as Tensor;
        expectClose(await y.data(), await want.data(), `${mode} ${winner}`);
        expect(session.profile().rows.map((r) => r.kernel.split(', ')[0])).toContain(winner);
        y.dispose();
        session.dispose();
      }
    }
  });

  it('software adapters run the whole sequence in one dispatch up to H = 256, GPUs and larger H one dispatch per step', () => {
    expect(chooseRecurrentKernel(MAX_SEQUENCE_HIDDEN, true, gpu.limits)).toBe('sequence');
    expect(chooseRecurrentKernel(MAX_SEQUENCE_HIDDEN + 1, true, gpu.limits)).toBe('step');
    expect(chooseRecurrentKernel(16, false, gpu.limits)).toBe('step');
  });

  // One case of the sequence kernel: the same random op on the CPU and the GPU, every output compared.
  async function sequenceCase(rng: Random, mode: RecurrentMode, H: number, what: string, poison = false): Promise<void> {
    const G = { lstm: 4, gru: 3, rnn: 1 }[mode];
    const T = rng.int(3, 8); // ≥ 3: the per-step kernels would record more dispatches than checked below
    const N = rng.int(1, 3);
    const I = rng.int(1, 6);
    const layers = rng.int(1, 2);
    const bidirectional = rng.next() < 0.5;
    const batchFirst = rng.next() < 0.3;
    const D = bidirectional ? 2 : 1;
    const data: Record<string, { data: Float32Array; shape: number[] }> = {};
    const put = (name: string, shape: number[], lo = -1, hi = 1) => (data[name] = { data: rng.fill(shape.reduce((a, b) => a * b, 1), lo, hi), shape });
    put('x', batchFirst ? [N, T, I] : [T, N, I], -2, 2);
    const withBias = rng.next() < 0.8;
    const peepholes = mode === 'lstm' && rng.next() < 0.4;
    for (let l = 0; l < layers; l++) {
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        put(`weight_ih${sfx}`, [G * H, l === 0 ? I : D * H]);
        put(`weight_hh${sfx}`, [G * H, H]);
        if (withBias) {
          put(`bias_ih${sfx}`, [G * H]);
          put(`bias_hh${sfx}`, [G * H]);
        }
        if (peepholes) put(`weight_ph${sfx}`, [3, H]);
      }
    }
    const initial = rng.next() < 0.6;
    if (initial) put('h0', [D * layers, N, H]);
    if (initial && mode === 'lstm') put('c0', [D * layers, N, H]);
    if (poison) {
      // NaN in the input steps and in the initial state: the gates must carry it as the CPU does.
      // (Not ±∞: in the state, f·c with c = −∞ is NaN or −∞ depending on whether a sigmoid
      // underflows to 0, which differs between f32 GPU math and the CPU; in x, the projection
      // GEMM on the GPU gives NaN where the CPU gives ±∞ when I = 1 — the same on the per-step path.)
      const x = data.x.data;
      x[rng.int(0, x.length - 1)] = NaN;
      if (data.h0) data.h0.data[rng.int(0, data.h0.data.length - 1)] = NaN;
    }
    const opts: Record<string, unknown> = { hiddenSize: H, numLayers: layers, bidirectional, batchFirst };
    if (rng.next() < 0.3) opts.clip = 0.5 + rng.next();
    if (rng.next() < 0.4) opts.sequenceLengths = Array.from({ length: N }, () => rng.int(0, T));
    if (mode === 'gru') opts.linearBeforeReset = rng.next() < 0.5;
    if (mode === 'rnn') opts.nonlinearity = rng.next() < 0.5 ? 'relu' : 'tanh';
    const run = (b: typeof cpu | WebGpuBackend) => {
      const t = Object.fromEntries(Object.entries(data).map(([k, v]) => [k, b.tensor(v.data, v.shape)]));
      const { x, h0, c0, ...params } = t;
      const o = { ...opts, h0: h0 ?? null, ...(mode === 'lstm' ? { c0: c0 ?? null } : {}) };
      return Object.values(b.ops[mode](x, params, o as never) as Record<string, Tensor>);
    };
    const want = run(cpu);
    const before = gpu.counters.dispatches;
    const got = run(gpu);
    const label = `${what}: ${mode} T ${T} N ${N} I ${I} H ${H} ${JSON.stringify(opts)}${peepholes ? ' peepholes' : ''}`;
    // The init kernel, then one GEMM and one sequence dispatch per layer direction, not one per step.
    expect(gpu.counters.dispatches - before, label).toBeLessThanOrEqual(1 + 2 * layers * D);
    for (const [i, t] of got.entries()) expectClose(await t.data(), await want[i].data(), `${label} output ${i}`);
  }

  it('the whole-sequence kernel (software adapters, H ≤ 256) equals the CPU on random shapes and options', async () => {
    expect(gpu.softwareAdapter).toBe(true); // SwiftShader here: the sequence kernel runs
    const rng = new Random(14);
    const modes: RecurrentMode[] = ['lstm', 'gru', 'rnn'];
    // A few hidden sizes, so that few shaders are generated and compiled.
    for (let i = 0; i < 9; i++) await sequenceCase(rng, modes[i % 3], [1, 6, 19][rng.int(0, 2)], `case ${i}`);
    await sequenceCase(rng, 'lstm', MAX_SEQUENCE_HIDDEN, 'largest H');
  });

  it('the whole-sequence kernel carries NaN as the CPU does', async () => {
    const rng = new Random(15);
    for (let i = 0; i < 6; i++) await sequenceCase(rng, (['lstm', 'gru', 'rnn'] as const)[i % 3], 6, `poisoned ${i}`, true);
  });

  it('sequenceLengths for more batch rows than the init kernel holds is an UnsupportedError naming the limit', () => {
    const N = MAX_GPU_SEQUENCE_LENGTHS + 1;
    const x = gpu.tensor(new Float32Array(N), [1, N, 1]);
    const params = { weight_ih_l0: gpu.tensor([0.5], [1, 1]), weight_hh_l0: gpu.tensor([0.5], [1, 1]) };
    const lengths = new Array<number>(N).fill(1);
    expect(() => gpu.ops.rnn(x, params, { hiddenSize: 1, sequenceLengths: lengths })).toThrow(UnsupportedError);
    expect(() => gpu.ops.rnn(x, params, { hiddenSize: 1, sequenceLengths: lengths })).toThrow(/at most 4096 batch rows, got N = 4097/);
  });

  it('compiled graph: a 2-layer bidirectional LSTM and a linear layer equal the eager CPU ops', async () => {
    const L = nn.layers;
    const model = nn.sequential([L.lstm(5, 8, { numLayers: 2, bidirectional: true }), L.linear(16, 3)], { inputShape: [2, 5], seed: 7 });
    const session = await nn.compile(model, gpu);
    const state = model.stateDict();
    const params: Record<string, Tensor> = {};
    for (const [name, e] of state) if (name.startsWith('0.')) params[name.slice(2)] = cpu.tensor(e.data, e.shape as number[]);
    const w = state.get('1.weight')!;
    const b = state.get('1.bias')!;
    const rng = new Random(7);
    // Module.trace puts a batch dim of 1 before inputShape: for a recurrent model that dim is T.
    // T = 6 twice: the second run reuses the first one's buffers (states, projection, slots).
    for (const T of [6, 6, 3]) {
      const data = rng.fill(T * 2 * 5, -2, 2);
      const seq = cpu.ops.lstm(cpu.tensor(data, [T, 2, 5]), params, { hiddenSize: 8, numLayers: 2, bidirectional: true }).output;
      const ref = cpu.ops.linear(seq, cpu.tensor(w.data, w.shape as number[]), cpu.tensor(b.data, b.shape as number[]));
      const y = (await session.run(gpu.tensor(data, [T, 2, 5]))) as Tensor;
      expect(y.shape).toEqual([T, 2, 3]);
      expectClose(await y.data(), await ref.data(), `graph T=${T}`);
      y.dispose();
    }
    session.dispose();
  });
});
