// The wasm kernels' worker pool (src/backends/cpu/wasm/threadPool.ts) in Node (worker_threads):
// GEMMs split over threads give the bits one thread gives, on random shapes (column and row
// chunks, GEMV rows, transposes, strides, epilogues) and with NaN/±∞; convolutions and an LSTM
// through the backend; convolutions over several images split by images (the direct kernel and
// im2col, grouped, odd image counts, LeNet compiled), also when a worker stops holding images; the
// workers really take chunks; dispose() ends them, with runs pending;
// a worker that fails to start, or no SharedArrayBuffer, leaves one thread with the reason; and a
// Node script on threads exits (the built dist/: `npm run build` first).
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { CpuBackend } from '../src/backends/cpu/cpuBackend';
import { chunking, defaultSpawners, MIN_POOLED_MACS, startThreadedKernels, type PoolWorker } from '../src/backends/cpu/wasm/threadPool';
import { createBackend } from '../src/backends/createBackend';
import type { WasmKernels } from '../src/backends/cpu/wasm/wasmKernels';
import { compile, layers as L, lenet, sequential } from '../src/index';
import type { Activation } from '../src/ops/elementwise/activation';
import { resolveWindow, type Pads } from '../src/ops/window';
import { NNError } from '../src/errors';
import type { GemmEpilogue } from '../src/ops/op';
import { Random } from '../src/random';

const one = await CpuBackend.create({ threads: 1 });
// Three threads on two cores: more threads than cores must still be exact (and finish).
const pooled = [await CpuBackend.create({ threads: 2 }), await CpuBackend.create({ threads: 3 })];
// Small products split too (the cases stay quick); one case below keeps the default threshold.
for (const b of pooled) b.pool!.minMacs = 0;
afterAll(() => [one, ...pooled].forEach((b) => b.dispose()));

/** The same bits (NaN payloads included). */
function expectSameBits(got: Float32Array, want: Float32Array, what: string): void {
  const g = new Uint32Array(got.buffer, got.byteOffset, got.length);
  const w = new Uint32Array(want.buffer, want.byteOffset, want.length);
  const first = g.findIndex((v, i) => v !== w[i]);
  expect(first, `${what}: first difference at ${first} (${got[first]} vs ${want[first]})`).toBe(-1);
}

