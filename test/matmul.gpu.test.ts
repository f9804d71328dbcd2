// The WebGPU GEMM (src/ops/gemm/gemmGpu.ts) below the ops, every kernel variant against plain
// float64 loops: odd sizes, both B layouts, batches with strides and broadcasting, offsets, bias
// per row and column, every fused activation. Then matmul and linear with a weight in parts (one
// split across 128 MiB bindings) and in a compiled graph. The ops' shapes: test/ops/cases.ts.
import { create } from 'webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import type { GpuArg } from '../src/ops/kernel';
import { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { activate, type Activation } from '../src/ops/elementwise/activation';
import { chooseGemmKernel, GEMM_KERNELS, gemmShape, recordGemm, recordGemmWith, type GemmGpuArgs } from '../src/ops/gemm/gemmGpu';
import { linearOp } from '../src/ops/gemm/linear';
import { matmulOp } from '../src/ops/gemm/matmul';
import type { OpDef } from '../src/ops/op';
import type { Tensor } from '../src/tensor';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random, twinTensors } from './helpers';

type KernelName = keyof typeof GEMM_KERNELS;
const KERNEL_NAMES = Object.keys(GEMM_KERNELS) as KernelName[];

/** Everything of GemmGpuArgs but the buffers, the size of C's region, and a kernel to force (else recordGemm chooses). */
type GemmCase = Omit<GemmGpuArgs, 'a' | 'b' | 'c' | 'bias'> & { cSize: number; kernel?: KernelName };

/** recordGemm as an op: inputs a, b, C's initial contents, bias (or null); output C's region. */
const gemmTestOp: OpDef<GemmCase> = {
  name: 'gemmTest',
  inferShapes: (_inputs, g) => [[g.cSize]],
  cpu: () => {
    throw new Error('gemmTest runs on WebGPU only');
  },
  gpu(k, [a, b, c0, bias], [c], g) {
    const { cSize, kernel, ...rest } = g;
    k.copy(c0!, c, cSize * 4);
    const args = { ...rest, a: a!, b: b!, c, bias: bias as GpuArg | null };
    if (kernel) recordGemmWith(k, args, GEMM_KERNELS[kernel]);
    else recordGemm(k, args);
  },
};

/** The same GEMM in float64 on the host, written into a copy of c0. */
function referenceGemm(g: Omit<GemmCase, 'kernel'>, a: Float32Array, b: Float32Array, c0: Float32Array, bias: Float32Array | null): Float32Array {
  const { m, n, k } = g;
  const transB = g.transB ?? false;
  const lda = g.lda ?? k;
  const ldb = g.ldb ?? (transB ? k : n);
  const ldc = g.ldc ?? n;
  const c = c0.slice();
  for (let e = 0; e < (g.batch ?? 1); e++) {
    const a0 = (g.offsetA ?? 0) + e * (g.strideA ?? m * k);
    const b0 = (g.offsetB ?? 0) + e * (g.strideB ?? k * n);
    const cBase = (g.offsetC ?? 0) + e * (g.strideC ?? m * n);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = g.accumulate ? c0[cBase + i * ldc + j] : 0;
        for (let p = 0; p < k; p++) s += a[a0 + i * lda + p] * b[b0 + (transB ? j * ldb + p : p * ldb + j)];
        if (bias) s += bias[(g.biasOffset ?? 0) + (g.biasPer === 'row' ? i : j)];
        c[cBase + i * ldc + j] = g.activation ? activate(s, g.activation) : s;
      }
    }
  }
  return c;
}

