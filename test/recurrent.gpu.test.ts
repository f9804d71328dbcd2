// LSTM, GRU and RNN on WebGPU: the k-split variants the op-case table covers, the init kernel's
// limit, a compiled graph. Every mode and option against the CPU: test/ops/cases.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { UnsupportedError } from '../src/errors';
import { MAX_GPU_SEQUENCE_LENGTHS, stepSplit } from '../src/ops/recurrent/recurrentGpu';
import type { Tensor } from '../src/tensor';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random } from './helpers';
import { ROWS } from './ops/cases';

describe('recurrent ops (WebGPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it("the op-case table's LSTM rows with the GPU tuning run every k-split of the step kernel", () => {
    // 4, 16 and 32 lanes per unit as chosen for GPUs; 1 as chosen for software adapters.
    const splits = ROWS.filter((r) => r.op === 'lstm' && r.gpuTuning).map((r) => {
      const [, N] = (r.inputs.x as { readonly shape: readonly number[] }).shape;
      return stepSplit(N, r.options!.hiddenSize as number);
    });
    expect(new Set(splits)).toEqual(new Set([4, 16, 32]));
    expect(stepSplit(3, 37, true)).toBe(1);
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
