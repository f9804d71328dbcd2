// Training on the CPU: the loop end to end on a small problem, and the typed errors.
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import { Random } from '../src/random';
import { cpu } from './helpers';

/** Two Gaussian blobs per class in 4-D: separable, so a small MLP must learn them. */
function blobs(n: number, seed: number): nn.TrainData {
  const rng = new Random(seed);
  const x = new Float32Array(n * 4);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    for (let d = 0; d < 4; d++) x[i * 4 + d] = (d === c ? 2 : 0) + rng.uniform(-0.7, 0.7);
  }
  return { x, y };
}

const mlp = () => nn.sequential([nn.layers.linear(4, 16), nn.layers.relu(), nn.layers.linear(16, 3)], { inputShape: [4] });

describe('nn.train on the CPU', () => {
  it('fits a small separable problem with Adam and SGD', async () => {
    for (const optimizer of [nn.optim.adam({ lr: 0.05 }), nn.optim.sgd({ lr: 0.1, momentum: 0.9 })]) {
      const model = mlp();
      const progress: nn.TrainProgress[] = [];
      const result = await nn.train(model, blobs(96, 1), { backend: cpu, epochs: 8, batchSize: 16, optimizer, onProgress: (p) => progress.push(p) });
      expect(progress.length).toBe(8 * 6);
      expect(progress.at(-1)).toMatchObject({ epoch: 8, step: 6, steps: 6 });
      expect(result.epochs[7].accuracy).toBeGreaterThan(0.95);
      expect(result.epochs[7].loss).toBeLessThan(result.epochs[0].loss);
    }
  });
});