describe('recordGemm (WebGPU vs float64 loops)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  /** Runs one case on buffers just large enough (plus `slack`), checks every element of C's region. */
  async function check(g: GemmCase & { aSize: number; bSize: number; biasSize?: number }, rng: Random, what: string): Promise<void> {
    const { aSize, bSize, biasSize, ...rest } = g;
    const what_ = g.kernel ? `${GEMM_KERNELS[g.kernel].name}: ${what}` : what;
    const a = rng.fill(aSize, -1, 1);
    const b = rng.fill(bSize, -1, 1);
    const c0 = rng.fill(g.cSize, -1, 1); // outside C's matrices these must survive
    const bias = biasSize ? rng.fill(biasSize, -1, 1) : null;
    const [c] = gpu.runOp(
      gemmTestOp,
      [gpu.tensor(a, [aSize]), gpu.tensor(b, [bSize]), gpu.tensor(c0, [g.cSize]), bias ? gpu.tensor(bias, [bias.length]) : null],
      rest,
    );
    expectClose(await c.data(), referenceGemm(rest, a, b, c0, bias), what_);
  }

  /** A dense GEMM with default strides. */
  const dense = (m: number, n: number, k: number, transB = false) => ({ m, n, k, transB, aSize: m * k, bSize: k * n, cSize: m * n });

  it('every kernel on random m, n, k over odd sizes, both B layouts', async () => {
    const rng = new Random(1);
    const sizes = [1, 2, 3, 4, 17, 33, 65, 129, 257];
    for (const kernel of KERNEL_NAMES) {
      // The k-split kernel takes A·Bᵀ with k a multiple of 4 only.
      const gemv = kernel === 'gemv';
      const depths = gemv ? [4, 8, 68, 132, 260] : [1, 2, 3, 5, 17, 31, 66, 130, 257];
      for (let t = 0; t < 6; t++) {
        const m = sizes[rng.int(0, sizes.length - 1)];
        const n = sizes[rng.int(0, sizes.length - 1)];
        const k = depths[rng.int(0, depths.length - 1)];
        const transB = gemv || t % 2 === 1;
        await check({ ...dense(m, n, k, transB), kernel }, rng, `m ${m} n ${n} k ${k} transB ${transB}`);
      }
    }
  });

  it('the kernel table: registers by rows on software adapters; k-split or tiles on GPUs', () => {
    const choose = (args: Partial<GemmGpuArgs>, software: boolean, quadSubgroups = false) =>
      chooseGemmKernel(gemmShape({ m: 1, n: 64, k: 64, ...args } as GemmGpuArgs), software, quadSubgroups).name;
    expect([1, 2, 3, 4, 5, 8, 9, 512].map((m) => choose({ m }, true))).toEqual([
      'registers 1×8', 'registers 2×8', 'registers 4×16', 'registers 4×16', 'registers 8×16', 'registers 8×16', 'registers 16×16', 'registers 16×16',
    ]);
    // With SwiftShader's 4-wide subgroups, more than 8 rows share A between lanes.
    expect([8, 9, 512].map((m) => choose({ m }, true, true))).toEqual(['registers 8×16', 'registers 16×16, A shared by 4 lanes', 'registers 16×16, A shared by 4 lanes']);
    expect(choose({ m: 512 }, false, true)).toBe('tiled 64×32');
    expect(choose({ m: 1, transB: true }, false)).toBe('gemv 4×4');
    expect(choose({ m: 4, transB: true }, false)).toBe('gemv 4×4');
    expect(choose({ m: 4, transB: true, k: 63 }, false)).toBe('tiled 64×32'); // k not a multiple of 4
    expect(choose({ m: 4, transB: true, offsetA: 2 }, false)).toBe('tiled 64×32');
    expect(choose({ m: 1, transB: false }, false)).toBe('tiled 64×32');
    expect(choose({ m: 5, transB: true }, false)).toBe('tiled 64×32');
  });

  it('NaN and ±∞ reach exactly the outputs they should on every kernel, also at the last k (past the whole quads)', async () => {
    const rng = new Random(5);
    for (const kernel of KERNEL_NAMES) {
      const gemv = kernel === 'gemv';
      for (const transB of gemv ? [true] : [false, true]) {
        const [m, n, k] = [gemv ? 3 : 19, 21, gemv ? 8 : 7];
        const a = rng.fill(m * k, -1, 1);
        const b = rng.fill(k * n, -1, 1);
        const bAt = (p: number, j: number) => (transB ? j * k + p : p * n + j);
        a[2 * k + k - 1] = Infinity; // row 2, last k
        b[bAt(k - 1, 3)] = -Infinity; // column 3, last k
        a[1 * k + 1] = NaN; // row 1
        b[bAt(0, 5)] = Infinity; // column 5, first k
        const [c] = gpu.runOp(gemmTestOp, [gpu.tensor(a, [a.length]), gpu.tensor(b, [b.length]), gpu.tensor(new Float32Array(m * n), [m * n]), null], { m, n, k, transB, cSize: m * n, kernel });
        expectClose(await c.data(), referenceGemm({ m, n, k, transB, cSize: m * n }, a, b, new Float32Array(m * n), null), `${GEMM_KERNELS[kernel].name}: NaN and ±∞, transB ${transB}`);
      }
    }
  });

  it('k = 0 gives bias then activation', async () => {
    const rng = new Random(2);
    await check({ ...dense(3, 5, 0), biasSize: 5, biasPer: 'column', activation: { kind: 'relu' } }, rng, 'k = 0');
  });

  it('batched with strides, broadcast (stride 0) A or B, offsets and row strides, on every kernel', async () => {
    const rng = new Random(3);
    for (const kernel of KERNEL_NAMES) {
      for (const transB of kernel === 'gemv' ? [true] : [false, true]) {
        // Multiples of 4 where the k-split kernel needs them; odd everywhere else.
        const q = (odd: number, aligned: number) => (kernel === 'gemv' ? aligned : odd);
        // A broadcast (a 1×1 convolution's weight), B and C per entry.
        const k1 = q(9, 12);
        await check({ m: 17, n: 33, k: k1, batch: 3, strideA: 0, transB, kernel, aSize: 17 * k1, bSize: 3 * k1 * 33, cSize: 3 * 17 * 33 }, rng, `broadcast A, transB ${transB}`);
        // B broadcast, A and C per entry.
        await check({ m: 5, n: 65, k: 20, batch: 4, strideB: 0, transB, kernel, aSize: 4 * 5 * 20, bSize: 20 * 65, cSize: 4 * 5 * 65 }, rng, `broadcast B, transB ${transB}`);
        // Sub-matrices: offsets, row strides wider than the rows, batch strides with gaps.
        const [m, n, k, batch] = [7, 13, q(11, 8), 2];
        const lda = q(15, 12);
        const ldb = transB ? 12 : 17;
        const ldc = 20;
        const strideA = m * lda + 4;
        const strideB = (transB ? n : k) * ldb + q(1, 4);
        const strideC = m * ldc + 3;
        const [offsetA, offsetB] = [q(5, 8), q(7, 4)];
        await check(
          {
            m, n, k, batch, transB, lda, ldb, ldc, strideA, strideB, strideC, offsetA, offsetB, offsetC: 9, kernel,
            aSize: offsetA + batch * strideA, bSize: offsetB + batch * strideB, cSize: 9 + batch * strideC,
          },
          rng,
          `offsets and strides, transB ${transB}`,
        );
      }
    }
  });

  const activations: (Activation | undefined)[] = [
    undefined,
    { kind: 'relu' },
    { kind: 'sigmoid' },
    { kind: 'tanh' },
    { kind: 'leakyRelu', negativeSlope: 0.2 },
    { kind: 'clip', min: -0.5, max: Infinity },
    { kind: 'clip', min: -0.3, max: 0.4 },
  ];
  // Each kernel gets both bias modes, and each activation comes up at least once over the kernels
  // (one pipeline per combination: SwiftShader compiles each for a while, so one test per kernel).
  it.each(KERNEL_NAMES.map((kernel, i) => [kernel, i] as const))('bias per row and per column (with an offset), activations, accumulate: %s', async (kernel, i) => {
    expect(KERNEL_NAMES.length * 2).toBeGreaterThanOrEqual(activations.length);
    const rng = new Random(4 + i);
    const transB = kernel === 'gemv';
    const [m, n, k] = [19, 37, 24];
    for (const [j, biasPer] of (['row', 'column'] as const).entries()) {
      const activation = activations[(i * 2 + j) % activations.length];
      await check(
        { ...dense(m, n, k, transB), kernel, biasPer, biasOffset: 3, biasSize: 3 + (biasPer === 'row' ? m : n), activation },
        rng,
        `bias per ${biasPer}, ${activation?.kind ?? 'no activation'}`,
      );
    }
    await check({ ...dense(9, 10, 8, transB), kernel, accumulate: true, activation: { kind: 'relu' } }, rng, 'accumulate');
  });

  it('a kernel given a GEMM it cannot compute is a ShapeError', () => {
    const t = (n: number) => gpu.tensor(new Float32Array(n), [n]);
    expect(() => gpu.runOp(gemmTestOp, [t(9), t(9), t(1), null], { m: 1, n: 1, k: 9, transB: true, cSize: 1, kernel: 'gemv' })).toThrow(/gemv 4×4 kernel cannot compute/);
  });

  it('the shared-A kernel on a device without 4-wide subgroups is an UnsupportedError', () => {
    expect(gpu.quadSubgroups).toBe(true); // the test adapter (SwiftShader) runs it above
    const t = (n: number) => gpu.tensor(new Float32Array(n), [n]);
    const [a, b, c] = [t(16), t(16), t(16)].map((x) => gpu.argOf(x));
    const recorder = { limits: gpu.limits, softwareAdapter: true, quadSubgroups: false, dispatch: () => {}, scratch: () => a, copy: () => {} };
    expect(() => recordGemmWith(recorder, { a, b, c, m: 4, n: 4, k: 4 }, GEMM_KERNELS.rows16Shared)).toThrow(nn.UnsupportedError);
  });

  it('a region too small for the arguments is a ShapeError', () => {
    const t = (n: number) => gpu.tensor(new Float32Array(n), [n]);
    expect(() => gpu.runOp(gemmTestOp, [t(10), t(12), t(12), null], { m: 3, n: 4, k: 4, cSize: 12 })).toThrow(/gemm \(WebGPU\): A 1 × \[3, 4\]/);
  });
});

