// PyTorch's three training steps of recurrent models (test/data/training/recurrent.json, made by
// scripts/fixtures/make_recurrent_training_fixtures.py) replayed on a backend: nn.models.lstm /
// gru (recurrent stack + linear at every step) from the same initial weights, batches and
// optimizer, cross-entropy over every time step; every loss and the final state_dict compared by
// |got − ref| ≤ 1e-4 + 1e-3·max|ref|.
import { readFileSync } from 'node:fs';
import type { Backend } from '../src/backends/createBackend';
import * as nn from '../src/index';
import { expectClose } from './helpers';

interface Encoded {
  shape: number[];
  f32: string;
}
interface OptimizerConfig {
  kind: 'sgd' | 'adam';
  lr: number;
  momentum?: number;
  weightDecay: number;
  betas?: [number, number];
  eps?: number;
  clipGradNorm?: number;
}
interface Fixture {
  sizes: { T: number; N: number; I: number; C: number };
  batches: { x: Encoded; target: Encoded }[];
  models: Record<string, { model: { mode: 'lstm' | 'gru'; hidden: number; layers: number; bidirectional: boolean }; initial: Record<string, Encoded>; runs: Record<string, { optimizer: OptimizerConfig; losses: number[]; state: Record<string, Encoded> }> }>;
}

export const recurrentFixture: Fixture = JSON.parse(readFileSync(new URL('./data/training/recurrent.json', import.meta.url), 'utf8'));

export function decode(t: Encoded): Float32Array {
  const bytes = Buffer.from(t.f32, 'base64');
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

/** The runs of the fixture as [model, run] pairs. */
export const recurrentRuns = (withClip: boolean): [string, string][] =>
  Object.entries(recurrentFixture.models).flatMap(([model, m]) => Object.keys(m.runs).filter((run) => run.endsWith('_clip') === withClip).map((run) => [model, run] as [string, string]));

export function recurrentFixtureModel(name: string): nn.Module {
  const { model: m, initial } = recurrentFixture.models[name];
  const { T, I, C } = recurrentFixture.sizes;
  const build = m.mode === 'lstm' ? nn.models.lstm : nn.models.gru;
  const net = build({ inputSize: I, hiddenSize: m.hidden, numLayers: m.layers, bidirectional: m.bidirectional, outputSize: C, seqLength: T });
  const params = new Map(net.namedParameters());
  for (const [key, value] of Object.entries(initial)) params.get(key)!.assign(decode(value));
  return net;
}

function optimizer(o: OptimizerConfig): nn.Optimizer {
  const clip = o.clipGradNorm !== undefined ? { clipGradNorm: o.clipGradNorm } : {};
  return o.kind === 'sgd' ? nn.optim.sgd({ lr: o.lr, momentum: o.momentum, weightDecay: o.weightDecay, ...clip }) : nn.optim.adam({ lr: o.lr, betas: o.betas, eps: o.eps, weightDecay: o.weightDecay, ...clip });
}

/** Runs the three steps of `run` of `model` on `backend` and checks the losses and the state_dict. */
export async function replayRecurrentFixture(backend: Backend, model: string, run: string): Promise<void> {
  const net = recurrentFixtureModel(model);
  const { T, N, I } = recurrentFixture.sizes;
  const expected = recurrentFixture.models[model].runs[run];
  const trainer = await nn.compileTraining(net, backend, { loss: 'crossEntropy', optimizer: optimizer(expected.optimizer), batchSize: N });
  const losses: number[] = [];
  for (const batch of recurrentFixture.batches) {
    const x = backend.tensor(decode(batch.x), [T, N, I]);
    const t = backend.tensor(decode(batch.target), [T, N]);
    const loss = await trainer.step(x, t);
    losses.push((await loss.data())[0]);
    for (const tensor of [x, t, loss]) tensor.dispose();
  }
  await trainer.syncWeights();
  trainer.dispose();
  expectClose(losses, expected.losses, `${model} ${run}: losses`);
  const state = net.stateDict();
  for (const [key, value] of Object.entries(expected.state)) expectClose(state.get(key)!.data, decode(value), `${model} ${run}: ${key}`);
}
