// A compiled graph's activations in the wasm kernels' memory (src/backends/cpu/cpuGraph.ts,
// src/backends/cpu/wasm/resident.ts): the slots are views of the memory that the kernels read and
// write in place, and a growth of the memory (which detaches a non-shared memory's views) during
// a run or between runs never gives a wrong answer. Each case is compared with the TypeScript
// reference backend, on one thread (a memory that detaches) and on two (a shared memory).
import { afterAll, describe, expect, it, vi } from 'vitest';
import { CpuBackend } from '../src/backends/cpu/cpuBackend';
import type { WasmKernels } from '../src/backends/cpu/wasm/wasmKernels';
import type { SymbolicTensor } from '../src/graph/tracer';
import * as nn from '../src/index';
import { Module, type ForwardContext } from '../src/layers/module';
import type { OpDef } from '../src/ops/op';
import { sizeOf } from '../src/shape';
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
