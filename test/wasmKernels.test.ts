// The CPU backend's wasm SIMD kernels (src/backends/cpu/wasm/) against the TypeScript references
// (src/ops/cpuKernels.ts) on random shapes — sizes off the micro-tile (6 × 8) and the packing
// blocks (96 rows, 256 deep, 2048 wide), one row, K = 1 and 0, strides and offsets, every
// epilogue — and NaN/±∞; how the backend falls back when wasm cannot run; and that the committed
// module is what its source compiles to.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { CpuBackend } from '../src/backends/cpu/cpuBackend';
import { ResidentStore } from '../src/backends/cpu/wasm/resident';
import { instantiateWasmKernels, type WasmKernels } from '../src/backends/cpu/wasm/wasmKernels';
import { createBackend } from '../src/backends/createBackend';
import { referenceKernels } from '../src/ops/cpuKernels';
import type { Activation } from '../src/ops/elementwise/activation';
import type { GemmEpilogue } from '../src/ops/op';
import { pool2dOp, type Pool2dAttrs } from '../src/ops/pool/pool2d';
import { resolveWindow, type PaddingAttr } from '../src/ops/window';
import * as nn from '../src/index';
import { sizeOf } from '../src/shape';
// @ts-expect-error a plain .mjs script without declarations
import { compileKernels, generatedModule, GENERATED, GENERATED_SHARED } from '../scripts/build-wasm.mjs';
import { cpu, cpuTypescript, expectClose, Random } from './helpers';

const wasm: WasmKernels = await instantiateWasmKernels();

const ACTIVATIONS: (Activation | undefined)[] = [
  undefined,
  { kind: 'relu' },
  { kind: 'leakyRelu', negativeSlope: 0.1 },
  { kind: 'clip', min: -0.5, max: 0.25 },
  { kind: 'sigmoid' },
  { kind: 'tanh' },
];

interface GemmCase {
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Extra elements at the start of every operand, and past each row (lda > cols). */
  offset: number;
  pad: number;
  accumulate: boolean;
  epilogue?: GemmEpilogue;
}

/** Runs `c` through both kernels on the same data (with NaN/±∞ sprinkled in when asked); returns [wasm, reference] C arrays. */
function runBoth(rng: Random, g: GemmCase, specials = false): [Float32Array, Float32Array] {
  const { m, n, k, transA, transB, offset, pad } = g;
  const [aRows, aCols] = transA ? [k, m] : [m, k];
  const [bRows, bCols] = transB ? [n, k] : [k, n];
  const lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
  const a = rng.fill(offset + aRows * lda, -1, 1);
  const b = rng.fill(offset + bRows * ldb, -1, 1);
  if (specials) {
    for (const v of [NaN, Infinity, -Infinity]) {
      a[offset + Math.floor(rng.next() * aRows) * lda + Math.floor(rng.next() * aCols)] = v;
      b[offset + Math.floor(rng.next() * bRows) * ldb + Math.floor(rng.next() * bCols)] = v;
    }
  }
  const c0 = rng.fill(offset + m * ldc, -1, 1);
  const got = c0.slice();
  const want = c0.slice();
  const args = [transA, transB, m, n, k] as const;
  wasm.gemm(...args, a, offset, lda, b, offset, ldb, got, offset, ldc, g.accumulate, g.epilogue);
  referenceKernels.gemm(...args, a, offset, lda, b, offset, ldb, want, offset, ldc, g.accumulate, g.epilogue);
  return [got, want];
}

