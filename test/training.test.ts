// Training against PyTorch on the CPU: three SGD, Nesterov-SGD and Adam steps of a small CNN with
// BatchNorm, a grouped strided convolution, both poolings and a linear layer.
import { describe, it } from 'vitest';
import * as nn from '../src/index';
import { cpu, expectClose } from './helpers';
import { fixture, fixtureNet, fixtureOptimizer, replayFixture } from './trainingFixtures';
import { runOpByOp } from './trainingSteps';

describe('three training steps match PyTorch 1.13 (CPU)', () => {
  for (const run of Object.keys(fixture.runs)) it(run, () => replayFixture(cpu, run));
});

it('the compiled step equals its graph run op by op (CPU, BatchNorm and Adam state included)', async () => {
  const net = fixtureNet();
  const trainer = await nn.compileTraining(net, cpu, { optimizer: fixtureOptimizer('adam'), batchSize: 4 });
  const batch = fixture.batches[0];
  const x = cpu.tensor(batch.x, batch.xShape);
  const target = cpu.tensor(batch.target, [4]);
  const reference = await runOpByOp(cpu, trainer.graph!, { input: x, target });
  expectClose(await (await trainer.step(x, target)).data(), reference.outputs.loss, 'loss');
  await trainer.syncWeights();
  const state = net.stateDict();
  for (const [name, values] of Object.entries(reference.updated)) if (state.has(name)) expectClose(state.get(name)!.data, values, name);
});
