// The GPU-vs-CPU cases of test/recurrent.gpu.test.ts as a plain Node script, for adapters that
// vitest cannot reach (the device machine has node and the `webgpu` package, not the test
// toolchain): every mode and option, each k-split of the step kernel, the cells. Prints one
// line per case and exits non-zero on a mismatch (DESIGN.md's tolerance).
//
//   npx vite build -c bench/lab/recurrent/vite.config.ts && node bench/lab/recurrent/dist/check.js
import { CpuBackend } from '../../../src/backends/cpu/cpuBackend';
import type { RecurrentMode } from '../../../src/ops/recurrent/recurrent';
import { stepSplit } from '../../../src/ops/recurrent/recurrentGpu';
import { Random } from '../../../src/random';
import type { Tensor } from '../../../src/tensor';
import { openBackend, runLab, tolerance, worstError } from '../harness';

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
  peepholes?: boolean;
  clip?: number;
  linearBeforeReset?: boolean;
  nonlinearity?: 'tanh' | 'relu';
  sequenceLengths?: number[];
}

const CASES: Case[] = [
  { mode: 'lstm', T: 7, N: 3, I: 5, H: 4, layers: 2, bidirectional: true, initial: true },
  { mode: 'lstm', T: 7, N: 3, I: 5, H: 4, layers: 2, bidirectional: true, batchFirst: true, peepholes: true, clip: 0.7 },
  { mode: 'lstm', T: 9, N: 5, I: 5, H: 210, initial: true, bidirectional: true },
  { mode: 'lstm', T: 5, N: 2, I: 3, H: 520, peepholes: true, sequenceLengths: [5, 3] },
  { mode: 'lstm', T: 28, N: 64, I: 28, H: 128, sequenceLengths: Array.from({ length: 64 }, (_, i) => (i * 7) % 29) },
  { mode: 'gru', T: 7, N: 3, I: 5, H: 4, layers: 2, bidirectional: true, initial: true, linearBeforeReset: true },
  { mode: 'gru', T: 7, N: 3, I: 5, H: 4, layers: 2, bidirectional: true, initial: true, linearBeforeReset: false },
  { mode: 'gru', T: 6, N: 4, I: 3, H: 300, initial: true, linearBeforeReset: false, sequenceLengths: [1, 6, 0, 4], bidirectional: true },
  { mode: 'gru', T: 6, N: 4, I: 3, H: 300, batchFirst: true, clip: 0.5 },
  { mode: 'rnn', T: 7, N: 3, I: 5, H: 4, layers: 2, bidirectional: true, initial: true, nonlinearity: 'relu', sequenceLengths: [7, 0, 3] },
  { mode: 'rnn', T: 6, N: 8, I: 9, H: 600, nonlinearity: 'tanh' },
];

/** The worst error in tolerances: ≤ 1 passes. */
function close(got: Float32Array, ref: Float32Array): number {
  return worstError(got, ref) / tolerance(ref);
}