describe('wasm gemm vs the TypeScript gemm', () => {
  const rng = new Random(16);
  // Edge sizes: 1 and the tile's neighbours (5–9), past a packing block (97, 257), a wide one past NC (2050),
  // and B read in place (m ≤ 8) over two depth blocks with a partial column strip.
  const shapes: [number, number, number][] = [
    [1, 1, 1], [1, 9, 7], [3, 17, 1], [4, 8, 16], [6, 8, 5], [7, 9, 13], [5, 31, 0], [13, 6, 257], [97, 23, 40], [20, 2050, 3], [2, 300, 70], [8, 21, 300],
  ];
  it.each(shapes)('m %i, n %i, k %i: every transposition, strided and offset, = and +=', (m, n, k) => {
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const [offset, pad, accumulate] of [[0, 0, false], [3, 2, true]] as const) {
          const what = `m ${m} n ${n} k ${k} transA ${transA} transB ${transB} offset ${offset} pad ${pad} accumulate ${accumulate}`;
          expectClose(...runBoth(rng, { m, n, k, transA, transB, offset, pad, accumulate }), what);
        }
      }
    }
  });

  it.each(ACTIVATIONS.map((a) => [a?.kind ?? 'none', a] as const))('epilogue: bias per row and per column, then %s', (_name, activation) => {
    for (const [m, n, k] of [[1, 13, 9], [7, 10, 5], [14, 19, 33]]) {
      for (const biasPer of ['row', 'column'] as const) {
        const bias = rng.fill(biasPer === 'row' ? m : n, -1, 1);
        for (const transB of [false, true]) {
          const what = `m ${m} n ${n} k ${k} bias per ${biasPer} transB ${transB}`;
          expectClose(...runBoth(rng, { m, n, k, transA: false, transB, offset: 1, pad: 1, accumulate: false, epilogue: { bias, biasPer, activation } }), what);
        }
      }
    }
  });

  it('propagates NaN and ±∞ as the reference does, through the relu epilogue too', () => {
    for (const [m, n, k] of [[1, 12, 10], [9, 11, 7], [12, 16, 300]]) {
      for (const transB of [false, true]) {
        for (const activation of [undefined, { kind: 'relu' } as const]) {
          const [got, want] = runBoth(rng, { m, n, k, transA: false, transB, offset: 0, pad: 0, accumulate: false, epilogue: { bias: null, biasPer: 'column', activation } }, true);
          expect(want.some((v) => !Number.isFinite(v)), 'the case has NaN or ±∞ results').toBe(true);
          expectClose(got, want, `m ${m} n ${n} k ${k} transB ${transB} ${activation?.kind ?? ''}`);
        }
      }
    }
  });

  it('refuses operands that do not fit their arrays, as the reference does', () => {
    const a = new Float32Array(6), b = new Float32Array(6), c = new Float32Array(4);
    expect(() => wasm.gemm(false, false, 2, 2, 4, a, 0, 4, b, 0, 2, c, 0, 2)).toThrow(/gemm: A \[2, 4\] at offset 0 with row stride 4 does not fit its array of 6 elements/);
  });
});

describe('wasm conv2d vs the TypeScript conv2d', () => {
  const rng = new Random(61);
  const cases: { x: number[]; w: number[]; stride?: [number, number]; pads?: PaddingAttr; dilation?: [number, number]; groups?: number; activation?: Activation }[] = [
    { x: [1, 1, 5, 5], w: [1, 1, 3, 3] },
    { x: [2, 3, 9, 7], w: [7, 3, 3, 3], pads: [1, 1, 1, 1], activation: { kind: 'relu' } },
    { x: [1, 4, 8, 8], w: [6, 4, 1, 1] }, // pointwise: no patches
    { x: [1, 4, 8, 8], w: [6, 4, 1, 1], stride: [2, 2] },
    { x: [2, 6, 10, 11], w: [6, 1, 3, 3], groups: 6, pads: [1, 0, 1, 2], activation: { kind: 'sigmoid' } }, // depthwise
    { x: [1, 4, 12, 12], w: [8, 2, 5, 5], groups: 2, stride: [2, 1], dilation: [1, 2], pads: [2, 2, 2, 2], activation: { kind: 'clip', min: 0, max: 0.3 } },
    { x: [1, 64, 9, 9], w: [10, 64, 3, 3], pads: [1, 1, 1, 1] }, // K 576: pixel tiles of the patches
    { x: [1, 1, 28, 28], w: [6, 1, 5, 5], pads: [2, 2, 2, 2], activation: { kind: 'tanh' } }, // LeNet's first layer (direct)
    { x: [3, 6, 14, 14], w: [16, 6, 5, 5], activation: { kind: 'sigmoid' } }, // LeNet's second layer (direct)
    { x: [2, 5, 11, 9], w: [9, 5, 3, 2], dilation: [2, 3], pads: [3, 1, 2, 4], activation: { kind: 'leakyRelu', negativeSlope: 0.2 } }, // direct: dilated, uneven padding
    { x: [1, 2, 6, 40], w: [3, 2, 3, 3], pads: [0, 0, 0, 0] }, // direct: 38 of 40 columns used
  ];
  it.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', (_name, c) => {
    const win = resolveWindow('conv2d', c.x, [c.w[2], c.w[3]], { stride: c.stride ?? [1, 1], padding: c.pads ?? [0, 0, 0, 0], dilation: c.dilation ?? [1, 1] });
    const yShape = [c.x[0], c.w[0], ...win.output];
    const x = { data: rng.fill(sizeOf(c.x)), shape: c.x };
    x.data[3] = NaN;
    const w = { data: rng.fill(sizeOf(c.w)), shape: c.w };
    const b = { data: rng.fill(c.w[0]), shape: [c.w[0]] };
    const got = { data: new Float32Array(sizeOf(yShape)).fill(7), shape: yShape };
    const want = { data: new Float32Array(sizeOf(yShape)), shape: yShape };
    wasm.conv2d(x, w, b, got, win, c.groups ?? 1, c.activation);
    referenceKernels.conv2d(x, w, b, want, win, c.groups ?? 1, c.activation);
    expectClose(got.data, want.data);
  });
});

