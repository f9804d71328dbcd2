import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ShapeError } from '../src/errors';
import { gru, lstm, packRecurrentInputs, recurrentOp, rnn, type RecurrentMode, type RecurrentOptions } from '../src/ops/recurrent/recurrent';
import { gruCell, lstmCell, recurrentCellOp, rnnCell } from '../src/ops/recurrent/recurrentCell';
import type { Tensor } from '../src/tensor';
import { cpu, expectClose, Random, randomTensor } from './helpers';

type Params = Record<string, Tensor>;
const G: Record<RecurrentMode, number> = { lstm: 4, gru: 3, rnn: 1 };
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

function run(mode: RecurrentMode, x: Tensor, params: Params, opts: RecurrentOptions<Tensor>): { output: Tensor; h: Tensor; c?: Tensor } {
  if (mode === 'lstm') return lstm(cpu, x, params, opts);
  if (mode === 'gru') return gru(cpu, x, params, opts);
  return rnn(cpu, x, params, opts);
}

const read = (t: Tensor) => t.data();

/** Random PyTorch-named parameters for `layers` layers and `dirs` directions. */
function randomParams(
  rng: Random,
  mode: RecurrentMode,
  inputSize: number,
  H: number,
  { layers = 1, dirs = 1, bias = true, peepholes = false } = {},
): Params {
  const params: Params = {};
  for (let l = 0; l < layers; l++) {
    for (let d = 0; d < dirs; d++) {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      const I = l === 0 ? inputSize : dirs * H;
      params[`weight_ih${sfx}`] = randomTensor(rng, [G[mode] * H, I]);
      params[`weight_hh${sfx}`] = randomTensor(rng, [G[mode] * H, H]);
      if (bias) {
        params[`bias_ih${sfx}`] = randomTensor(rng, [G[mode] * H]);
        params[`bias_hh${sfx}`] = randomTensor(rng, [G[mode] * H]);
      }
      if (peepholes) params[`weight_ph${sfx}`] = randomTensor(rng, [3, H]);
    }
  }
  return params;
}

// ---------------------------------------------------------------------------------------------
// Hand-worked scalar references: I = H = N = 1, so every matmul is one product.

interface Scalars {
  wIh: number[];
  wHh: number[];
  bIh: number[];
  bHh: number[];
}

function scalarLstm(xs: number[], w: Scalars, h: number, c: number, { p = [0, 0, 0], clip = Infinity } = {}) {
  const cl = (v: number) => Math.min(Math.max(v, -clip), clip);
  const pre = (k: number, x: number, hp: number) => w.wIh[k] * x + w.bIh[k] + w.wHh[k] * hp + w.bHh[k];
  const out: number[] = [];
  for (const x of xs) {
    const i = sigmoid(cl(pre(0, x, h) + p[0] * c));
    const f = sigmoid(cl(pre(1, x, h) + p[1] * c));
    const g = Math.tanh(cl(pre(2, x, h)));
    c = f * c + i * g;
    const o = sigmoid(cl(pre(3, x, h) + p[2] * c));
    h = o * Math.tanh(c);
    out.push(h);
  }
  return { out, h, c };
}

function scalarGru(xs: number[], w: Scalars, h: number, { linearBeforeReset = true, clip = Infinity } = {}) {
  const cl = (v: number) => Math.min(Math.max(v, -clip), clip);
  const out: number[] = [];
  for (const x of xs) {
    const r = sigmoid(cl(w.wIh[0] * x + w.bIh[0] + w.wHh[0] * h + w.bHh[0]));
    const z = sigmoid(cl(w.wIh[1] * x + w.bIh[1] + w.wHh[1] * h + w.bHh[1]));
    const recurrent = linearBeforeReset ? r * (w.wHh[2] * h + w.bHh[2]) : w.wHh[2] * (r * h) + w.bHh[2];
    const n = Math.tanh(cl(w.wIh[2] * x + w.bIh[2] + recurrent));
    h = (1 - z) * n + z * h;
    out.push(h);
  }
  return { out, h };
}

