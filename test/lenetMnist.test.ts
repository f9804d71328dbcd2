// The committed LeNet weights (weights/lenet-mnist.safetensors, from npm run train:lenet) on
// MNIST's 10,000 official test images, through the same evaluation as npm run eval:lenet.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import * as nn from '../src/index';
// @ts-expect-error: a plain ES module shared with the scripts (no type declarations)
import { evaluate, lenetModel, loadMnist, WEIGHTS } from '../scripts/mnist.mjs';
import { cpu } from './helpers';

it('LeNet (ReLU, max pooling) classifies ≥ 99.2% of the MNIST test set', async () => {
  const model = lenetModel(nn);
  await model.loadWeights(readFileSync(WEIGHTS));
  const accuracy = await evaluate(nn, model, cpu, loadMnist('test'));
  expect(accuracy).toBeGreaterThanOrEqual(0.992);
});
