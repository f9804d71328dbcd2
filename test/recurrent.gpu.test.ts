// LSTM, GRU and RNN (sequence op and cells) on WebGPU against the CPU reference: the projection
// GEMM plus one fused step dispatch per time step must give the CPU's numbers for every option.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { UnsupportedError } from '../src/errors';
import type { RecurrentMode, RecurrentOptions } from '../src/ops/recurrent/recurrent';
import { MAX_GPU_SEQUENCE_LENGTHS, stepSplit } from '../src/ops/recurrent/recurrentGpu';
import { sizeOf } from '../src/shape';
import type { Tensor } from '../src/tensor';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random } from './helpers';

const G: Record<RecurrentMode, number> = { lstm: 4, gru: 3, rnn: 1 };

interface Case {
  mode: RecurrentMode;
  T: number;
  N: number;
  I: number;
  H: number;
  layers?: number;
  bidirectional?: boolean;
  batchFirst?: boolean;
  initial?: boolean;
  bias?: boolean;
  peepholes?: boolean;
  clip?: number;
  linearBeforeReset?: boolean;
  nonlinearity?: 'tanh' | 'relu';
  sequenceLengths?: number[];
}

type Backend = typeof cpu | WebGpuBackend;

/** The same random tensors on both backends. */
class Twins {
  readonly cpu: Record<string, Tensor> = {};
  readonly gpu: Record<string, Tensor> = {};
  constructor(private readonly rng: Random, private readonly gpuBackend: WebGpuBackend) {}

  add(name: string, shape: number[], scale = 1): void {
    const data = this.rng.fill(sizeOf(shape), -scale, scale);
    this.cpu[name] = cpu.tensor(data, shape);
    this.gpu[name] = this.gpuBackend.tensor(data, shape);
  }

  dispose(): void {
    for (const t of [...Object.values(this.cpu), ...Object.values(this.gpu)]) t.dispose();
  }
}

function describeCase(c: Case): string {
  const flags = Object.entries(c)
    .filter(([k]) => !['mode', 'T', 'N', 'I', 'H'].includes(k))
    .map(([k, v]) => `${k}=${Array.isArray(v) ? `[${v.join(',')}]` : v}`);
  return `${c.mode} T=${c.T} N=${c.N} I=${c.I} H=${c.H} ${flags.join(' ')}`;
}

function runOn(b: Backend, c: Case, t: Record<string, Tensor>): { output: Tensor; h: Tensor; c?: Tensor } {
  const params: Record<string, Tensor> = {};
  for (const [name, v] of Object.entries(t)) if (/^(weight|bias)_/.test(name)) params[name] = v;
  const opts: RecurrentOptions<Tensor> = {
    hiddenSize: c.H,
    numLayers: c.layers,
    bidirectional: c.bidirectional,
    batchFirst: c.batchFirst,
    h0: t.h0,
    clip: c.clip,
    sequenceLengths: c.sequenceLengths,
  };
  if (c.mode === 'lstm') return b.ops.lstm(t.x, params, { ...opts, c0: t.c0 });
  if (c.mode === 'gru') return b.ops.gru(t.x, params, { ...opts, linearBeforeReset: c.linearBeforeReset });
  return b.ops.rnn(t.x, params, { ...opts, nonlinearity: c.nonlinearity });
}

async function compareCase(gpu: WebGpuBackend, rng: Random, c: Case): Promise<void> {
  const what = describeCase(c);
  const layers = c.layers ?? 1;
  const D = c.bidirectional ? 2 : 1;
  const twins = new Twins(rng, gpu);
  twins.add('x', c.batchFirst ? [c.N, c.T, c.I] : [c.T, c.N, c.I], 2);
  if (c.initial) {
    twins.add('h0', [D * layers, c.N, c.H]);
    if (c.mode === 'lstm') twins.add('c0', [D * layers, c.N, c.H]);
  }
  for (let l = 0; l < layers; l++) {
    for (let d = 0; d < D; d++) {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      const GH = G[c.mode] * c.H;
      twins.add(`weight_ih${sfx}`, [GH, l === 0 ? c.I : D * c.H]);
      twins.add(`weight_hh${sfx}`, [GH, c.H]);
      if (c.bias !== false) {
        twins.add(`bias_ih${sfx}`, [GH]);
        twins.add(`bias_hh${sfx}`, [GH]);
      }
      if (c.peepholes) twins.add(`weight_ph${sfx}`, [3, c.H]);
    }
  }
  const ref = runOn(cpu, c, twins.cpu);
  const got = runOn(gpu, c, twins.gpu);
  expect(got.output.shape, what).toEqual(ref.output.shape);
  expectClose(await got.output.data(), await ref.output.data(), `${what}: output`);
  expectClose(await got.h.data(), await ref.h.data(), `${what}: h`);
  if (ref.c) expectClose(await got.c!.data(), await ref.c.data(), `${what}: c`);
  for (const r of [ref, got]) for (const v of Object.values(r)) v?.dispose();
  twins.dispose();
}