it('warms up without an error, and the kernels compute as before after it (createBackend runs it)', async () => {
  const fresh = await instantiateWasmKernels();
  expect(() => fresh.warmUp()).not.toThrow();
  const rng = new Random(71);
  const x = { data: rng.fill(2 * 3 * 9 * 9), shape: [2, 3, 9, 9] };
  const w = { data: rng.fill(5 * 3 * 3 * 3), shape: [5, 3, 3, 3] };
  const win = resolveWindow('conv2d', x.shape, [3, 3], { stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1] });
  const got = { data: new Float32Array(2 * 5 * 81), shape: [2, 5, 9, 9] };
  const want = { data: new Float32Array(2 * 5 * 81), shape: [2, 5, 9, 9] };
  fresh.conv2d(x, w, null, got, win, 1, { kind: 'sigmoid' });
  referenceKernels.conv2d(x, w, null, want, win, 1, { kind: 'sigmoid' });
  expectClose(got.data, want.data);
});

describe('wasm pool2d vs the TypeScript loops (bit for bit; four whole windows at a time, the edges one at a time)', () => {
  const rng = new Random(67);
  const cases: { x: number[]; attrs: Partial<Pool2dAttrs> & Pick<Pool2dAttrs, 'mode' | 'kernel' | 'stride'> }[] = [
    { x: [3, 6, 28, 28], attrs: { mode: 'avg', kernel: [2, 2], stride: [2, 2] } }, // LeNet: paired columns
    { x: [2, 16, 10, 10], attrs: { mode: 'max', kernel: [2, 2], stride: [2, 2] } },
    { x: [1, 3, 9, 19], attrs: { mode: 'avg', kernel: [3, 2], stride: [1, 2], padding: [1, 0, 1, 0], countIncludePad: true } }, // OW 9: the last vector overlaps
    { x: [1, 2, 8, 13], attrs: { mode: 'max', kernel: [2, 2], stride: [2, 2], ceilMode: true } }, // the last column window is one cell
    { x: [1, 2, 7, 7], attrs: { mode: 'avg', kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1] } }, // the scalar path
    { x: [1, 1, 6, 6], attrs: { mode: 'max', kernel: [2, 2], stride: [2, 2], dilation: [2, 1] } },
    { x: [1, 4, 28, 28], attrs: { mode: 'max', kernel: [3, 3], stride: [1, 1], padding: [1, 1, 1, 1] } }, // GoogLeNet's branch pooling
    { x: [1, 3, 27, 27], attrs: { mode: 'max', kernel: [3, 3], stride: [2, 2], ceilMode: true } }, // GoogLeNet's reductions
    { x: [2, 3, 13, 23], attrs: { mode: 'avg', kernel: [3, 3], stride: [3, 3], padding: [1, 1, 1, 1], countIncludePad: true } }, // stride 3: lanes gathered
    { x: [1, 2, 12, 15], attrs: { mode: 'avg', kernel: [2, 3], stride: [1, 1], padding: [0, 1, 0, 1], dilation: [2, 2] } },
  ];
  it.each(cases.map((c) => [JSON.stringify(c), c] as const))('%s', (_name, c) => {
    const attrs: Pool2dAttrs = { padding: [0, 0, 0, 0], dilation: [1, 1], ceilMode: false, countIncludePad: false, ...c.attrs };
    const [yShape] = pool2dOp.inferShapes([c.x], attrs);
    const x = { data: rng.fill(sizeOf(c.x)), shape: c.x };
    for (const v of [NaN, Infinity, -Infinity, -0, 0]) x.data[Math.floor(rng.next() * x.data.length)] = v;
    const got = { data: new Float32Array(sizeOf(yShape!)).fill(7), shape: yShape! };
    const want = { data: new Float32Array(sizeOf(yShape!)), shape: yShape! };
    pool2dOp.cpu([x], [got], attrs, wasm);
    pool2dOp.cpu([x], [want], attrs, undefined);
    expect(got.data).toEqual(want.data);
  });
});