// matmul's NumPy rules and linear at ranks 1-3 against the CPU: test/ops/cases.ts.
describe('matmul and linear with weights in parts, in graphs (WebGPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  /** The same data on both backends. */
  const pair = (rng: Random, shape: number[], lo = -1, hi = 1) => twinTensors(rng, shape, gpu, lo, hi);

  /**
   * `op` with input `split` handed over in parts along dim 0, as the compiled-graph executor
   * does for a parameter larger than one binding: the parts follow the op's own inputs.
   */
  const withParts = <A>(op: OpDef<A>, split: number, partCount: number): OpDef<A> => ({
    ...op,
    name: `${op.name} (parts)`,
    inferShapes: (inputs, attrs) => op.inferShapes(inputs.slice(0, inputs.length - partCount), attrs),
    gpu(k, inputs, outputs, attrs) {
      const own = inputs.slice(0, inputs.length - partCount);
      const parts = inputs.slice(own.length) as GpuArg[];
      own[split] = { ...parts[0], shape: own[split]!.shape, parts };
      op.gpu!(k, own, outputs, attrs);
    },
  });

  /** `data` of `shape` cut along dim 0 into blocks of the given row counts, as GPU tensors. */
  const cut = (data: Float32Array, shape: number[], rows: number[]): Tensor[] => {
    const rowSize = data.length / shape[0];
    let at = 0;
    return rows.map((r) => {
      const t = gpu.tensor(data.subarray(at * rowSize, (at + r) * rowSize), [r, ...shape.slice(1)]);
      at += r;
      return t;
    });
  };

  it('linear and matmul with the weight in parts (split along dim 0)', async () => {
    const rng = new Random(9);
    const [xc, xg] = pair(rng, [3, 2, 10]);
    const [wc, wg] = pair(rng, [37, 10]);
    const [bc, bg] = pair(rng, [37]);
    const w = await wc.data();
    const linearParts = withParts(linearOp, 1, 3);
    const [y] = gpu.runOp(linearParts, [xg, wg, bg, ...cut(w, [37, 10], [16, 16, 5])], { activation: { kind: 'tanh' } });
    const want = cpu.runOp(linearOp, [xc, wc, bc], { activation: { kind: 'tanh' } })[0];
    expectClose(await y.data(), await want.data(), 'linear, weight in 3 parts');

    // matmul: a 1-D or 2-D b in parts is split along k (accumulated); a batched b into whole matrices.
    const cases: [number[], number[], number[]][] = [
      [[4, 37], [37, 6], [20, 17]],
      [[2, 5, 37], [37], [30, 7]],
      [[2, 3, 5, 7], [2, 3, 7, 4], [1, 1]],
      [[2, 1, 5, 7], [3, 7, 4], [2, 1]],
    ];
    for (const [sa, sb, rows] of cases) {
      const [ac, ag] = pair(rng, sa);
      const [bc2, bg2] = pair(rng, sb);
      const [got] = gpu.runOp(withParts(matmulOp, 1, rows.length), [ag, bg2, ...cut(await bc2.data(), sb, rows)], {});
      expectClose(await got.data(), await cpu.ops.matmul(ac, bc2).data(), `matmul ${JSON.stringify(sa)} · ${JSON.stringify(sb)} in parts ${rows}`);
    }
  });

  it('a compiled MLP with a fused relu gives the eager CPU numbers', async () => {
    const model = nn.sequential([nn.layers.linear(20, 30), nn.layers.relu(), nn.layers.linear(30, 5), nn.layers.sigmoid()], { inputShape: [20] });
    const rng = new Random(7);
    const x = rng.fill(3 * 20, -2, 2);
    const session = await nn.compile(model, gpu);
    try {
      const got = (await session.run(gpu.tensor(x, [3, 20]))) as Tensor;
      const params = model.stateDict();
      const p = (name: string) => cpu.tensor(params.get(name)!.data, params.get(name)!.shape);
      const hidden = cpu.ops.relu(cpu.ops.linear(cpu.tensor(x, [3, 20]), p('0.weight'), p('0.bias')));
      const want = cpu.ops.sigmoid(cpu.ops.linear(hidden, p('2.weight'), p('2.bias')));
      expect(got.shape).toEqual([3, 5]);
      expectClose(await got.data(), await want.data(), 'MLP graph');
      // A second run on the same buffers, at a new batch size, still matches.
      const again = (await session.run(gpu.tensor(x.subarray(0, 20), [1, 20]))) as Tensor;
      expectClose(await again.data(), (await want.data()).subarray(0, 5), 'MLP graph, batch 1');
    } finally {
      session.dispose();
    }
  });
});