async function main(): Promise<void> {
  const gpu = await openBackend();
  const cpu = new CpuBackend();
  const rng = new Random(1);
  let failed = 0;
  const report = (what: string, ratios: number[]) => {
    const worst = Math.max(...ratios);
    if (!(worst <= 1)) failed++;
    console.log(`${worst <= 1 ? 'ok  ' : 'FAIL'} ${what} (worst error / tolerance ${worst.toExponential(2)})`);
  };
  for (const c of CASES) {
    const L = c.layers ?? 1;
    const D = c.bidirectional ? 2 : 1;
    const both: Record<string, [Tensor, Tensor]> = {};
    const add = (name: string, shape: number[], scale = 1) => {
      const data = rng.fill(shape.reduce((a, b) => a * b, 1), -scale, scale);
      both[name] = [cpu.tensor(data, shape), gpu.tensor(data, shape)];
    };
    add('x', c.batchFirst ? [c.N, c.T, c.I] : [c.T, c.N, c.I], 2);
    if (c.initial) {
      add('h0', [D * L, c.N, c.H]);
      if (c.mode === 'lstm') add('c0', [D * L, c.N, c.H]);
    }
    for (let l = 0; l < L; l++) {
      for (let d = 0; d < D; d++) {
        const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
        const scale = 1 / Math.sqrt(c.H);
        add(`weight_ih${sfx}`, [G[c.mode] * c.H, l === 0 ? c.I : D * c.H], scale);
        add(`weight_hh${sfx}`, [G[c.mode] * c.H, c.H], scale);
        add(`bias_ih${sfx}`, [G[c.mode] * c.H], scale);
        add(`bias_hh${sfx}`, [G[c.mode] * c.H], scale);
        if (c.peepholes) add(`weight_ph${sfx}`, [3, c.H]);
      }
    }
    const run = (k: 0 | 1) => {
      const b = k === 0 ? cpu : gpu;
      const t = (name: string) => both[name]?.[k];
      const params = Object.fromEntries(Object.keys(both).filter((n) => /^(weight|bias)_/.test(n)).map((n) => [n, t(n)!]));
      const opts = { hiddenSize: c.H, numLayers: L, bidirectional: c.bidirectional, batchFirst: c.batchFirst, h0: t('h0'), clip: c.clip, sequenceLengths: c.sequenceLengths };
      if (c.mode === 'lstm') return Object.values(b.ops.lstm(t('x')!, params, { ...opts, c0: t('c0') }));
      if (c.mode === 'gru') return Object.values(b.ops.gru(t('x')!, params, { ...opts, linearBeforeReset: c.linearBeforeReset }));
      return Object.values(b.ops.rnn(t('x')!, params, { ...opts, nonlinearity: c.nonlinearity }));
    };
    const ref = run(0);
    const got = run(1);
    const ratios: number[] = [];
    for (let i = 0; i < ref.length; i++) ratios.push(close(await got[i].data(), await ref[i].data()));
    const flags = Object.entries(c).filter(([k]) => !['mode', 'T', 'N', 'I', 'H'].includes(k)).map(([k, v]) => `${k}=${Array.isArray(v) ? v.length + ' lengths' : v}`);
    report(`${c.mode} T=${c.T} N=${c.N} I=${c.I} H=${c.H} S=${stepSplit(c.H)} ${flags.join(' ')}`, ratios);
  }
  for (const mode of ['lstm', 'gru', 'rnn'] as const) {
    const [N, I, H] = [3, 7, 300];
    const both: Record<string, [Tensor, Tensor]> = {};
    for (const [name, shape] of [['x', [N, I]], ['h', [N, H]], ['c', [N, H]], ['wIh', [G[mode] * H, I]], ['wHh', [G[mode] * H, H]], ['bIh', [G[mode] * H]], ['bHh', [G[mode] * H]]] as const) {
      const data = rng.fill(shape.reduce((a: number, b: number) => a * b, 1), -0.2, 0.2);
      both[name] = [cpu.tensor(data, [...shape]), gpu.tensor(data, [...shape])];
    }
    const run = (k: 0 | 1) => {
      const b = k === 0 ? cpu : gpu;
      const t = (name: string) => both[name][k];
      const w = { weightIh: t('wIh'), weightHh: t('wHh'), biasIh: t('bIh'), biasHh: t('bHh') };
      if (mode === 'lstm') return Object.values(b.ops.lstmCell(t('x'), t('h'), t('c'), w));
      if (mode === 'gru') return Object.values(b.ops.gruCell(t('x'), t('h'), { ...w, linearBeforeReset: false }));
      return Object.values(b.ops.rnnCell(t('x'), t('h'), { ...w, nonlinearity: 'relu' }));
    };
    const ref = run(0);
    const got = run(1);
    const ratios: number[] = [];
    for (let i = 0; i < ref.length; i++) ratios.push(close(await got[i].data(), await ref[i].data()));
    report(`${mode}Cell N=${N} I=${I} H=${H}`, ratios);
  }
  gpu.dispose();
  if (failed > 0) {
    console.log(`${failed} case(s) failed`);
    process.exit(1);
  }
}

runLab(main);
