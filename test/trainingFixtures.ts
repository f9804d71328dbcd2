// PyTorch's three training steps (test/data/training/steps.json, made by
// scripts/fixtures/make_training_fixtures.py) replayed on a backend: the same network, initial
// weights, batches and optimizer; every loss and the final state_dict are compared.
import { readFileSync } from 'node:fs';
import { expect } from 'vitest';
import type { Backend } from '../src/backends/createBackend';
import * as nn from '../src/index';
import { expectClose } from './helpers';

interface StateEntry {
  shape: number[];
  data: number[];
}
interface Fixture {
  initial: Record<string, StateEntry>;
  batches: { x: number[]; xShape: number[]; target: number[] }[];
  runs: Record<string, { optimizer: { kind: 'sgd' | 'adam'; lr: number; momentum?: number; weightDecay: number; nesterov?: boolean; betas?: [number, number]; eps?: number }; losses: number[]; state: Record<string, StateEntry> }>;
}

export const fixture: Fixture = JSON.parse(readFileSync(new URL('./data/training/steps.json', import.meta.url), 'utf8'));

/** The fixture's network: conv, BatchNorm, ReLU, max pool, grouped strided conv, ReLU, avg pool, flatten, linear. */
export function fixtureNet(): nn.Sequential {
  const L = nn.layers;
  const net = nn.sequential(
    [
      L.conv2d(3, 8, 3, { padding: 1 }),
      L.batchNorm2d(8),
      L.relu(),
      L.maxPool2d(2),
      L.conv2d(8, 8, 3, { stride: 2, padding: 1, groups: 2 }),
      L.relu(),
      L.avgPool2d(2),
      L.flatten(),
      L.linear(8, 5),
    ],
    { inputShape: [3, 8, 8] },
  );
  const params = new Map(net.namedParameters());
  for (const [name, { data }] of Object.entries(fixture.initial)) params.get(name)!.assign(Float32Array.from(data));
  return net;
}

export function fixtureOptimizer(name: string): nn.Optimizer {
  const o = fixture.runs[name].optimizer;
  return o.kind === 'sgd'
    ? nn.optim.sgd({ lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, nesterov: o.nesterov })
    : nn.optim.adam({ lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay });
}

/** Runs the three steps of `run` on `backend` and checks losses (1e-4 relative) and the state_dict. */
export async function replayFixture(backend: Backend, run: string): Promise<void> {
  const net = fixtureNet();
  const trainer = await nn.compileTraining(net, backend, { loss: 'crossEntropy', optimizer: fixtureOptimizer(run), batchSize: 4 });
  const losses: number[] = [];
  for (const batch of fixture.batches) {
    const x = backend.tensor(batch.x, batch.xShape);
    const t = backend.tensor(batch.target, [batch.target.length]);
    const loss = await trainer.step(x, t);
    losses.push((await loss.data())[0]);
    for (const tensor of [x, t, loss]) tensor.dispose();
  }
  await trainer.syncWeights();
  trainer.dispose();
  const expected = fixture.runs[run];
  losses.forEach((l, i) => expect(Math.abs(l - expected.losses[i]), `${run}: loss of step ${i + 1} is ${l}, PyTorch's ${expected.losses[i]}`).toBeLessThanOrEqual(1e-4 * Math.abs(expected.losses[i])));
  const state = net.stateDict();
  for (const [name, { data }] of Object.entries(expected.state)) expectClose(state.get(name)!.data, data, `${run}: ${name}`);
}