function scalarRnn(xs: number[], w: Scalars, h: number, { relu = false, clip = Infinity } = {}) {
  const out: number[] = [];
  for (const x of xs) {
    const v = Math.min(Math.max(w.wIh[0] * x + w.bIh[0] + w.wHh[0] * h + w.bHh[0], -clip), clip);
    h = relu ? Math.max(v, 0) : Math.tanh(v);
    out.push(h);
  }
  return { out, h };
}

function scalarParams(w: Scalars, peepholes?: number[]): Params {
  const g = w.wIh.length;
  const params: Params = {
    weight_ih_l0: cpu.tensor(w.wIh, [g, 1]),
    weight_hh_l0: cpu.tensor(w.wHh, [g, 1]),
    bias_ih_l0: cpu.tensor(w.bIh, [g]),
    bias_hh_l0: cpu.tensor(w.bHh, [g]),
  };
  if (peepholes) params.weight_ph_l0 = cpu.tensor(peepholes, [3, 1]);
  return params;
}

const xs = [0.5, -1.2, 2];
const x1 = cpu.tensor(xs, [3, 1, 1]);
const lstmW: Scalars = { wIh: [0.1, 0.2, 0.3, 0.4], wHh: [0.5, -0.6, 0.7, -0.8], bIh: [0.01, 0.02, 0.03, 0.04], bHh: [0.1, -0.2, 0.3, -0.4] };
const gruW: Scalars = { wIh: [0.3, -0.5, 0.8], wHh: [-0.4, 0.6, 0.9], bIh: [0.05, -0.1, 0.2], bHh: [0.3, 0.1, -0.7] };
const rnnW: Scalars = { wIh: [0.9], wHh: [-0.7], bIh: [0.2], bHh: [-0.1] };

describe('recurrent ops: hand-worked examples (CPU)', () => {
  it('lstm follows i, f, g, o with c and h', async () => {
    const h0 = cpu.tensor([0.3], [1, 1, 1]);
    const c0 = cpu.tensor([-0.5], [1, 1, 1]);
    const got = lstm(cpu, x1, scalarParams(lstmW), { hiddenSize: 1, h0, c0 });
    const want = scalarLstm(xs, lstmW, 0.3, -0.5);
    expect(got.output.shape).toEqual([3, 1, 1]);
    expectClose(await read(got.output), want.out, 'output');
    expectClose(await read(got.h), [want.h], 'h');
    expectClose(await read(got.c), [want.c], 'c');
  });

  it('gru follows r, z, n for both linearBeforeReset values', async () => {
    const h0 = cpu.tensor([0.6], [1, 1, 1]);
    for (const linearBeforeReset of [true, false]) {
      const got = gru(cpu, x1, scalarParams(gruW), { hiddenSize: 1, h0, linearBeforeReset });
      const want = scalarGru(xs, gruW, 0.6, { linearBeforeReset });
      expectClose(await read(got.output), want.out, `output (linearBeforeReset ${linearBeforeReset})`);
      expectClose(await read(got.h), [want.h], 'h');
    }
    // The default is PyTorch's formula, and the two formulas differ here (b_hn ≠ 0, r ≠ 1).
    const byDefault = await read(gru(cpu, x1, scalarParams(gruW), { hiddenSize: 1, h0 }).output);
    expectClose(byDefault, scalarGru(xs, gruW, 0.6).out, 'default');
    expect(Math.abs(scalarGru(xs, gruW, 0.6).h - scalarGru(xs, gruW, 0.6, { linearBeforeReset: false }).h)).toBeGreaterThan(1e-3);
  });

  it('rnn with tanh and relu', async () => {
    for (const nonlinearity of ['tanh', 'relu'] as const) {
      const got = rnn(cpu, x1, scalarParams(rnnW), { hiddenSize: 1, nonlinearity });
      const want = scalarRnn(xs, rnnW, 0, { relu: nonlinearity === 'relu' });
      expectClose(await read(got.output), want.out, nonlinearity);
      expectClose(await read(got.h), [want.h], 'h');
    }
    // relu clamps the negative pre-activation of step 2 to exactly 0.
    expect((await read(rnn(cpu, x1, scalarParams(rnnW), { hiddenSize: 1, nonlinearity: 'relu' }).output))[1]).toBe(0);
  });

  it('lstm peepholes: P_i, P_f see c_{t−1}, P_o sees c_t', async () => {
    const p = [0.7, -1.1, 1.3];
    const c0 = cpu.tensor([0.8], [1, 1, 1]);
    const got = lstm(cpu, x1, scalarParams(lstmW, p), { hiddenSize: 1, c0 });
    const want = scalarLstm(xs, lstmW, 0, 0.8, { p });
    expectClose(await read(got.output), want.out, 'output');
    expectClose(await read(got.c), [want.c], 'c');
    // A peephole of zeros is the same as none.
    const zeros = lstm(cpu, x1, scalarParams(lstmW, [0, 0, 0]), { hiddenSize: 1, c0 });
    expectClose(await read(zeros.output), scalarLstm(xs, lstmW, 0, 0.8).out, 'zero peepholes');
  });

  it('clip clamps every gate pre-activation', async () => {
    const clip = 0.25;
    const c0 = cpu.tensor([0.8], [1, 1, 1]);
    const l = lstm(cpu, x1, scalarParams(lstmW, [0.7, -1.1, 1.3]), { hiddenSize: 1, c0, clip });
    expectClose(await read(l.output), scalarLstm(xs, lstmW, 0, 0.8, { p: [0.7, -1.1, 1.3], clip }).out, 'lstm');
    for (const linearBeforeReset of [true, false]) {
      const g = gru(cpu, x1, scalarParams(gruW), { hiddenSize: 1, clip, linearBeforeReset });
      expectClose(await read(g.output), scalarGru(xs, gruW, 0, { clip, linearBeforeReset }).out, 'gru');
    }
    const r = rnn(cpu, x1, scalarParams(rnnW), { hiddenSize: 1, clip, nonlinearity: 'relu' });
    expectClose(await read(r.output), scalarRnn(xs, rnnW, 0, { clip, relu: true }).out, 'rnn');
    // Step 3's pre-activation (≈ 1.9) is clamped: relu gives the clip itself.
    expect((await read(r.output))[2]).toBeCloseTo(clip, 6);
  });
});

