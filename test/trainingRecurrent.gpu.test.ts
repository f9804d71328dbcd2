// Training recurrent models on WebGPU: PyTorch's three SGD and Adam steps of an LSTM, a GRU and a
// 2-layer bidirectional LSTM (each + linear, cross-entropy at every step), the LSTM's with
// clipGradNorm (clip_grad_norm_ computed on the device), and one command buffer
// per step of the zoo's character LSTM with every pipeline built at compile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import * as nn from '../src/index';
import { Random } from '../src/random';
import { createGpuBackend } from './gpu';
import { recurrentRuns, replayRecurrentFixture } from './trainingRecurrentFixtures';

describe('recurrent training on WebGPU', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

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