describe('recurrent ops (WebGPU vs CPU)', () => {
  let gpu: WebGpuBackend;
  // The variants chosen for GPUs (k-split steps), run here on the software adapter too.
  let gpuTuned: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
    gpuTuned = await createGpuBackend({ tuning: 'gpu' });
  });
  afterAll(() => {
    gpu?.dispose();
    gpuTuned?.dispose();
  });

  it('lstm: T 1 and 7, N 1 and 3, I ≠ H, layers, bidirectional, batchFirst, h0/c0, peepholes, clip, no biases', async () => {
    const rng = new Random(1);
    const cases: Case[] = [
      { mode: 'lstm', T: 1, N: 1, I: 3, H: 5 },
      { mode: 'lstm', T: 7, N: 3, I: 4, H: 6, initial: true },
      { mode: 'lstm', T: 7, N: 3, I: 5, H: 4, layers: 2, bidirectional: true, initial: true },
      { mode: 'lstm', T: 7, N: 3, I: 5, H: 4, layers: 2, bidirectional: true, batchFirst: true },
      { mode: 'lstm', T: 7, N: 1, I: 6, H: 3, peepholes: true, clip: 0.7, initial: true, bidirectional: true },
      { mode: 'lstm', T: 5, N: 3, I: 4, H: 6, bias: false },
      // Larger N·H and H choose wider k-splits of the step (stepSplit: 4, 16, 32 lanes per unit),
      // with H not a multiple of the units per workgroup.
      { mode: 'lstm', T: 7, N: 3, I: 40, H: 37, initial: true },
      { mode: 'lstm', T: 2, N: 5, I: 5, H: 210, initial: true, bidirectional: true },
      { mode: 'lstm', T: 2, N: 1, I: 3, H: 520, peepholes: true },
    ];
    // The cases run every k-split the step kernel has, whatever the table in stepSplit says:
    // 4, 16 and 32 lanes per unit as chosen for GPUs, and 1 as chosen for software adapters.
    expect(new Set(cases.map((c) => stepSplit(c.N, c.H)))).toEqual(new Set([4, 16, 32]));
    expect(gpuTuned.softwareAdapter).toBe(false);
    for (const c of cases) await compareCase(gpuTuned, rng, c);
    expect(stepSplit(3, 37, gpu.softwareAdapter)).toBe(1);
    for (const c of cases) await compareCase(gpu, rng, c);
  });

  it('gru: both linearBeforeReset formulas, layers, bidirectional, batchFirst, clip, no biases', async () => {
    const rng = new Random(2);
    const cases: Case[] = [];
    for (const linearBeforeReset of [true, false]) {
      cases.push(
        { mode: 'gru', T: 1, N: 1, I: 3, H: 5, linearBeforeReset },
        { mode: 'gru', T: 7, N: 3, I: 5, H: 4, layers: 2, bidirectional: true, initial: true, linearBeforeReset },
        { mode: 'gru', T: 7, N: 3, I: 4, H: 6, batchFirst: true, clip: 0.5, linearBeforeReset },
        { mode: 'gru', T: 4, N: 2, I: 3, H: 5, bias: false, initial: true, linearBeforeReset },
        { mode: 'gru', T: 2, N: 4, I: 3, H: 300, initial: true, linearBeforeReset, sequenceLengths: [1, 2, 0, 2] },
      );
    }
    for (const c of cases) await compareCase(gpu, rng, c);
  });

  it('rnn: tanh and relu, layers, bidirectional, batchFirst, clip, no biases', async () => {
    const rng = new Random(3);
    const cases: Case[] = [
      { mode: 'rnn', T: 1, N: 1, I: 3, H: 5 },
      { mode: 'rnn', T: 7, N: 3, I: 5, H: 4, layers: 2, bidirectional: true, initial: true, nonlinearity: 'relu' },
      { mode: 'rnn', T: 7, N: 3, I: 4, H: 6, batchFirst: true, clip: 0.8, nonlinearity: 'tanh', bias: false },
    ];
    for (const c of cases) await compareCase(gpu, rng, c);
  });

  it('sequenceLengths (a 0 length included) in both directions, every mode', async () => {
    const rng = new Random(4);
    const cases: Case[] = [
      { mode: 'lstm', T: 7, N: 3, I: 4, H: 5, bidirectional: true, initial: true, sequenceLengths: [5, 0, 7] },
      { mode: 'lstm', T: 7, N: 3, I: 4, H: 5, layers: 2, bidirectional: true, batchFirst: true, peepholes: true, sequenceLengths: [7, 2, 0] },
      { mode: 'gru', T: 6, N: 3, I: 3, H: 4, bidirectional: true, initial: true, linearBeforeReset: false, sequenceLengths: [0, 3, 6] },
      { mode: 'gru', T: 6, N: 3, I: 3, H: 4, bidirectional: true, sequenceLengths: [1, 6, 4] },
      { mode: 'rnn', T: 5, N: 3, I: 2, H: 3, bidirectional: true, initial: true, nonlinearity: 'relu', sequenceLengths: [5, 0, 2] },
    ];
    for (const c of cases) await compareCase(gpu, rng, c);
  });

  it('empty sequences: T = 0 gives h0 (or zeros), N = 0 gives empty outputs', async () => {
    const rng = new Random(5);
    await compareCase(gpu, rng, { mode: 'lstm', T: 0, N: 2, I: 3, H: 4, initial: true, bidirectional: true });
    await compareCase(gpu, rng, { mode: 'gru', T: 0, N: 2, I: 3, H: 4 });
    await compareCase(gpu, rng, { mode: 'rnn', T: 3, N: 0, I: 3, H: 4 });
  });

  it('sequenceLengths for more batch rows than the init kernel holds is an UnsupportedError naming the limit', () => {
    const N = MAX_GPU_SEQUENCE_LENGTHS + 1;
    const x = gpu.tensor(new Float32Array(N), [1, N, 1]);
    const params = { weight_ih_l0: gpu.tensor([0.5], [1, 1]), weight_hh_l0: gpu.tensor([0.5], [1, 1]) };
    const lengths = new Array<number>(N).fill(1);
    expect(() => gpu.ops.rnn(x, params, { hiddenSize: 1, sequenceLengths: lengths })).toThrow(UnsupportedError);
    expect(() => gpu.ops.rnn(x, params, { hiddenSize: 1, sequenceLengths: lengths })).toThrow(/at most 4096 batch rows, got N = 4097/);
  });

  it('cells: lstmCell, gruCell (both formulas), rnnCell (tanh, relu), with and without biases', async () => {
    const rng = new Random(6);
    for (const mode of ['lstm', 'gru', 'rnn'] as const) {
      for (const [N, I, H, bias] of [
        [1, 3, 5, true],
        [3, 7, 4, false],
        [2, 9, 40, true],
      ] as const) {
        for (const variant of mode === 'lstm' ? [0] : [0, 1]) {
          const what = `${mode}Cell N=${N} I=${I} H=${H} bias=${bias} variant=${variant}`;
          const twins = new Twins(rng, gpu);
          twins.add('x', [N, I], 2);
          twins.add('h', [N, H]);
          twins.add('c', [N, H]);
          twins.add('weightIh', [G[mode] * H, I]);
          twins.add('weightHh', [G[mode] * H, H]);
          twins.add('biasIh', [G[mode] * H]);
          twins.add('biasHh', [G[mode] * H]);
          const step = (b: Backend, t: Record<string, Tensor>): Tensor[] => {
            const w = { weightIh: t.weightIh, weightHh: t.weightHh, biasIh: bias ? t.biasIh : null, biasHh: bias ? t.biasHh : null };
            if (mode === 'lstm') {
              const r = b.ops.lstmCell(t.x, t.h, t.c, w);
              return [r.h, r.c];
            }
            if (mode === 'gru') return [b.ops.gruCell(t.x, t.h, { ...w, linearBeforeReset: variant === 0 }).h];
            return [b.ops.rnnCell(t.x, t.h, { ...w, nonlinearity: variant === 0 ? 'tanh' : 'relu' }).h];
          };
          const ref = step(cpu, twins.cpu);
          const got = step(gpu, twins.gpu);
          for (let i = 0; i < ref.length; i++) expectClose(await got[i].data(), await ref[i].data(), `${what}: output ${i}`);
          twins.dispose();
        }
      }
    }
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