// ---------------------------------------------------------------------------------------------

// Every option of each mode (cells, bidirectional, layers, batchFirst, states, sequence lengths)
// against the oracle (src/ops/recurrent/recurrentOracle.ts): test/ops/cases.ts.
describe('recurrent ops: empty tensors, MACs (CPU)', () => {
  it('T = 0 gives an empty output and h = h0; N = 0 gives empty tensors', async () => {
    const rng = new Random(16);
    const params = randomParams(rng, 'lstm', 3, 2, { dirs: 2 });
    const h0 = randomTensor(rng, [2, 4, 2]);
    const got = lstm(cpu, cpu.zeros([0, 4, 3]), params, { hiddenSize: 2, bidirectional: true, h0 });
    expect(got.output.shape).toEqual([0, 4, 4]);
    expect(Array.from(await read(got.h))).toEqual(Array.from(await read(h0)));
    expect(Array.from(await read(got.c))).toEqual(new Array(16).fill(0));
    const noBatch = gru(cpu, cpu.zeros([5, 0, 3]), randomParams(rng, 'gru', 3, 2), { hiddenSize: 2 });
    expect(noBatch.output.shape).toEqual([5, 0, 2]);
    expect(noBatch.h.shape).toEqual([1, 0, 2]);
    const cell = rnnCell(cpu, cpu.zeros([0, 3]), cpu.zeros([0, 2]), { weightIh: cpu.zeros([2, 3]), weightHh: cpu.zeros([2, 2]) });
    expect(cell.h.shape).toEqual([0, 2]);
  });

  it('macs = Σ over layers and directions T·N·G·H·(I_l + H)', () => {
    const rng = new Random(17);
    const [T, N, I, H] = [5, 2, 3, 4];
    for (const mode of ['lstm', 'gru', 'rnn'] as const) {
      const x = cpu.zeros([T, N, I]);
      const { inputs, attrs } = packRecurrentInputs(mode, x, randomParams(rng, mode, I, H, { layers: 2, dirs: 2 }), {
        hiddenSize: H,
        numLayers: 2,
        bidirectional: true,
      });
      const shapes = inputs.map((t) => t?.shape ?? null);
      expect(recurrentOp.macs!(shapes, attrs)).toBe(2 * T * N * G[mode] * H * (I + H) + 2 * T * N * G[mode] * H * (2 * H + H));
    }
    const single = packRecurrentInputs('rnn', cpu.zeros([T, N, I]), randomParams(rng, 'rnn', I, H), { hiddenSize: H });
    expect(recurrentOp.macs!(single.inputs.map((t) => t?.shape ?? null), single.attrs)).toBe(T * N * H * (I + H));
    const cellAttrs = { mode: 'gru', nonlinearity: 'tanh', linearBeforeReset: true } as const;
    expect(recurrentCellOp.macs!([[N, I], [N, H], null, [3 * H, I], [3 * H, H], null, null], cellAttrs)).toBe(N * 3 * H * (I + H));
  });
});