describe('GEMMs on a worker pool are bit-identical to one thread', () => {
  it('reports its threads', () => {
    expect(one.info).toEqual({ kernels: 'wasm-simd', threads: 1, threadsReason: 'threads: 1 was asked for' });
    expect(pooled.map((b) => b.info)).toEqual([
      { kernels: 'wasm-simd', threads: 2 },
      { kernels: 'wasm-simd', threads: 3 },
    ]);
  });

  const rng = new Random(16);
  const EPILOGUES: (GemmEpilogue | undefined)[] = [
    undefined,
    { bias: rng.fill(512), biasPer: 'column', activation: { kind: 'relu' } },
    { bias: rng.fill(512), biasPer: 'row', activation: { kind: 'leakyRelu', negativeSlope: 0.1 } },
    { bias: null, biasPer: 'column', activation: { kind: 'clip', min: -0.5, max: 0.25 } },
    { bias: rng.fill(512), biasPer: 'column', activation: { kind: 'sigmoid' } },
  ];
  // [m, n, k]: column chunks (n ≥ 64), row chunks (narrow n), GEMV rows (m < 4), sizes off the
  // micro-tile, past KC = 256 deep (two k blocks per output), k = 1 and 0.
  const SHAPES: [number, number, number][] = [
    [64, 64, 64],
    [37, 203, 61],
    [3, 1000, 300],
    [1, 517, 700],
    [301, 40, 97],
    [133, 13, 300],
    [90, 150, 520],
    [5, 70, 800],
    [9, 66, 1],
    [36, 65, 0],
  ];
  const cases = SHAPES.flatMap(([m, n, k], i) => [false, true].map((transB) => ({ m, n, k, transA: i % 3 === 1, transB, pad: i % 2 ? 3 : 0, offset: i % 4, accumulate: i % 2 === 0, epilogue: EPILOGUES[i % EPILOGUES.length] })));

  it.each(cases)('m $m, n $n, k $k, transA $transA, transB $transB, pad $pad, accumulate $accumulate', (g) => {
    const { m, n, k, transA, transB, pad, offset } = g;
    expect(chunking(m, n, 2), 'the case is split').not.toBeNull();
    const [aRows, aCols] = transA ? [k, m] : [m, k];
    const [bRows, bCols] = transB ? [n, k] : [k, n];
    const lda = aCols + pad, ldb = bCols + pad, ldc = n + pad;
    const a = rng.fill(offset + aRows * lda, -1, 1);
    const b = rng.fill(offset + bRows * ldb, -1, 1);
    if (m % 2) {
      for (const v of [NaN, Infinity, -Infinity]) {
        a[offset + rng.int(0, aRows - 1) * lda + rng.int(0, aCols - 1)] = v;
        b[offset + rng.int(0, bRows - 1) * ldb + rng.int(0, bCols - 1)] = v;
      }
    }
    const c0 = rng.fill(offset + m * ldc, -1, 1);
    const run = (backend: CpuBackend) => {
      const c = c0.slice();
      backend.kernels.gemm(transA, transB, m, n, k, a, offset, lda, b, offset, ldb, c, offset, ldc, g.accumulate, g.epilogue);
      return c;
    };
    const want = run(one);
    for (const backend of pooled) expectSameBits(run(backend), want, `${backend.info.threads} threads`);
  });

  it('the workers take chunks (1024 × 1024 × 256, the default threshold)', () => {
    const [m, n, k] = [1024, 1024, 256];
    expect(m * n * k).toBeGreaterThan(MIN_POOLED_MACS);
    const a = rng.fill(m * k), b = rng.fill(k * n);
    const want = new Float32Array(m * n);
    one.kernels.gemm(false, false, m, n, k, a, 0, k, b, 0, n, want, 0, n);
    for (const backend of pooled) {
      backend.pool!.minMacs = MIN_POOLED_MACS;
      const before = backend.pool!.workerChunks;
      // A busy machine may leave a worker asleep while the caller runs every chunk: a few tries.
      for (let i = 0; i < 20 && backend.pool!.workerChunks === before; i++) {
        const c = new Float32Array(m * n);
        backend.kernels.gemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n);
        expectSameBits(c, want, `${backend.info.threads} threads`);
      }
      expect(backend.pool!.workerChunks).toBeGreaterThan(before);
      backend.pool!.minMacs = 0;
    }
  });

  it('a GEMM whose chunks trap (C past the memory) fails with an NNError, and the pool works on', () => {
    const pool = pooled[0].pool!;
    expect(() => pool.gemm(0, 0, 64, 512, 64, 0, 64, 0, 512, 2 ** 31 - 2 ** 16, 512, 0, 0, 0, 0, 0, 0, 2 ** 30)).toThrow(NNError);
    const a = rng.fill(64 * 64), b = rng.fill(64 * 512);
    const want = new Float32Array(64 * 512), got = new Float32Array(64 * 512);
    one.kernels.gemm(false, false, 64, 512, 64, a, 0, 64, b, 0, 512, want, 0, 512);
    pooled[0].kernels.gemm(false, false, 64, 512, 64, a, 0, 64, b, 0, 512, got, 0, 512);
    expectSameBits(got, want, 'after the failed GEMM');
  });

  it('convolutions (3×3 through im2col, strided, grouped, 1×1) and an LSTM through the ops', async () => {
    const results: Float32Array[][] = [];
    const xData = rng.fill(2 * 16 * 20 * 20), w3 = rng.fill(32 * 16 * 9), w1 = rng.fill(64 * 32), wg = rng.fill(32 * 8 * 9), bias = rng.fill(64);
    xData[5] = NaN;
    const lstm = { weight_ih_l0: [rng.fill(4 * 96 * 48), [4 * 96, 48]], weight_hh_l0: [rng.fill(4 * 96 * 96), [4 * 96, 96]], bias_ih_l0: [rng.fill(4 * 96), [4 * 96]], bias_hh_l0: [rng.fill(4 * 96), [4 * 96]] } as const;
    const seq = rng.fill(24 * 2 * 48);
    for (const backend of [one, ...pooled]) {
      const o = backend.ops;
      const x = backend.tensor(xData, [2, 16, 20, 20]);
      const y3 = o.relu(o.conv2d(x, backend.tensor(w3, [32, 16, 3, 3]), backend.tensor(bias.subarray(0, 32), [32]), { padding: 1 }));
      const ys = o.conv2d(x, backend.tensor(w3, [32, 16, 3, 3]), null, { stride: 2, padding: 1 });
      const yg = o.conv2d(x, backend.tensor(wg, [32, 8, 3, 3]), null, { groups: 2 });
      const y1 = o.conv2d(y3, backend.tensor(w1, [64, 32, 1, 1]), backend.tensor(bias, [64]));
      const params = Object.fromEntries(Object.entries(lstm).map(([k, [v, shape]]) => [k, backend.tensor(v, shape)]));
      const h = o.lstm(backend.tensor(seq, [24, 2, 48]), params, { hiddenSize: 96 });
      results.push(await Promise.all([y3, ys, yg, y1, h.output, h.h].map((t) => t.data())));
    }
    for (const got of results.slice(1)) got.forEach((g, i) => expectSameBits(g, results[0][i], `output ${i}`));
  });
});