describe('wasm recurrent steps vs the TypeScript ones (through the lstm, gru and rnn ops)', () => {
  const rng = new Random(7);
  const variants: [string, 'lstm' | 'gru' | 'rnn', Record<string, unknown>][] = [
    ['lstm, 2 layers, bidirectional, batch-first', 'lstm', { numLayers: 2, bidirectional: true, batchFirst: true }],
    ['lstm, peepholes, clip, sequence lengths', 'lstm', { peepholes: true, clip: 0.7, sequenceLengths: [4, 1, 0] }],
    ['gru (PyTorch form), bidirectional, sequence lengths', 'gru', { bidirectional: true, sequenceLengths: [2, 4, 3] }],
    ['gru (ONNX form: the TypeScript step)', 'gru', { linearBeforeReset: false }],
    ['rnn relu', 'rnn', { nonlinearity: 'relu' }],
    ['rnn tanh, hidden 13', 'rnn', { hiddenSize: 13 }],
    // The step works in blocks of 8 units over an even count of inputs: odd sizes past one block.
    ['lstm, hidden 19, peepholes, reverse', 'lstm', { hiddenSize: 19, peepholes: true, bidirectional: true }],
    ['gru, hidden 17, 2 layers, sequence lengths', 'gru', { hiddenSize: 17, numLayers: 2, sequenceLengths: [3, 4, 1] }],
    ['rnn relu, hidden 24', 'rnn', { hiddenSize: 24, nonlinearity: 'relu' }],
  ];
  it.each(variants)('%s', async (_name, mode, { peepholes, ...opts }) => {
    const [T, N, I] = [4, 3, 5];
    const H = (opts.hiddenSize as number | undefined) ?? 6;
    const G = { lstm: 4, gru: 3, rnn: 1 }[mode];
    const D = opts.bidirectional ? 2 : 1;
    const layers = (opts.numLayers as number | undefined) ?? 1;
    const data: Record<string, [Float32Array, number[]]> = {};
    for (let l = 0; l < layers; l++) {
      for (const suffix of D === 2 ? ['', '_reverse'] : ['']) {
        const inputs = l === 0 ? I : D * H;
        data[`weight_ih_l${l}${suffix}`] = [rng.fill(G * H * inputs), [G * H, inputs]];
        data[`weight_hh_l${l}${suffix}`] = [rng.fill(G * H * H), [G * H, H]];
        data[`bias_ih_l${l}${suffix}`] = [rng.fill(G * H), [G * H]];
        data[`bias_hh_l${l}${suffix}`] = [rng.fill(G * H), [G * H]];
        if (peepholes) data[`weight_ph_l${l}${suffix}`] = [rng.fill(3 * H), [3, H]];
      }
    }
    const xData = rng.fill(T * N * I, -2, 2);
    xData[2] = NaN; // batch row 0's first step: NaN through every later step of that row
    const results: Float32Array[][] = [];
    for (const backend of [cpu, cpuTypescript]) {
      const params = Object.fromEntries(Object.entries(data).map(([k, [v, shape]]) => [k, backend.tensor(v, shape)]));
      const x = backend.tensor(xData, opts.batchFirst ? [N, T, I] : [T, N, I]);
      const out = (backend.ops[mode] as (...a: unknown[]) => Record<string, { data(): Promise<Float32Array> }>)(x, params, { hiddenSize: H, ...opts });
      results.push(await Promise.all(Object.keys(out).sort().map((k) => out[k].data())));
    }
    results[0].forEach((got, i) => expectClose(got, results[1][i], `output ${i}`));
  });
});

