// A compiled graph's activations in the wasm kernels' memory (src/backends/cpu/cpuGraph.ts,
// src/backends/cpu/wasm/resident.ts): the slots are views of the memory that the kernels read and
// write in place, and a growth of the memory (which detaches a non-shared memory's views) during
// a run or between runs never gives a wrong answer. Each case is compared with the TypeScript
// reference backend, on one thread (a memory that detaches) and on two (a shared memory).
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CpuBackend } from '../src/backends/cpu/cpuBackend';
import { MemoryGrew, ResidentStore } from '../src/backends/cpu/wasm/resident';
import { instantiateWasmKernels, type WasmKernels } from '../src/backends/cpu/wasm/wasmKernels';
import { referenceKernels } from '../src/ops/cpuKernels';
import { pool2dOp, type Pool2dAttrs } from '../src/ops/pool/pool2d';
import { activationOp } from '../src/ops/elementwise/activation';
import { resolveWindow } from '../src/ops/window';
import type { SymbolicTensor } from '../src/graph/tracer';
import * as nn from '../src/index';
import { Module, type ForwardContext } from '../src/layers/module';
import type { CpuArg, OpDef } from '../src/ops/op';
import { sizeOf, type Shape } from '../src/shape';
import { cpuTypescript, expectClose, Random } from './helpers';

const L = nn.layers;
const backends = [await CpuBackend.create({ threads: 1 }), await CpuBackend.create({ threads: 2 })];
afterAll(() => backends.forEach((b) => b.dispose()));
const kernelsOf = (backend: CpuBackend) => backend.kernels as WasmKernels;

/** Elements of the plain (not resident) operands of growOp's product: their copies need more arena than a graph makes room for. */
const GROW_ELEMENTS = 3 * 2 ** 20;

/**
 * y = 2x + a·b, where a·b is a product of plain arrays of zeros through the backend's gemm: the
 * copies grow the wasm memory in the middle of the op, between its TypeScript reads and writes.
 */
const growOp: OpDef<Record<string, never>> = {
  name: 'growMidOp',
  inferShapes: ([x]) => [x!],
  cpu([x], [y], _attrs, kernels) {
    const dot = new Float32Array(1);
    kernels!.gemm(false, false, 1, 1, GROW_ELEMENTS, new Float32Array(GROW_ELEMENTS), 0, GROW_ELEMENTS, new Float32Array(GROW_ELEMENTS), 0, 1, dot, 0, 1);
    for (let i = 0; i < y.data.length; i++) y.data[i] = 2 * x!.data[i] + dot[0];
  },
};

/** conv → relu → growOp → conv (a bias and a relu epilogue) → max pooling → flatten → linear → sigmoid. */
class GrowsMidRun extends Module {
  readonly type = 'GrowsMidRun';
  readonly conv1 = this.addModule('conv1', L.conv2d(1, 4, 3, { padding: 1 }));
  readonly conv2 = this.addModule('conv2', L.conv2d(4, 6, 3));
  readonly fc = this.addModule('fc', L.linear(6 * 5 * 5, 10));
  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    const a = ctx.ops.relu(ctx.call(this.conv1, x));
    const [grown] = x.tracer.runOp(growOp, [a], {});
    const b = ctx.ops.maxPool2d(ctx.ops.relu(ctx.call(this.conv2, grown)), { kernelSize: 2 });
    return ctx.ops.sigmoid(ctx.call(this.fc, ctx.ops.flatten(b)));
  }
}

/** The output of one run of `session` on `x`. */
async function runOnce(session: nn.Session, backend: nn.Backend, x: Float32Array, shape: number[]): Promise<Float32Array> {
  return (await session.run(backend.tensor(x, shape)) as nn.Tensor).data();
}

/** The TypeScript reference backend's output for `model` on `x`. */
async function reference(model: nn.Module, x: Float32Array, shape: number[]): Promise<Float32Array> {
  const session = await nn.compile(model, cpuTypescript, { inputShape: shape });
  const y = await runOnce(session, cpuTypescript, x, shape);
  session.dispose();
  return y;
}