describe('recurrent ops: errors are ShapeErrors naming the problem', () => {
  const rng = new Random(18);
  const [T, N, I, H] = [3, 2, 3, 2];
  const x = randomTensor(rng, [T, N, I]);
  const params = randomParams(rng, 'lstm', I, H, { dirs: 2 });
  const opts = { hiddenSize: H, bidirectional: true };
  const throws = (f: () => unknown, message: RegExp) => {
    expect(f).toThrow(ShapeError);
    expect(f).toThrow(message);
  };
  const without = (name: string) => Object.fromEntries(Object.entries(params).filter(([k]) => k !== name));

  it('unknown and missing parameters', () => {
    throws(() => lstm(cpu, x, { ...params, weight_ih_l1: params.weight_ih_l0 }, opts), /unknown parameter weight_ih_l1/);
    throws(() => lstm(cpu, x, { ...params, weights_ih_l0: params.weight_ih_l0 }, opts), /unknown parameter weights_ih_l0/);
    throws(() => lstm(cpu, x, params, { hiddenSize: H }), /unknown parameter weight_ih_l0_reverse/);
    const gruParams = randomParams(rng, 'gru', I, H);
    throws(() => gru(cpu, x, { ...gruParams, weight_ph_l0: cpu.zeros([3, H]) }, { hiddenSize: H }), /unknown parameter weight_ph_l0/);
    throws(() => lstm(cpu, x, without('weight_hh_l0_reverse'), opts), /missing parameter\(s\) weight_hh_l0_reverse/);
    throws(() => lstm(cpu, x, without('weight_ih_l0'), opts), /weight_ih_l0/);
    // A missing bias is zero, not an error.
    expect(lstm(cpu, x, without('bias_hh_l0'), opts).output.shape).toEqual([T, N, 2 * H]);
  });

  it('wrong parameter and state shapes', () => {
    throws(() => lstm(cpu, x, { ...params, weight_ih_l0: cpu.zeros([8, 2]) }, opts), /weight_ih_l0 has shape \[8, 2\], expected \[8, 3\]/);
    throws(() => lstm(cpu, x, { ...params, weight_hh_l0_reverse: cpu.zeros([6, 2]) }, opts), /weight_hh_l0_reverse has shape \[6, 2\], expected \[8, 2\]/);
    throws(() => lstm(cpu, x, { ...params, bias_ih_l0: cpu.zeros([8, 1]) }, opts), /bias_ih_l0 has shape \[8, 1\], expected \[8\]/);
    throws(() => lstm(cpu, x, { ...params, weight_ph_l0: cpu.zeros([4, H]) }, opts), /weight_ph_l0 has shape \[4, 2\], expected \[3, 2\]/);
    throws(() => lstm(cpu, x, params, { ...opts, h0: cpu.zeros([1, N, H]) }), /h0 has shape \[1, 2, 2\], expected \[2, 2, 2\]/);
    throws(() => lstm(cpu, x, params, { ...opts, c0: cpu.zeros([2, N, 3]) }), /c0 has shape \[2, 2, 3\], expected \[2, 2, 2\]/);
    throws(() => lstm(cpu, x, params, { ...opts, batchFirst: true, h0: cpu.zeros([2, N, H]) }), /h0 has shape \[2, 2, 2\], expected \[2, 3, 2\]/);
    throws(() => lstm(cpu, cpu.zeros([T, N]), params, opts), /x must have rank 3/);
    // The second layer's input is D·H wide.
    const deep = randomParams(rng, 'rnn', I, H, { layers: 2 });
    throws(() => rnn(cpu, x, { ...deep, weight_ih_l1: cpu.zeros([H, I]) }, { hiddenSize: H, numLayers: 2 }), /weight_ih_l1 has shape \[2, 3\], expected \[2, 2\]/);
  });

  it('bad options', () => {
    throws(() => lstm(cpu, x, params, { bidirectional: true } as never), /hiddenSize is required/);
    throws(() => lstm(cpu, x, params, undefined as never), /hiddenSize/);
    throws(() => lstm(cpu, x, params, { ...opts, hiddenSize: 0 }), /hiddenSize must be a positive integer/);
    throws(() => lstm(cpu, x, params, { ...opts, hiddenSize: 2.5 }), /hiddenSize must be a positive integer/);
    throws(() => lstm(cpu, x, params, { ...opts, numLayers: 0 }), /numLayers must be a positive integer/);
    throws(() => lstm(cpu, x, params, { ...opts, sequenceLengths: [3] }), /sequenceLengths has 1 entries, expected one per batch row \(N = 2\)/);
    throws(() => lstm(cpu, x, params, { ...opts, sequenceLengths: [3, 4] }), /sequenceLengths \[3, 4\] must hold integers in \[0, 3\]/);
    throws(() => lstm(cpu, x, params, { ...opts, sequenceLengths: [-1, 2] }), /sequenceLengths/);
    throws(() => lstm(cpu, x, params, { ...opts, sequenceLengths: [1.5, 2] }), /sequenceLengths/);
    throws(() => lstm(cpu, x, params, { ...opts, clip: 0 }), /clip must be a positive number/);
    throws(() => lstm(cpu, x, params, { ...opts, clip: NaN }), /clip must be a positive number/);
    const gruParams = randomParams(rng, 'gru', I, H);
    throws(() => gru(cpu, x, gruParams, { hiddenSize: H, c0: cpu.zeros([1, N, H]) } as never), /option c0 applies to lstm only/);
    throws(() => gru(cpu, x, gruParams, { hiddenSize: H, nonlinearity: 'relu' } as never), /option nonlinearity applies to rnn only/);
    const rnnParams = randomParams(rng, 'rnn', I, H);
    throws(() => rnn(cpu, x, rnnParams, { hiddenSize: H, nonlinearity: 'sigmoid' as never }), /nonlinearity must be 'tanh' or 'relu'/);
    throws(() => rnn(cpu, x, rnnParams, { hiddenSize: H, batchFirst: 1 as never }), /batchFirst must be true or false/);
  });

  it('cells', () => {
    const w = { weightIh: cpu.zeros([4 * H, I]), weightHh: cpu.zeros([4 * H, H]) };
    const [xc, h, c] = [cpu.zeros([N, I]), cpu.zeros([N, H]), cpu.zeros([N, H])];
    expect(lstmCell(cpu, xc, h, c, w).c.shape).toEqual([N, H]);
    throws(() => lstmCell(cpu, cpu.zeros([T, N, I]), h, c, w), /lstmCell: x must have rank 2/);
    throws(() => lstmCell(cpu, xc, cpu.zeros([3, H]), c, w), /lstmCell: h has shape \[3, 2\], expected \[2, 2\]/);
    throws(() => lstmCell(cpu, xc, h, null as never, w), /lstmCell: c is missing/);
    throws(() => lstmCell(cpu, xc, h, c, { ...w, weightIh: cpu.zeros([4 * H, 2]) }), /weightIh has shape \[8, 2\], expected \[8, 3\]/);
    throws(() => lstmCell(cpu, xc, h, c, { ...w, weightHh: undefined as never }), /weightHh is missing/);
    throws(() => lstmCell(cpu, xc, h, c, { ...w, biasHh: cpu.zeros([H]) }), /biasHh has shape \[2\], expected \[8\]/);
    throws(() => gruCell(cpu, xc, h, w), /gruCell: weightIh has shape \[8, 3\], expected \[6, 3\]/);
    throws(() => rnnCell(cpu, xc, h, { weightIh: cpu.zeros([H, I]), weightHh: cpu.zeros([H, H]), nonlinearity: 'gelu' as never }), /nonlinearity/);
  });
});

