// Training recurrent models against PyTorch on the CPU: three SGD and Adam steps of an LSTM, a GRU
// and a 2-layer bidirectional LSTM, each followed by a linear layer, cross-entropy at every step;
// the LSTM also with clipGradNorm (torch.nn.utils.clip_grad_norm_ before each step).
import { describe, it } from 'vitest';
import { cpu } from './helpers';
import { recurrentRuns, replayRecurrentFixture } from './trainingRecurrentFixtures';

describe('three recurrent training steps match PyTorch 1.13 (CPU)', () => {
  it.each(recurrentRuns(false))('%s %s', (model, run) => replayRecurrentFixture(cpu, model, run));
  it.each(recurrentRuns(true))('%s %s (clip_grad_norm_ before each step)', (model, run) => replayRecurrentFixture(cpu, model, run));
});