describe.each(backends.map((b) => [`${b.info.threads} thread(s)`, b] as const))('slots in wasm memory, %s', (_name, backend) => {
  /** A backend like this one whose memory nothing has grown yet. */
  const fresh = () => CpuBackend.create({ threads: backend.info.threads });

  it('places the slots in the memory and gives back their room on dispose', async () => {
    const kernels = kernelsOf(backend);
    const allocate = vi.spyOn(kernels, 'allocate');
    const free = vi.spyOn(kernels, 'free');
    const shape = [3, 1, 28, 28];
    const x = new Random(1).fill(sizeOf(shape), -1, 1);
    const model = nn.models.lenet({ seed: 2 });
    const want = await reference(model, x, shape);
    const session = await nn.compile(model, backend, { inputShape: shape });
    expect(allocate).toHaveBeenCalledTimes(1);
    const region = allocate.mock.results[0].value as number;
    expect(region).toBeGreaterThan(0);
    expectClose(await runOnce(session, backend, x, shape), want, 'LeNet');
    const bytes = kernels.memoryBytes;
    session.dispose();
    expect(free).toHaveBeenCalledWith(region);
    // The room is reused: compiling and running again does not grow the memory.
    const again = await nn.compile(model, backend, { inputShape: shape });
    expectClose(await runOnce(again, backend, x, shape), want, 'LeNet, compiled again');
    expect(allocate.mock.results[1].value).toBe(region);
    expect(kernels.memoryBytes).toBe(bytes);
    again.dispose();
    allocate.mockRestore();
    free.mockRestore();
  });

  it("redoes a node whose kernel grew the memory mid-op, and keeps the earlier runs' outputs", async () => {
    const backend = await fresh();
    const shape = [2, 1, 12, 12];
    const model = new GrowsMidRun();
    model.seed = 3;
    const xs = [new Random(4).fill(sizeOf(shape), -1, 1), new Random(5).fill(sizeOf(shape), -1, 1)];
    const want = await Promise.all(xs.map((x) => reference(model, x, shape)));
    const session = await nn.compile(model, backend, { inputShape: shape });
    const before = kernelsOf(backend).memoryBytes;
    const first = await session.run(backend.tensor(xs[0], shape)) as nn.Tensor;
    expect(kernelsOf(backend).memoryBytes).toBeGreaterThan(before + 4 * GROW_ELEMENTS); // it did grow during the run
    expectClose(await first.data(), want[0], 'first run');
    expectClose(await runOnce(session, backend, xs[1], shape), want[1], 'second run');
    expectClose(await first.data(), want[0], 'the first output, after the second run');
    session.dispose();
    backend.dispose();
  });

  it('makes its views again when the memory grew between runs (an eager product, a second session)', async () => {
    const shape = [4, 1, 28, 28];
    const x = new Random(6).fill(sizeOf(shape), -1, 1);
    const model = nn.models.lenet({ seed: 7 });
    const want = await reference(model, x, shape);
    const session = await nn.compile(model, backend, { inputShape: shape });
    expectClose(await runOnce(session, backend, x, shape), want, 'first run');
    // An eager matmul of plain tensors copies them into the arena: the memory grows.
    const before = kernelsOf(backend).memoryBytes;
    const big = backend.tensor(new Float32Array(2 * GROW_ELEMENTS), [2, GROW_ELEMENTS]);
    backend.ops.matmul(big, backend.tensor(new Float32Array(GROW_ELEMENTS), [GROW_ELEMENTS, 1])).dispose();
    big.dispose();
    expect(kernelsOf(backend).memoryBytes).toBeGreaterThan(before);
    expectClose(await runOnce(session, backend, x, shape), want, 'after an eager op grew the memory');
    // A second session's slots and weights move the arena past the first's.
    const other = await nn.compile(nn.models.lenet({ seed: 8 }), backend, { inputShape: [64, 1, 28, 28] });
    await runOnce(other, backend, new Float32Array(64 * 784), [64, 1, 28, 28]);
    expectClose(await runOnce(session, backend, x, shape), want, 'beside a second session');
    other.dispose();
    session.dispose();
  });

  it('a 2-layer bidirectional LSTM whose wasm steps grow the memory on the first run', async () => {
    const backend = await fresh();
    // T 160, batch 32, hidden 64: the input projection alone (T·N·4H floats) needs 5 MiB of arena.
    const shape = [160, 32, 8];
    const model = nn.sequential([L.lstm(8, 64, { numLayers: 2, bidirectional: true }), L.linear(128, 3)], { inputShape: [32, 8], seed: 9 });
    const x = new Random(10).fill(sizeOf(shape), -1, 1);
    const want = await reference(model, x, shape);
    const session = await nn.compile(model, backend, { inputShape: shape });
    const before = kernelsOf(backend).memoryBytes;
    expectClose(await runOnce(session, backend, x, shape), want, 'first run');
    expect(kernelsOf(backend).memoryBytes).toBeGreaterThan(before);
    expectClose(await runOnce(session, backend, x, shape), want, 'second run');
    session.dispose();
    backend.dispose();
  });

  it('training steps (parameters updated, the clock written each step) equal the TypeScript ones', async () => {
    const batch = 8;
    const shape = [batch, 1, 7, 7];
    const rng = new Random(11);
    const x = rng.fill(sizeOf(shape), -1, 1);
    const labels = Float32Array.from({ length: batch }, (_, i) => i % 10);
    const losses: number[][] = [];
    const weights: Float32Array[][] = [];
    for (const b of [cpuTypescript, backend]) {
      // Dropout's mask comes from the clock that each step writes (writeParam).
      const layers = [L.conv2d(1, 4, 3, { padding: 1 }), L.relu(), L.maxPool2d(2), L.flatten(), L.dropout(0.25), L.linear(4 * 3 * 3, 10)];
      const model = nn.sequential(layers, { inputShape: [1, 7, 7], seed: 12 });
      const trainer = await nn.compileTraining(model, b, { optimizer: nn.optim.adam({ lr: 0.01 }), loss: 'crossEntropy', batchSize: batch });
      const run: number[] = [];
      for (let step = 0; step < 3; step++) run.push((await (await trainer.step(b.tensor(x, shape), b.tensor(labels, [batch]))).data())[0]);
      await trainer.syncWeights();
      losses.push(run);
      weights.push([...model.stateDict().values()].map((t) => t.data.slice()));
      trainer.dispose();
    }
    expectClose(losses[1], losses[0], 'losses');
    weights[0].forEach((w, i) => expectClose(weights[1][i], w, `parameter ${i}`));
  });
});