describe("wasm sigmoid and tanh (wasm/activation.ts's SIMD approximations)", () => {
  // Every float32 step over [−30, 30] would be too many: a dense grid, small values near 0 (where
  // tanh switches to its polynomial), and the values around the switch at |x| = 0.25.
  const grid: number[] = [];
  for (let i = -30000; i <= 30000; i++) grid.push(i / 1000 + 0.0001234);
  for (let e = -30; e <= 0; e += 0.01) grid.push(2 ** e, -(2 ** e));
  for (let d = -1e-3; d <= 1e-3; d += 1e-6) grid.push(0.25 + d, -0.25 - d);
  const x = Float32Array.from(grid);
  const reference = { sigmoid: (v: number) => 1 / (1 + Math.exp(-v)), tanh: Math.tanh };

  it.each(['sigmoid', 'tanh'] as const)('%s: within 4e-7 relative of float64, the documented bound', async (kind) => {
    const y = await cpu.ops[kind](cpu.tensor(x, [x.length])).data();
    let worst = 0;
    for (let i = 0; i < x.length; i++) {
      const want = reference[kind](x[i]);
      worst = Math.max(worst, Math.abs(y[i] - want) / Math.abs(want));
    }
    expect(worst).toBeLessThan(4e-7);
  });

  it.each(['sigmoid', 'tanh'] as const)('%s: NaN passes, ±∞ and huge inputs give the limits', async (kind) => {
    const y = await cpu.ops[kind](cpu.tensor([NaN, Infinity, -Infinity, 1e30, -1e30, 0, -0], [7])).data();
    expect(Number.isNaN(y[0])).toBe(true);
    const low = kind === 'sigmoid' ? 0 : -1;
    expect([y[1], y[3]]).toEqual([1, 1]);
    for (const v of [y[2], y[4]]) expect(Math.abs(v - low)).toBeLessThan(1e-37);
    expect(y[5]).toBe(kind === 'sigmoid' ? 0.5 : 0);
    if (kind === 'tanh') expect(Object.is(y[6], -0)).toBe(true);
  });
});

describe('compiled graphs: weights resident in wasm memory (src/backends/cpu/wasm/resident.ts)', () => {
  const models: [string, () => nn.Module, number[]][] = [
    ['LeNet (sigmoid epilogues, average pooling)', () => nn.models.lenet({ seed: 3 }), [2, 1, 28, 28]],
    ['GRU (hidden 13) under a 2-layer bidirectional LSTM (hidden 19)', () => nn.sequential([nn.layers.gru(7, 13), nn.layers.lstm(13, 19, { numLayers: 2, bidirectional: true })], { inputShape: [3, 7], seed: 4 }), [5, 3, 7]], // T 5, batch 3
  ];
  it.each(models)('%s: the TypeScript kernels\' outputs, run after run and in a second session', async (_name, build, shape) => {
    const model = build();
    const x = new Random(9).fill(sizeOf(shape), -2, 2);
    const reference = await nn.compile(model, cpuTypescript, { inputShape: shape });
    const want = await (await reference.run(cpuTypescript.tensor(x, shape)) as nn.Tensor).data();
    const first = await nn.compile(model, cpu, { inputShape: shape });
    for (let run = 0; run < 2; run++) expectClose(await (await first.run(cpu.tensor(x, shape)) as nn.Tensor).data(), want, `run ${run}`);
    // A second session over the same weights while the first lives, then alone.
    const second = await nn.compile(model, cpu, { inputShape: shape });
    expectClose(await (await second.run(cpu.tensor(x, shape)) as nn.Tensor).data(), want, 'second session');
    first.dispose();
    expectClose(await (await second.run(cpu.tensor(x, shape)) as nn.Tensor).data(), want, 'second session, first disposed');
    second.dispose();
    reference.dispose();
  });

  it('keeps copies only of retained arrays, drops them when changed or released, and reuses the room', () => {
    const memory = { end: 0 };
    const store = new ResidentStore(1024, (end) => ((memory.end = Math.max(memory.end, end)), true));
    const made: number[] = [];
    const make = (ptr: number) => (made.push(ptr), true);
    const [a, b, bias] = [new Float32Array(100), new Float32Array(10), new Float32Array(4)];
    expect(store.get(a, 'copy', 400, make)).toBe(0); // not retained
    store.retain(a);
    store.retain(b);
    store.retain(bias);
    expect(store.get(a, 'copy', 400, make)).toBe(1024);
    expect(store.get(a, 'copy', 400, make)).toBe(1024); // made once
    expect(store.get(b, 'packed', 40, make, bias)).toBe(1024 + 448);
    expect(store.end).toBe(1024 + 448 + 64);
    expect(made).toEqual([1024, 1024 + 448]);
    store.changed(bias); // b's packed form was made with it
    expect(store.get(b, 'packed', 40, make, bias)).toBe(1024 + 448);
    expect(made).toHaveLength(3);
    store.retain(a);
    store.release(a); // one retain left: the copy stays
    expect(store.get(a, 'copy', 400, make)).toBe(1024);
    store.release(a);
    expect(store.get(a, 'copy', 400, make)).toBe(0);
    store.retain(a);
    expect(store.get(a, 'copy', 100, make)).toBe(1024); // the freed room, first fit
    expect(store.get(bias, 'copy', 16, make)).toBe(1024 + 128); // the gap before b's form
    expect(memory.end).toBe(1024 + 448 + 40);
  });
});