// ---------------------------------------------------------------------------------------------
// PyTorch fixtures (scripts/fixtures/make_recurrent_fixtures.py; torch is not needed to test).

interface FixtureTensor {
  shape: number[];
  data: number[];
}
interface Fixture {
  module: string;
  config: { hiddenSize: number; numLayers?: number; bidirectional?: boolean; batchFirst?: boolean; nonlinearity: 'tanh' | 'relu'; sequenceLengths?: number[] | null };
  x: FixtureTensor;
  params: Record<string, FixtureTensor>;
  h0?: FixtureTensor;
  c0?: FixtureTensor;
  output?: FixtureTensor;
  h: FixtureTensor;
  c?: FixtureTensor;
}

const fixture = (name: string): Fixture => JSON.parse(readFileSync(new URL(`./data/recurrent/${name}.json`, import.meta.url), 'utf8'));
const toTensor = (t: FixtureTensor) => cpu.tensor(t.data, t.shape);

describe('recurrent ops match PyTorch (fixtures)', () => {
  it.each(['lstm', 'lstm_packed', 'gru', 'gru_packed', 'rnn_tanh', 'rnn_relu'])('%s', async (name) => {
    const f = fixture(name);
    const mode = f.module.toLowerCase() as RecurrentMode;
    const params = Object.fromEntries(Object.entries(f.params).map(([k, t]) => [k, toTensor(t)]));
    const got = run(mode, toTensor(f.x), params, {
      hiddenSize: f.config.hiddenSize,
      numLayers: f.config.numLayers,
      bidirectional: f.config.bidirectional,
      batchFirst: f.config.batchFirst,
      sequenceLengths: f.config.sequenceLengths,
      h0: f.h0 ? toTensor(f.h0) : null,
      ...(mode === 'lstm' ? { c0: f.c0 ? toTensor(f.c0) : null } : {}),
      ...(mode === 'rnn' ? { nonlinearity: f.config.nonlinearity } : {}),
    });
    expect(got.output.shape).toEqual(f.output!.shape);
    expectClose(await read(got.output), f.output!.data, `${name}: output`);
    expectClose(await read(got.h), f.h.data, `${name}: h`);
    if (f.c) expectClose(await read(got.c!), f.c.data, `${name}: c`);
  });

  it.each(['lstm_cell', 'gru_cell', 'rnn_cell'])('%s', async (name) => {
    const f = fixture(name);
    const p = f.params;
    const weights = { weightIh: toTensor(p.weight_ih), weightHh: toTensor(p.weight_hh), biasIh: toTensor(p.bias_ih), biasHh: toTensor(p.bias_hh) };
    const [x, h] = [toTensor(f.x), toTensor(f.h0!)];
    if (f.module === 'LSTMCell') {
      const got = lstmCell(cpu, x, h, toTensor(f.c0!), weights);
      expectClose(await read(got.h), f.h.data, `${name}: h`);
      expectClose(await read(got.c), f.c!.data, `${name}: c`);
    } else {
      const got = f.module === 'GRUCell' ? gruCell(cpu, x, h, weights) : rnnCell(cpu, x, h, { ...weights, nonlinearity: f.config.nonlinearity });
      expectClose(await read(got.h), f.h.data, `${name}: h`);
    }
  });
});