describe('convolutions over several images, split by images over the pool: bit-identical to one thread', () => {
  const rng = new Random(18);
  interface Conv {
    name: string;
    x: [number, number, number];
    w: [number, number, number, number];
    stride?: number;
    pad?: number;
    dilation?: number;
    groups?: number;
    bias?: boolean;
    activation?: Activation;
  }
  // The direct kernel (stride 1, one group, a small image most of whose padded width is output:
  // LeNet's layers) and im2col (strided, grouped, an image of several tiles, 1×1 read in place).
  const CONVS: Conv[] = [
    { name: 'direct 5×5 pad 2 (LeNet conv1)', x: [1, 16, 16], w: [6, 1, 5, 5], pad: 2, bias: true, activation: { kind: 'sigmoid' } },
    { name: 'direct 5×5 (LeNet conv2)', x: [6, 14, 14], w: [16, 6, 5, 5], bias: true, activation: { kind: 'relu' } },
    { name: 'direct 3×3 dilation 2', x: [4, 12, 12], w: [5, 4, 3, 3], pad: 2, dilation: 2, activation: { kind: 'leakyRelu', negativeSlope: 0.1 } },
    { name: 'im2col 3×3 stride 2', x: [8, 20, 20], w: [12, 8, 3, 3], stride: 2, pad: 1, bias: true, activation: { kind: 'clip', min: -0.5, max: 0.25 } },
    { name: 'im2col 3×3, 2 groups', x: [8, 18, 18], w: [10, 4, 3, 3], pad: 1, groups: 2, bias: true, activation: { kind: 'tanh' } },
    { name: 'im2col 3×3, 3 tiles per image', x: [16, 48, 48], w: [8, 16, 3, 3], pad: 1, bias: true },
    { name: 'pointwise 1×1', x: [16, 10, 10], w: [24, 16, 1, 1], bias: true, activation: { kind: 'relu' } },
  ];
  // On 2 and 3 threads: fewer images than threads, threads + 1, an odd count past the chunks per thread.
  const IMAGES = [2, 3, 4, 7];
  const cases = CONVS.flatMap((conv) => IMAGES.map((images) => ({ ...conv, images })));

  /** y = conv(x, w, b) through the backend's kernels (the epilogue fused, as a compiled graph calls them). */
  function convolve(backend: CpuBackend, c: Conv & { images: number }, x: Float32Array, w: Float32Array, bias: Float32Array | null): Float32Array {
    const win = resolveWindow('conv2d', [c.images, ...c.x], [c.w[2], c.w[3]], { stride: [c.stride ?? 1, c.stride ?? 1], padding: Array(4).fill(c.pad ?? 0) as Pads, dilation: [c.dilation ?? 1, c.dilation ?? 1] });
    const y = new Float32Array(c.images * c.w[0] * win.output[0] * win.output[1]).fill(7);
    backend.kernels.conv2d({ data: x, shape: [c.images, ...c.x] }, { data: w, shape: c.w }, bias && { data: bias, shape: [c.w[0]] }, { data: y, shape: [c.images, c.w[0], ...win.output] }, win, c.groups ?? 1, c.activation);
    return y;
  }

  it.each(cases)('$name, $images images', (c) => {
    const x = rng.fill(c.images * c.x[0] * c.x[1] * c.x[2], -1, 1);
    const w = rng.fill(c.w[0] * c.w[1] * c.w[2] * c.w[3], -1, 1);
    const bias = c.bias ? rng.fill(c.w[0], -1, 1) : null;
    // NaN and ±∞ in the first and last images.
    const image = x.length / c.images;
    x[rng.int(0, image - 1)] = NaN;
    x[rng.int(0, image - 1)] = Infinity;
    x[x.length - 1 - rng.int(0, image - 1)] = -Infinity;
    const want = convolve(one, c, x, w, bias);
    expect(want.some(Number.isNaN) && want.some((v) => Number.isFinite(v) && v !== 0), 'the case has NaN and finite outputs').toBe(true);
    for (const backend of pooled) expectSameBits(convolve(backend, c, x, w, bias), want, `${backend.info.threads} threads`);
  });

  it('LeNet at batch 8, compiled: the same bits on 2 and 3 threads, the workers taking images', async () => {
    const x = rng.fill(8 * 28 * 28, -1, 1);
    const outputs: Float32Array[] = [];
    for (const backend of [one, ...pooled]) {
      const session = await compile(lenet({ seed: 3 }), backend, { inputShape: [8, 1, 28, 28] });
      const before = backend.pool?.workerChunks ?? 0;
      const input = backend.tensor(x, [8, 1, 28, 28]);
      // A busy machine may leave a worker asleep while the caller runs every chunk: a few tries.
      for (let i = 0; i < 20; i++) {
        const y = await session.run(input);
        outputs.push(await y.data());
        y.dispose();
        if (!backend.pool || backend.pool.workerChunks > before) break;
      }
      if (backend.pool) expect(backend.pool.workerChunks, `${backend.info.threads} threads`).toBeGreaterThan(before);
      session.dispose();
    }
    for (const y of outputs.slice(1)) expectSameBits(y, outputs[0], 'LeNet');
  });
});

