// Training on WebGPU: PyTorch's three steps, the compiled step against the same graph run op by
// op and against the CPU, and one command buffer per step with every pipeline built at compile.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import * as nn from '../src/index';
import { createGpuBackend } from './gpu';
import { cpu, expectClose } from './helpers';
import { fixture, replayFixture } from './trainingFixtures';
import { lenetBatch, runOpByOp } from './trainingSteps';

describe('training on WebGPU', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  for (const run of Object.keys(fixture.runs)) it(`three ${run} steps match PyTorch 1.13`, () => replayFixture(gpu, run));

  it('a LeNet step is one command buffer, builds no pipeline after compile, and equals the step run op by op', async () => {
    const model = nn.models.lenet({ activation: 'relu', pooling: 'max' });
    const trainer = await nn.compileTraining(model, gpu, { optimizer: nn.optim.sgd({ lr: 0.05, momentum: 0.9 }), batchSize: 8 });
    const pipelines = gpu.pipelines.size;
    const { x, t } = lenetBatch(gpu, 8, 1);
    const reference = await runOpByOp(gpu, trainer.graph!, { input: x, target: t });
    // Targets as a Float32Array are checked on the host (a Tensor on WebGPU would be read back first).
    const targets = await t.data();
    const before = { ...gpu.counters };
    const loss = await trainer.step(x, targets);
    expect(gpu.counters.commandBuffers - before.commandBuffers).toBe(1);
    expect(gpu.counters.submits - before.submits).toBe(1);
    expect(gpu.pipelines.size).toBe(pipelines);
    expectClose(await loss.data(), reference.outputs.loss, 'loss');
    await trainer.syncWeights();
    const state = model.stateDict();
    for (const [name, values] of Object.entries(reference.updated)) if (state.has(name)) expectClose(state.get(name)!.data, values, name);
    trainer.dispose();
  });

  it('LeNet: two Adam steps on WebGPU equal the CPU', async () => {
    const losses: number[][] = [];
    const states = [];
    for (const backend of [cpu, gpu]) {
      const model = nn.models.lenet({ activation: 'relu', pooling: 'max' });
      const trainer = await nn.compileTraining(model, backend, { optimizer: nn.optim.adam({ lr: 0.01 }), batchSize: 16 });
      const run: number[] = [];
      for (const seed of [1, 2]) {
        const { x, t } = lenetBatch(backend, 16, seed);
        run.push((await (await trainer.step(x, t)).data())[0]);
      }
      losses.push(run);
      await trainer.syncWeights();
      states.push(model.stateDict());
      trainer.dispose();
    }
    expectClose(losses[1], losses[0], 'losses');
    for (const [name, { data }] of states[0]) expectClose(states[1].get(name)!.data, data, name);
  });
});