describe('a weight larger than one binding (WebGPU, 128 MiB bindings)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    const gpuObject = create([]) as GPU;
    const adapter = await gpuObject.requestAdapter();
    const device = await adapter!.requestDevice(); // default limits: 128 MiB per storage binding
    gpu = await WebGpuBackend.create({ device, gpu: gpuObject });
  });
  afterAll(() => {
    const device = gpu?.device;
    gpu?.dispose();
    device?.destroy();
  });

  // 392 MiB through SwiftShader: a minute on a quiet machine, more under load.
  it('linear 25088 → 4096 (392 MiB of weight) compiles into parts and matches the CPU', { timeout: 600_000 }, async () => {
    expect(gpu.limits.maxStorageBufferBindingSize).toBe(128 * 2 ** 20);
    const model = nn.sequential([nn.layers.linear(25088, 4096)], { inputShape: [25088] });
    const x = new Random(8).fill(25088, -1, 1);
    const session = await nn.compile(model, gpu);
    try {
      const got = (await session.run(gpu.tensor(x, [1, 25088]))) as Tensor;
      const params = model.stateDict();
      const p = (name: string) => cpu.tensor(params.get(name)!.data, params.get(name)!.shape);
      const want = cpu.ops.linear(cpu.tensor(x, [1, 25088]), p('0.weight'), p('0.bias'));
      expectClose(await got.data(), await want.data(), 'split linear');
    } finally {
      session.dispose();
    }
  });
});