describe('two backends on threads in one process', () => {
  const rng = new Random(19);

  it('one growing its shared memory leaves the compiled runs of the other right', async () => {
    const [a, b] = pooled;
    const session = await compile(lenet({ seed: 4 }), a, { inputShape: [2, 1, 28, 28] });
    const x = a.tensor(rng.fill(2 * 28 * 28, -1, 1), [2, 1, 28, 28]);
    const want = await (await session.run(x)).data();
    // b's memory grows (a product larger than it holds, cheap at k = 1): V8 then gives a's memory,
    // which did not grow, a new buffer object.
    const m = 4096, n = Math.ceil((b.kernels as WasmKernels).memoryBytes / 4 / m) + 1024;
    b.kernels.gemm(false, false, m, n, 1, new Float32Array(m), 0, 1, new Float32Array(n), 0, n, new Float32Array(m * n), 0, n);
    expectSameBits(await (await session.run(x)).data(), want, 'after the other memory grew');
    session.dispose();
  });
});

describe('chunking', () => {
  it('covers C once, in column chunks of multiples of 8 or row chunks of at least 16 rows (never the GEMV path)', () => {
    for (let m = 1; m <= 300; m += 7) {
      for (const n of [1, 5, 31, 63, 64, 65, 100, 1000, 4097]) {
        for (const threads of [2, 3, 4]) {
          const split = chunking(m, n, threads);
          if (!split) {
            expect(n < 64 && m < 32, `${m}×${n}`).toBe(true);
            continue;
          }
          const extent = split.rows ? m : n;
          const last = extent - (split.chunks - 1) * split.size;
          expect(split.size % (split.rows ? 4 : 8)).toBe(0);
          expect(last, `${m}×${n} on ${threads}: the last chunk`).toBeGreaterThan(0);
          if (split.rows) expect(last).toBeGreaterThanOrEqual(split.size);
          else expect(last).toBeLessThanOrEqual(split.size);
          expect(split.chunks).toBeLessThan(2 ** 16);
        }
      }
    }
  });
});

