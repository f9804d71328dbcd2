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

describe('training errors', () => {
  const batch = () => ({ x: cpu.tensor(new Float32Array(8), [2, 4]), target: cpu.tensor([0, 2], [2]) });

  it('a target of the wrong shape, or with a class index out of range, is a ShapeError', async () => {
    const trainer = await nn.compileTraining(mlp(), cpu, { optimizer: nn.optim.sgd({ lr: 0.1 }) });
    const { x } = batch();
    await expect(trainer.step(x, cpu.tensor([0, 1, 2], [3]))).rejects.toThrow(/step: target has shape \[3\]; for x \[2, 4\] it must be \[2\]/);
    await expect(trainer.step(x, cpu.tensor([0, 3], [2]))).rejects.toThrow(/target 1 is 3, not a class index in \[0, 2\]/);
    await expect(trainer.step(x, cpu.tensor([0, 0.5], [2]))).rejects.toThrow(nn.ShapeError);
    const mseTrainer = await nn.compileTraining(mlp(), cpu, { loss: 'mse', optimizer: nn.optim.sgd({ lr: 0.1 }) });
    await expect(mseTrainer.step(x, cpu.tensor([0, 1], [2]))).rejects.toThrow(/it must be \[2, 3\], the model output's shape/);
    expect(trainer.steps).toBe(0);
  });

  it('a model through an op without a gradient rule is an UnsupportedError naming it', async () => {
    // narrow has no gradient rule (the recurrent ops, which this test used before, now have one).
    class Narrowed extends nn.Module {
      readonly type = 'Narrowed';
      readonly linear = this.addModule('linear', nn.layers.linear(4, 4));
      constructor() {
        super();
        this.inputShapes = { input: [4] };
      }
      forward(ctx: nn.ForwardContext, x: nn.SymbolicTensor): nn.SymbolicTensor {
        return ctx.ops.narrow(ctx.call(this.linear, x), 1, 1, 2);
      }
    }
    const model = new Narrowed();
    await expect(nn.compileTraining(model, cpu, { batchSize: 2, loss: 'mse' })).rejects.toThrow(nn.UnsupportedError);
    await expect(nn.compileTraining(model, cpu, { batchSize: 2, loss: 'mse' })).rejects.toThrow(/narrow has no gradient rule, so the model cannot be trained through it/);
  });

  it('nn.train refuses a model whose batch is not dim 0 (a recurrent model) instead of reading its examples in the wrong layout', async () => {
    const model = nn.models.lstm({ inputSize: 3, hiddenSize: 4, seqLength: 2 });
    const data = { x: new Float32Array(4 * 2 * 3), y: new Float32Array(4 * 2 * 3) };
    await expect(nn.train(model, data, { backend: cpu, loss: 'mse', batchSize: 2 })).rejects.toThrow(/train: RNNModel takes its batch in dim 1 of its input; train it with compileTraining and trainer.step/);
  });

  it('step, syncWeights and learningRate after dispose are NNErrors; dispose twice is fine', async () => {
    const trainer = await nn.compileTraining(mlp(), cpu, { optimizer: nn.optim.adam() });
    const { x, target } = batch();
    await (await trainer.step(x, target)).data();
    trainer.dispose();
    trainer.dispose();
    await expect(trainer.step(x, target)).rejects.toThrow(/step: the trainer was disposed/);
    await expect(trainer.syncWeights()).rejects.toThrow(/syncWeights: the trainer was disposed/);
    expect(() => (trainer.learningRate = 0.1)).toThrow(nn.NNError);
  });

  it('bad optimizer options and a batch of another size are ShapeErrors', async () => {
    expect(() => nn.optim.sgd({ lr: -1 })).toThrow(/optim.sgd: lr must be a number ≥ 0/);
    expect(() => nn.optim.sgd({ lr: 0.1, nesterov: true })).toThrow(/nesterov needs momentum > 0/);
    expect(() => nn.optim.adam({ betas: [0.9, 1] })).toThrow(/betas\[1\] must be in \[0, 1\)/);
    const trainer = await nn.compileTraining(mlp(), cpu, { batchSize: 2 });
    await expect(trainer.step(cpu.tensor(new Float32Array(12), [3, 4]), cpu.tensor([0, 1, 2], [3]))).rejects.toThrow(/runs batches of 2, got a batch of 3/);
  });
});

describe('compiled training step', () => {
  it('leaves the model untouched until syncWeights, then writes trained values and keeps its own copy', async () => {
    const model = mlp();
    const before = Float32Array.from(model.stateDict().get('0.weight')!.data);
    const trainer = await nn.compileTraining(model, cpu, { optimizer: nn.optim.sgd({ lr: 0.5 }) });
    const x = cpu.tensor(blobs(2, 3).x, [2, 4]);
    await trainer.step(x, cpu.tensor([0, 2], [2]));
    expect(model.stateDict().get('0.weight')!.data).toEqual(before);
    await trainer.syncWeights();
    const after = model.stateDict().get('0.weight')!.data;
    expect(after).not.toEqual(before);
    await trainer.step(x, cpu.tensor([0, 2], [2]));
    expect(model.stateDict().get('0.weight')!.data).toEqual(after);
  });

  it('a learning rate of 0 leaves every weight as it was (the rate is read from the device each step)', async () => {
    const model = mlp();
    const before = model.stateDict();
    const trainer = await nn.compileTraining(model, cpu, { optimizer: nn.optim.sgd({ lr: 0.5, momentum: 0.9 }), batchSize: 2 });
    trainer.learningRate = 0;
    await trainer.step(cpu.tensor(blobs(2, 4).x, [2, 4]), cpu.tensor([1, 2], [2]));
    await trainer.syncWeights();
    for (const [name, { data }] of model.stateDict()) expect(data, name).toEqual(before.get(name)!.data);
  });
});

describe('what a step changes', () => {
  it('LeNet-5: its fixed RBF centres and C3 connection mask are never updated; masked weights stay zero', async () => {
    const model = nn.models.lenet5();
    const trainer = await nn.compileTraining(model, cpu, { optimizer: nn.optim.sgd({ lr: 0.01, momentum: 0.9, weightDecay: 0.1 }), batchSize: 2, loss: 'mse' });
    const graph = trainer.graph!;
    const updated = new Set((graph.updates ?? []).map((u) => graph.values[u.target].name));
    expect(updated.has('output.weight')).toBe(false);
    expect([...updated].some((n) => n?.includes('constant'))).toBe(false);
    expect(updated.has('c3.weight')).toBe(true);
    const rng = new Random(3);
    await trainer.step(cpu.tensor(rng.fill(2 * 32 * 32, -1, 1), [2, 1, 32, 32]), rng.fill(20, 0, 1));
    await trainer.syncWeights();
    const c3 = model.stateDict().get('c3.weight')!.data;
    const mask = new Map(model.namedParameters()).get('c3.weight')!.mask!;
    expect(c3.every((v, i) => mask[i] === 1 || v === 0)).toBe(true);
  });

  it('BatchNorm trains with batch statistics (no inference folding) and only its affine parameters get optimizer state', async () => {
    const net = nn.sequential([nn.layers.conv2d(1, 2, 3), nn.layers.batchNorm2d(2), nn.layers.relu(), nn.layers.flatten(), nn.layers.linear(8, 3)], { inputShape: [1, 4, 4] });
    const trainer = await nn.compileTraining(net, cpu, { optimizer: nn.optim.adam(), batchSize: 2 });
    const graph = trainer.graph!;
    expect(graph.nodes.map((n) => n.op.name)).toContain('batchNorm2dTrain');
    expect(graph.nodes.some((n) => (n.attrs as { activation?: unknown })?.activation)).toBe(false);
    const names = graph.values.map((v) => v.name ?? '');
    expect(names.filter((n) => n.includes('(adam'))).toEqual(expect.arrayContaining(['1.weight (adam exp_avg)', '1.bias (adam exp_avg)']));
    expect(names.some((n) => n.startsWith('1.running_mean ('))).toBe(false);
    const updated = (graph.updates ?? []).map((u) => graph.values[u.target].name);
    expect(updated).toEqual(expect.arrayContaining(['1.running_mean', '1.running_var']));
  });
});

