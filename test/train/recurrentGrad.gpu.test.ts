// Recurrent training on WebGPU, in one file so that its tests share one backend's pipelines:
// backpropagation through time against the CPU reference on every option and random shapes (the
// training forward's saved rows and recurrentGrad's gradients, sequence ops and cells); PyTorch's
// three SGD and Adam steps of an LSTM, a GRU and a 2-layer bidirectional LSTM (each + linear,
// cross-entropy at every step; the LSTM's also with clipGradNorm, computed on the device); and one
// command buffer per step of the zoo's character LSTM with every pipeline built at compile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../../src/backends/webgpu/webgpuBackend';
import { packRecurrentInputs, recurrentOp, type RecurrentMode } from '../../src/ops/recurrent/recurrent';
import { recurrentCellOp, type RecurrentCellAttrs } from '../../src/ops/recurrent/recurrentCell';
import { recurrentGradOp } from '../../src/ops/recurrent/recurrentGrad';
import * as nn from '../../src/index';
import type { Tensor } from '../../src/tensor';
import { createGpuBackend } from '../gpu';
import { cpu, expectClose, Random, twinTensors } from '../helpers';
import { recurrentRuns, replayRecurrentFixture } from '../trainingRecurrentFixtures';

interface Case {
  mode: RecurrentMode;
  T: number;
  N: number;
  I: number;
  H: number;
  opts: Record<string, unknown>;
  initial: boolean;
  bias: boolean;
  peepholes: boolean;
  /** No gradient through the output sequence (a cell's case): only the final states'. */
  noDy?: boolean;
}

/** Every option at least once per mode, on small shapes (each option set builds its own pipelines). */
const CASES: Case[] = [
  { mode: 'lstm', T: 3, N: 2, I: 3, H: 5, opts: { numLayers: 2, bidirectional: true, clip: 0.8, sequenceLengths: [3, 1] }, initial: true, bias: true, peepholes: true },
  { mode: 'lstm', T: 4, N: 3, I: 4, H: 3, opts: { batchFirst: true }, initial: false, bias: false, peepholes: false, noDy: true },
  { mode: 'gru', T: 3, N: 3, I: 3, H: 4, opts: { numLayers: 2, bidirectional: true, linearBeforeReset: false, sequenceLengths: [2, 0, 3] }, initial: true, bias: true, peepholes: false },
  { mode: 'gru', T: 4, N: 2, I: 5, H: 6, opts: { batchFirst: true, clip: 0.7 }, initial: false, bias: true, peepholes: false },
  { mode: 'rnn', T: 3, N: 2, I: 2, H: 4, opts: { numLayers: 2, bidirectional: true, nonlinearity: 'relu', sequenceLengths: [1, 3] }, initial: true, bias: true, peepholes: false },
  { mode: 'rnn', T: 5, N: 2, I: 3, H: 3, opts: { batchFirst: true, clip: 0.9, nonlinearity: 'tanh' }, initial: false, bias: false, peepholes: false },
];

/** A random shape and option set (two per mode, on top of CASES). */
function randomCase(rng: Random, mode: RecurrentMode): Case {
  const [T, N, H] = [rng.int(1, 6), rng.int(1, 4), rng.int(1, 9)];
  const opts: Record<string, unknown> = { numLayers: rng.int(1, 2), bidirectional: rng.next() < 0.5, batchFirst: rng.next() < 0.3 };
  if (rng.next() < 0.3) opts.sequenceLengths = Array.from({ length: N }, () => rng.int(0, T));
  if (rng.next() < 0.2) opts.clip = 0.8;
  if (mode === 'gru') opts.linearBeforeReset = rng.next() < 0.5;
  if (mode === 'rnn') opts.nonlinearity = rng.next() < 0.5 ? 'tanh' : 'relu';
  return { mode, T, N, I: rng.int(1, 7), H, opts, initial: rng.next() < 0.5, bias: rng.next() < 0.8, peepholes: mode === 'lstm' && rng.next() < 0.3 };
}