describe('dispose and fallbacks', () => {
  afterEach(() => vi.unstubAllGlobals());

  // A split GEMM is one synchronous call: dispose() comes between two (the runs wait at an await
  // before they execute), never inside one.
  it.each([false, true])('dispose() with runs pending (batch planned: %s): they reject with an NNError, later runs fail, nothing hangs', async (planned) => {
    const backend = await createBackend('cpu', { threads: 2 });
    const model = sequential([L.linear(512, 512), L.relu(), L.linear(512, 10)], { inputShape: [512], seed: 1 });
    const session = await compile(model, backend);
    if (planned) await session.executableFor([[64, 512]]);
    const x = backend.tensor(new Random(1).fill(64 * 512), [64, 512]);
    const pending = [session.run(x), session.run(x), session.run(x)];
    backend.dispose();
    for (const settled of await Promise.allSettled(pending)) {
      expect(settled.status).toBe('rejected');
      expect((settled as PromiseRejectedResult).reason).toBeInstanceOf(NNError);
    }
    await expect(session.run(x)).rejects.toBeInstanceOf(NNError);
    backend.dispose();
    // The disposed pool's kernels still answer, on the calling thread.
    const pool = (backend as CpuBackend).pool!;
    pool.minMacs = 0;
    const [m, n, k] = [64, 256, 64];
    const a = new Random(2).fill(m * k), b = new Random(3).fill(k * n);
    const want = new Float32Array(m * n), got = new Float32Array(m * n);
    one.kernels.gemm(false, false, m, n, k, a, 0, k, b, 0, n, want, 0, n);
    (backend as CpuBackend).kernels.gemm(false, false, m, n, k, a, 0, k, b, 0, n, got, 0, n);
    expectSameBits(got, want, 'after dispose()');
  });

  it('a worker that fails to start: one thread, with the reason', async () => {
    const failing = {
      what: 'blob: worker',
      spawn: async (): Promise<PoolWorker> => ({
        post: () => {},
        listen: (h) => setTimeout(() => h({ error: "Refused to create a worker from 'blob:…' (worker-src)" })),
        terminate: () => {},
      }),
    };
    await expect(startThreadedKernels(2, { spawners: [failing] })).rejects.toThrow(/^a worker failed to start \(blob: worker: Refused to create a worker/);
    // Through createBackend: a Worker that cannot be constructed (as under a CSP without worker-src blob:).
    vi.stubGlobal('Worker', function Worker() {
      throw new DOMException("Failed to construct 'Worker': access denied", 'SecurityError');
    });
    const backend = await createBackend('cpu', { threads: 2 });
    expect(backend.info).toEqual({
      kernels: 'wasm-simd',
      threads: 1,
      threadsReason: "a worker failed to start (module worker: Failed to construct 'Worker': access denied; blob: worker: Failed to construct 'Worker': access denied)",
    });
    expect(Array.from(await backend.ops.matmul(backend.tensor([1, 2], [1, 2]), backend.tensor([3, 4], [2, 1])).data())).toEqual([11]);
    backend.dispose();
  });

  it('without SharedArrayBuffer (a page that is not cross-origin isolated): one thread, saying why', async () => {
    vi.stubGlobal('crossOriginIsolated', false);
    const backend = await createBackend('cpu', { threads: 4 });
    expect(backend.info.threads).toBe(1);
    expect(backend.info.threadsReason).toMatch(/^SharedArrayBuffer is unavailable: the page is not cross-origin isolated \(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\)/);
    backend.dispose();
  });

  it('refuses threads that are not a whole number ≥ 1', async () => {
    for (const threads of [0, 1.5, -2, NaN]) {
      await expect(createBackend('cpu', { threads })).rejects.toThrow(/threads must be a whole number ≥ 1/);
    }
  });
});

describe('a worker that stops (terminated, crashed, stuck) or is slow: never a hang or a wrong answer', () => {
  const rng = new Random(17);
  const [m, n, k] = [64, 512, 96];
  const a = rng.fill(m * k, -1, 1), b = rng.fill(k * n, -1, 1), c0 = rng.fill(m * n, -1, 1);
  /** C = A·B (+ C with accumulate) on `backend`, from c0. */
  const product = (backend: CpuBackend, accumulate = false) => {
    const c = c0.slice();
    backend.kernels.gemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n, accumulate);
    return c;
  };
  const want = product(one), wantAccumulated = product(one, true);

  /** A backend on `threads` whose pool splits every GEMM and gives up on a worker after `stallMs`. */
  async function pooledBackend(threads: number, stallMs: number): Promise<CpuBackend> {
    const backend = await CpuBackend.create({ threads });
    expect(backend.info.threads).toBe(threads);
    backend.pool!.minMacs = 0;
    backend.pool!.stallMs = stallMs;
    return backend;
  }

  /** GEMMs until the armed hook has fired (the worker may not claim a chunk of every GEMM), each with the bits of one thread. */
  function runUntilFired(backend: CpuBackend): void {
    for (let i = 0; i < 200 && backend.pool!.misbehaving; i++) expectSameBits(product(backend), want, `GEMM ${i}`);
    expect(backend.pool!.misbehaving, 'the worker claimed a chunk').toBe(false);
  }

  it.each(['hang', 'exit'] as const)('a worker that %ss holding a chunk: the caller runs the chunk, the pool goes on without it', async (how) => {
    const backend = await pooledBackend(3, 200);
    backend.pool!.misbehave(1, how);
    runUntilFired(backend);
    expect(backend.info).toEqual({
      kernels: 'wasm-simd',
      threads: 2,
      // 0.2 s and 20 times what a chunk took the caller (more on a loaded machine).
      threadsReason: expect.stringMatching(/^a worker stopped during a GEMM \(no chunk finished for \d+\.\d s\): it was terminated and its chunks ran on the calling thread; 2 of 3 threads are left$/),
    });
    // The worker left takes chunks, with the same bits.
    const before = backend.pool!.workerChunks;
    for (let i = 0; i < 50 && backend.pool!.workerChunks === before; i++) expectSameBits(product(backend), want, `after, GEMM ${i}`);
    expect(backend.pool!.workerChunks).toBeGreaterThan(before);
    backend.dispose();
  });

  it('the last worker stops: one thread, saying why', async () => {
    const backend = await pooledBackend(2, 200);
    backend.pool!.misbehave(1, 'exit');
    runUntilFired(backend);
    expect(backend.info.threads).toBe(1);
    expect(backend.info.threadsReason).toMatch(/^a worker stopped during a GEMM .*; 1 of 2 threads are left$/);
    expectSameBits(product(backend), want, 'on one thread');
    // The worker's exit event, delivered now, changes nothing.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(backend.info.threads).toBe(1);
    backend.dispose();
  });

  it('a worker stuck in a GEMM that adds into C (accumulate): an NNError, as its part cannot be redone; the next GEMMs are right', async () => {
    const backend = await pooledBackend(3, 200);
    backend.pool!.misbehave(2, 'hang');
    let error: unknown;
    for (let i = 0; i < 200 && backend.pool!.misbehaving; i++) {
      try {
        expectSameBits(product(backend, true), wantAccumulated, `GEMM ${i}`);
      } catch (e) {
        error = e;
      }
    }
    expect(error).toBeInstanceOf(NNError);
    expect(String(error)).toMatch(/a worker of the wasm thread pool stopped during a GEMM that adds into its output \(accumulate\), which cannot be redone: 1 chunk\(s\) of the output are lost\. The worker was terminated; the backend goes on with 2 thread\(s\)/);
    expect(backend.info.threadsReason).toMatch(/^a worker stopped during a GEMM .*: it was terminated and the GEMM it was in, which adds into its output, failed; 2 of 3 threads are left$/);
    expectSameBits(product(backend, true), wantAccumulated, 'the next GEMM');
    expectSameBits(product(backend), want, 'and the one after');
    backend.dispose();
  });

  it('a slow worker within the patience keeps its chunk and its place; one slower than that is terminated and its chunk redone', async () => {
    const backend = await pooledBackend(2, 2000);
    backend.pool!.misbehave(1, 'sleep', 50);
    runUntilFired(backend);
    expect(backend.info).toEqual({ kernels: 'wasm-simd', threads: 2 });
    backend.pool!.stallMs = 100;
    backend.pool!.misbehave(1, 'sleep', 60_000);
    runUntilFired(backend);
    expect(backend.info.threads).toBe(1);
    backend.dispose();
  });

  it('a worker killed while idle: the GEMMs stay right, and its exit event takes it out of the pool', async () => {
    const backend = await pooledBackend(2, 200);
    backend.pool!.killWorker(1);
    for (let i = 0; i < 100 && backend.info.threads === 2; i++) {
      expectSameBits(product(backend), want, `GEMM ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(backend.info.threads).toBe(1);
    expect(backend.info.threadsReason).toMatch(/^a worker stopped.*; 1 of 2 threads are left$/);
    backend.dispose();
  });

  it('workers that fail to start are left out; one that never answers is given up on', async () => {
    const [works] = defaultSpawners();
    let calls = 0;
    const flaky = { what: 'flaky', spawn: () => (calls++ === 0 ? Promise.reject(new Error('out of memory')) : works.spawn()) };
    const { kernels, pool } = await startThreadedKernels(3, { spawners: [flaky] });
    expect(pool.threads).toBe(2);
    expect(pool.reason).toBe('a worker failed to start (flaky: out of memory); 2 of 3 threads started');
    pool.minMacs = 0;
    const c = c0.slice();
    kernels.gemm(false, false, m, n, k, a, 0, k, b, 0, n, c, 0, n);
    expectSameBits(c, want, 'on the 2 threads that started');
    pool.dispose();
    const silent = { what: 'silent', spawn: async (): Promise<PoolWorker> => ({ post: () => {}, listen: () => {}, terminate: () => {} }) };
    await expect(startThreadedKernels(2, { spawners: [silent], startTimeoutMs: 100 })).rejects.toThrow('a worker failed to start (silent: it did not start within 0.1 s)');
  });

  // A convolution split by images writes y only: a stopped worker's images are redone by the caller.
  const convCases = [
    { how: 'hang', path: 'direct', x: [6, 14, 14], w: [16, 6, 5, 5], stride: 1 },
    { how: 'exit', path: 'im2col', x: [8, 20, 20], w: [12, 8, 3, 3], stride: 2 },
  ] as const;
  it.each(convCases)('a worker that stops ($how) holding images of a convolution ($path): the caller redoes them, the pool goes on without it', async (c) => {
    const N = 7;
    const x = rng.fill(N * c.x[0] * c.x[1] * c.x[2], -1, 1), w = rng.fill(c.w[0] * c.w[1] * c.w[2] * c.w[3], -1, 1), bias = rng.fill(c.w[0], -1, 1);
    const conv = async (backend: CpuBackend) => {
      const y = backend.ops.conv2d(backend.tensor(x, [N, ...c.x]), backend.tensor(w, c.w), backend.tensor(bias, [c.w[0]]), { stride: c.stride });
      const data = await y.data();
      y.dispose();
      return data;
    };
    const wantConv = await conv(one);
    const backend = await pooledBackend(3, 200);
    backend.pool!.misbehave(1, c.how);
    for (let i = 0; i < 200 && backend.pool!.misbehaving; i++) expectSameBits(await conv(backend), wantConv, `convolution ${i}`);
    expect(backend.pool!.misbehaving, 'the worker claimed a chunk').toBe(false);
    expect(backend.info).toEqual({
      kernels: 'wasm-simd',
      threads: 2,
      threadsReason: expect.stringMatching(/^a worker stopped during a convolution \(no chunk finished for \d+\.\d s\): it was terminated and its chunks ran on the calling thread; 2 of 3 threads are left$/),
    });
    const before = backend.pool!.workerChunks;
    for (let i = 0; i < 50 && backend.pool!.workerChunks === before; i++) expectSameBits(await conv(backend), wantConv, `after, convolution ${i}`);
    expect(backend.pool!.workerChunks, 'the worker left takes images').toBeGreaterThan(before);
    // A worker killed behind the pool's back while idle: the convolutions stay right.
    backend.pool!.killWorker(2);
    for (let i = 0; i < 100 && backend.info.threads === 2; i++) {
      expectSameBits(await conv(backend), wantConv, `killed, convolution ${i}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(backend.info.threads).toBe(1);
    backend.dispose();
  });
});

describe('a Node script on threads (dist/)', () => {
  const dist = path.resolve(__dirname, '..', 'dist', 'webgpu-nn.js');
  const script = (dispose: boolean) => `
    const nn = await import(${JSON.stringify(dist)});
    const backend = await nn.createBackend('cpu', { threads: 2 });
    const a = backend.tensor(new Float32Array(256 * 256).fill(1), [256, 256]);
    const y = await backend.ops.matmul(a, a).data();
    console.log(JSON.stringify({ threads: backend.info.threads, y0: y[0] }));
    ${dispose ? 'backend.dispose();' : '// no dispose(): the idle workers must not keep the process alive'}`;
  it.each([true, false])('exits by itself (dispose() called: %s)', (dispose) => {
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script(dispose)], { encoding: 'utf8', timeout: 60_000 });
    expect(run.error, 'the process ended within 60 s').toBeUndefined();
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({ threads: 2, y0: 256 });
  });
});