describe('the CPU backend and its kernels', () => {
  afterEach(() => vi.unstubAllGlobals());

  it("runs the wasm kernels by default (the tests' shared backend included), the TypeScript ones with { wasm: false }", async () => {
    // Threads by default: the cores, at most 4 (test/wasmThreads.test.ts checks the pool).
    expect(cpu.info).toMatchObject({ kernels: 'wasm-simd', threads: Math.min(4, availableParallelism()) });
    const fast = await createBackend('cpu');
    expect(fast.name).toBe('cpu');
    expect((fast as CpuBackend).info.kernels).toBe('wasm-simd');
    const plain = (await createBackend('cpu', { wasm: false })) as CpuBackend;
    expect(plain.info).toEqual({ kernels: 'typescript', reason: 'wasm: false was asked for', threads: 1 });
    // The same linear layer on both.
    const rng = new Random(5);
    const [x, w, b] = [rng.fill(3 * 20), rng.fill(7 * 20), rng.fill(7)];
    const run = async (be: CpuBackend) => be.ops.linear(be.tensor(x, [3, 20]), be.tensor(w, [7, 20]), be.tensor(b, [7])).data();
    expectClose(await run(fast as CpuBackend), await run(plain));
    fast.dispose();
    plain.dispose();
  });

  it('falls back to the TypeScript kernels, saying why, where WebAssembly is missing', async () => {
    vi.stubGlobal('WebAssembly', undefined);
    const backend = await CpuBackend.create();
    expect(backend.info.kernels).toBe('typescript');
    expect(backend.info.reason).toBe('the wasm kernels cannot run here: WebAssembly is not available in this environment');
    const y = backend.ops.relu(backend.tensor([-1, 2], [2]));
    expect(Array.from(await y.data())).toEqual([0, 2]);
  });

  it("falls back where compiling wasm fails (a page whose Content-Security-Policy lacks 'wasm-unsafe-eval')", async () => {
    const real = WebAssembly;
    vi.stubGlobal('WebAssembly', {
      validate: (bytes: Uint8Array<ArrayBuffer>) => real.validate(bytes),
      instantiate: () => Promise.reject(new real.CompileError("WebAssembly.instantiate(): Refused to compile or instantiate WebAssembly module because 'unsafe-eval' is not an allowed source of script")),
    });
    const backend = await CpuBackend.create();
    expect(backend.info.kernels).toBe('typescript');
    expect(backend.info.reason).toMatch(/^the wasm kernels cannot run here: compiling WebAssembly failed .*Refused to compile/);
  });

  it('falls back where the engine has no SIMD', async () => {
    vi.stubGlobal('WebAssembly', { validate: () => false, instantiate: () => Promise.reject(new Error('not reached')) });
    const backend = await CpuBackend.create();
    expect(backend.info.reason).toBe('the wasm kernels cannot run here: this WebAssembly engine does not support 128-bit SIMD');
  });
});

it('the committed wasm modules are what wasm/*.ts compiles to (npm run build:wasm rebuilds them)', async () => {
  expect(readFileSync(GENERATED, 'utf8')).toBe(generatedModule(await compileKernels()));
  expect(readFileSync(GENERATED_SHARED, 'utf8')).toBe(generatedModule(await compileKernels({ shared: true }), { shared: true }));
}, 120_000);
