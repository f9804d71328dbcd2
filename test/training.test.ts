// Training against PyTorch on the CPU: three SGD, Nesterov-SGD and Adam steps of a small CNN with
// BatchNorm, a grouped strided convolution, both poolings and a linear layer.
import { describe, it } from 'vitest';
import { cpu } from './helpers';
import { fixture, replayFixture } from './trainingFixtures';

describe('three training steps match PyTorch 1.13 (CPU)', () => {
  for (const run of Object.keys(fixture.runs)) it(run, () => replayFixture(cpu, run));
});