describe('the wasm kernels on operands that are views of their memory (read and written in place)', async () => {
  const wasm = await instantiateWasmKernels();
  const rng = new Random(21);
  /** Places for views: `floats` of the kernels' memory, handed out in order (the region of a compiled graph's slots). */
  const region = wasm.allocate(4 * 2 ** 18);
  let next = 0;
  const view = (n: number, at = next): Float32Array => {
    next = Math.max(next, at + n + 16); // 16 floats apart: a view's neighbours show a stray write
    return new Float32Array(wasm.buffer, region + 4 * at, n);
  };
  /** A view filled with `data`. */
  const resident = (data: Float32Array, at?: number): Float32Array => {
    const v = view(data.length, at);
    v.set(data);
    return v;
  };
  const arg = (data: Float32Array, shape: Shape): CpuArg => ({ data, shape });

  it('gemm: A, B, the bias and C in the memory, with offsets, row strides and accumulate; C overlapping A is computed from A as it was', () => {
    next = 0;
    const [m, n, k, pad] = [13, 21, 37, 3];
    const a = rng.fill(2 + m * (k + pad));
    const b = rng.fill(1 + k * (n + pad));
    const bias = rng.fill(n);
    const c = rng.fill(5 + m * (n + pad));
    const want = c.slice();
    referenceKernels.gemm(false, false, m, n, k, a, 2, k + pad, b, 1, n + pad, want, 5, n + pad, true, { bias, biasPer: 'column', activation: { kind: 'relu' } });
    const [ra, rb, rBias, rc] = [resident(a), resident(b), resident(bias), resident(c)];
    const after = view(16, next - 16); // the floats past C
    after.fill(42);
    wasm.gemm(false, false, m, n, k, ra, 2, k + pad, rb, 1, n + pad, rc, 5, n + pad, true, { bias: rBias, biasPer: 'column', activation: { kind: 'relu' } });
    expectClose(rc, want, 'C in place (the padding between its rows untouched)');
    expect(after.every((v) => v === 42)).toBe(true);
    // C over A's last row (a node never gets that from the planner, but a kernel call may): the
    // product of A as it was. (3 rows: row by row, C's first row would overwrite A's last before it is read.)
    const shared = rng.fill(3 * k + 3 * n);
    const overlapWant = shared.slice();
    referenceKernels.gemm(false, true, 3, n, k, shared.slice(), 0, k, b, 1, k, overlapWant, 3 * k - 7, n, false);
    const rShared = resident(shared);
    wasm.gemm(false, true, 3, n, k, rShared, 0, k, resident(b), 1, k, rShared, 3 * k - 7, n, false);
    expectClose(rShared, overlapWant, 'C overlapping A');
  });

  it('gemm: operands in the memory are not copied (the memory does not grow for them)', () => {
    next = 0;
    const [m, n, k] = [64, 256, 256];
    const [a, b] = [rng.fill(m * k), rng.fill(k * n)];
    const want = new Float32Array(m * n);
    referenceKernels.gemm(false, false, m, n, k, a, 0, k, b, 0, n, want, 0, n, false);
    const [ra, rb, rc] = [resident(a), resident(b), view(m * n)];
    const bytes = wasm.memoryBytes;
    wasm.gemm(false, false, m, n, k, ra, 0, k, rb, 0, n, rc, 0, n, false);
    expectClose(rc, want);
    expect(wasm.memoryBytes).toBe(bytes); // copies of A, B and C would need 384 KiB past the region
  });

  it.each([2, 1])('conv2d (groups %i: im2col tiles, or the direct kernel) and pool2d: x and y in the memory', (groups) => {
    next = 0;
    const xShape = [2, 4, 12, 12];
    const wShape = [8, 4 / groups, 3, 3];
    const win = resolveWindow('conv2d', xShape, [3, 3], { stride: [1, 1], padding: [1, 1, 1, 1], dilation: [1, 1] });
    const yShape = [2, 8, ...win.output];
    const x = rng.fill(sizeOf(xShape));
    x[5] = NaN;
    const w = rng.fill(sizeOf(wShape));
    const bias = rng.fill(8);
    const want = new Float32Array(sizeOf(yShape));
    referenceKernels.conv2d(arg(x, xShape), arg(w, wShape), arg(bias, [8]), arg(want, yShape), win, groups, { kind: 'relu' });
    const y = view(sizeOf(yShape));
    wasm.conv2d(arg(resident(x), xShape), arg(resident(w), wShape), arg(bias, [8]), arg(y, yShape), win, groups, { kind: 'relu' });
    expectClose(y, want, 'conv2d');
    const attrs: Pool2dAttrs = { mode: 'max', kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1], dilation: [1, 1], ceilMode: true, countIncludePad: false };
    const [pooledShape] = pool2dOp.inferShapes([yShape], attrs);
    const pooledWant = new Float32Array(sizeOf(pooledShape));
    pool2dOp.cpu([arg(want, yShape)], [arg(pooledWant, pooledShape)], attrs, referenceKernels);
    const pooled = view(sizeOf(pooledShape));
    pool2dOp.cpu([arg(y, yShape)], [arg(pooled, pooledShape)], attrs, wasm);
    expectClose(pooled, pooledWant, 'pool2d');
  });

  it('activate: x and y distinct views, and one view as both', () => {
    next = 0;
    const x = rng.fill(1000, -3, 3);
    x[7] = NaN;
    x[8] = -Infinity;
    const shape = [1000];
    for (const a of [{ kind: 'sigmoid' }, { kind: 'leakyRelu', negativeSlope: 0.2 }] as const) {
      const want = new Float32Array(1000);
      activationOp.cpu([arg(x, shape)], [arg(want, shape)], a, referenceKernels);
      const rx = resident(x);
      const y = view(1000);
      activationOp.cpu([arg(rx, shape)], [arg(y, shape)], a, wasm);
      expectClose(y, want, `${a.kind} into another view`);
      expectClose(rx, x, `${a.kind}: x unchanged`);
      activationOp.cpu([arg(rx, shape)], [arg(rx, shape)], a, wasm);
      expectClose(rx, want, `${a.kind} in place`);
    }
  });
});

it('ResidentStore: slot regions beside the copies, room made ahead, and a copy whose making threw leaves no region', () => {
  const memory = { end: 0 };
  const store = new ResidentStore(1024, (end) => ((memory.end = Math.max(memory.end, end)), true));
  const [w, b] = [new Float32Array(100), new Float32Array(10)];
  store.retain(w);
  store.retain(b);
  const slots = store.allocate(1000);
  expect(slots).toBe(1024);
  store.makeRoom(4096); // the copies of w and b (448 + 64 bytes) and 4096 past the slots
  expect(memory.end).toBe(1024 + 1024 + 448 + 64 + 4096);
  expect(() => store.get(w, 'copy', 400, () => {
    throw new MemoryGrew();
  })).toThrow(MemoryGrew);
  expect(store.end).toBe(1024 + 1024); // no region left behind
  expect(store.get(w, 'copy', 400, () => true)).toBe(2048);
  store.free(slots);
  expect(store.allocate(960)).toBe(1024); // the slots' room, first fit
  expect(store.get(b, 'copy', 40, () => true)).toBe(1024 + 960);
});