describe('recurrent training on WebGPU', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  async function check(rng: Random, c: Case): Promise<void> {
    const what = `${c.mode} T ${c.T} N ${c.N} I ${c.I} ${JSON.stringify(c.opts)}${c.initial ? ' h0/c0' : ''}${c.bias ? '' : ' no bias'}${c.peepholes ? ' peepholes' : ''}`;
    const D = c.opts.bidirectional ? 2 : 1;
    const L = (c.opts.numLayers as number | undefined) ?? 1;
    const G = { lstm: 4, gru: 3, rnn: 1 }[c.mode];
    const pairs: Record<string, [Tensor, Tensor]> = {};
    const x = c.opts.batchFirst ? [c.N, c.T, c.I] : [c.T, c.N, c.I];
    pairs.x = twinTensors(rng, x, gpu, -2, 2);
    for (let l = 0; l < L; l++) {
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        pairs[`weight_ih${sfx}`] = twinTensors(rng, [G * c.H, l === 0 ? c.I : D * c.H], gpu);
        pairs[`weight_hh${sfx}`] = twinTensors(rng, [G * c.H, c.H], gpu);
        if (c.bias) {
          pairs[`bias_ih${sfx}`] = twinTensors(rng, [G * c.H], gpu);
          pairs[`bias_hh${sfx}`] = twinTensors(rng, [G * c.H], gpu);
        }
        if (c.peepholes) pairs[`weight_ph${sfx}`] = twinTensors(rng, [3, c.H], gpu);
      }
    }
    if (c.initial) {
      pairs.h0 = twinTensors(rng, [D * L, c.N, c.H], gpu);
      if (c.mode === 'lstm') pairs.c0 = twinTensors(rng, [D * L, c.N, c.H], gpu);
    }
    const side = (k: 0 | 1) => {
      const params = Object.fromEntries(Object.entries(pairs).filter(([n]) => /^(weight|bias)_/.test(n)).map(([n, p]) => [n, p[k]]));
      return packRecurrentInputs(c.mode, pairs.x[k], params, { ...c.opts, hiddenSize: c.H, h0: pairs.h0?.[k], c0: pairs.c0?.[k] } as never);
    };
    const [cpuSide, gpuSide] = [side(0), side(1)];
    const attrs = { ...cpuSide.attrs, keepGates: true };
    const want = cpu.runOp(recurrentOp, cpuSide.inputs, attrs);
    const got = gpu.runOp(recurrentOp, gpuSide.inputs, attrs);
    const names = c.mode === 'lstm' ? ['output', 'h', 'c', 'saved'] : ['output', 'h', 'saved'];
    for (let i = 0; i < want.length; i++) expectClose(await got[i].data(), await want[i].data(), `${what}: forward ${names[i]}`);

    // The gradient from random dy, dh (and dc), on each backend's own forward.
    const dy = twinTensors(rng, want[0].shape as number[], gpu);
    const dh = twinTensors(rng, want[1].shape as number[], gpu);
    const dc = c.mode === 'lstm' ? twinTensors(rng, want[2].shape as number[], gpu) : null;
    const saved = want.length - 1;
    const grad = (k: 0 | 1, s: typeof cpuSide, outs: Tensor[], b: typeof cpu | WebGpuBackend) =>
      b.runOp(recurrentGradOp, [s.inputs[0], s.inputs[1], s.inputs[2], outs[saved], c.noDy ? null : dy[k], dh[k], dc?.[k] ?? null, ...s.inputs.slice(3)], attrs);
    const gWant = grad(0, cpuSide, want, cpu);
    const gGot = grad(1, gpuSide, got, gpu);
    expect(gGot.length).toBe(gWant.length);
    for (let i = 0; i < gWant.length; i++) expectClose(await gGot[i].data(), await gWant[i].data(), `${what}: gradient output ${i}`);
  }

  it.each(CASES.map((c, i) => [`${c.mode} #${i}`, c, i] as const))('%s', (_name, c, i) => check(new Random(50 + i), c));
  it.each(['lstm', 'gru', 'rnn'] as const)('%s: random shapes and options', async (mode) => {
    const rng = new Random({ lstm: 71, gru: 72, rnn: 73 }[mode]);
    for (let trial = 0; trial < 2; trial++) await check(rng, randomCase(rng, mode));
  });

  // The training forward (SAVE) through the step kernel's k-split: the GPU table splits k over 4
  // invocations at H = 260, so the saved rows come from the slice-0 lanes after the barrier.
  it.each(['lstm', 'gru'] as const)('%s: the training forward with the GPU tuning (k-split 4) keeps the same rows as the CPU', async (mode) => {
    const tuned = await createGpuBackend({ tuning: 'gpu' });
    try {
      const rng = new Random(80);
      const [T, N, I, H, G] = [2, 2, 3, 260, { lstm: 4, gru: 3 }[mode]];
      const params = ([['weight_ih_l0', [G * H, I]], ['weight_hh_l0', [G * H, H]], ['bias_ih_l0', [G * H]], ['bias_hh_l0', [G * H]]] as const).map(
        ([name, shape]) => [name, [...shape], rng.fill(shape.reduce((a: number, b: number) => a * b, 1), -0.1, 0.1)] as const,
      );
      const x = rng.fill(T * N * I, -2, 2);
      const opts = (mode === 'gru' ? { hiddenSize: H, linearBeforeReset: false } : { hiddenSize: H }) as never;
      const side = (b: typeof cpu | WebGpuBackend) =>
        packRecurrentInputs(mode, b.tensor(x, [T, N, I]), Object.fromEntries(params.map(([n, shape, data]) => [n, b.tensor(data, shape)])), opts);
      const [c, g] = [side(cpu), side(tuned)];
      const want = cpu.runOp(recurrentOp, c.inputs, { ...c.attrs, keepGates: true });
      const got = tuned.runOp(recurrentOp, g.inputs, { ...g.attrs, keepGates: true });
      for (let i = 0; i < want.length; i++) expectClose(await got[i].data(), await want[i].data(), `${mode} H ${H} (GPU tuning): forward output ${i}`);
    } finally {
      tuned.dispose();
    }
  });

  it.each(['lstm', 'gru', 'rnn'] as const)('%sCell: the training forward keeps the same rows as the CPU', async (mode) => {
    const rng = new Random(60);
    const [N, I, H, G] = [3, 4, 5, { lstm: 4, gru: 3, rnn: 1 }[mode]];
    const t = [twinTensors(rng, [N, I], gpu), twinTensors(rng, [N, H], gpu), mode === 'lstm' ? twinTensors(rng, [N, H], gpu) : null, twinTensors(rng, [G * H, I], gpu), twinTensors(rng, [G * H, H], gpu), twinTensors(rng, [G * H], gpu), null];
    const attrs: RecurrentCellAttrs = { mode, nonlinearity: 'tanh', linearBeforeReset: mode !== 'gru', keepGates: true };
    const want = cpu.runOp(recurrentCellOp, t.map((p) => p?.[0] ?? null), attrs);
    const got = gpu.runOp(recurrentCellOp, t.map((p) => p?.[1] ?? null), attrs);
    for (let i = 0; i < want.length; i++) expectClose(await got[i].data(), await want[i].data(), `${mode}Cell output ${i}`);
  });

  it.each(recurrentRuns(false))('three %s %s steps match PyTorch 1.13', (model, run) => replayRecurrentFixture(gpu, model, run));
  it.each(recurrentRuns(true))('three %s %s steps (clip_grad_norm_ on the device) match PyTorch 1.13', (model, run) => replayRecurrentFixture(gpu, model, run));

  it('a step of the zoo LSTM is one command buffer and builds no pipeline after compile', async () => {
    const [T, N, V] = [35, 4, 28];
    const model = nn.models.lstm({ seqLength: T });
    const trainer = await nn.compileTraining(model, gpu, { optimizer: nn.optim.adam({ lr: 0.01 }), batchSize: N });
    const pipelines = gpu.pipelines.size;
    const rng = new Random(3);
    const x = new Float32Array(T * N * V);
    const targets = new Float32Array(T * N);
    for (let i = 0; i < T * N; i++) {
      x[i * V + rng.int(0, V - 1)] = 1;
      targets[i] = rng.int(0, V - 1);
    }
    const input = gpu.tensor(x, [T, N, V]);
    const before = { ...gpu.counters };
    const loss = await trainer.step(input, targets);
    expect(gpu.counters.commandBuffers - before.commandBuffers).toBe(1);
    expect(gpu.counters.submits - before.submits).toBe(1);
    expect(gpu.pipelines.size).toBe(pipelines);
    expect(Number.isFinite((await loss.data())[0])).toBe(true);
    trainer.dispose();
  });
});
