// webgpu-nn for a training benchmark, shared by its page and by `npm run bench -- --node`: each
// run() is one compiled SGD step (forward, cross-entropy, backward, update: one command buffer on
// WebGPU) from a CPU input to the loss read back. Apart from the inference adapter, so that the
// inference pages' bundle (and the bytes the bench reports for it) holds no training code.
import * as nn from '../../src/index.js';
import { benchModel } from '../models.js';
import type { Adapter } from './harness.js';

// `VITE_WEBGPU_NN_TUNING=gpu npm run bench …`: the kernels chosen for real GPUs, as in webgpu-nn-adapter.ts.
const tuning = import.meta.env.VITE_WEBGPU_NN_TUNING as 'auto' | 'gpu' | 'software' | undefined;

export function createTrainingAdapter(kind: 'webgpu' | 'cpu', options: { gpu?: GPU } = {}): Adapter {
  let backend: nn.Backend;
  let trainer: nn.Trainer;
  let targets: Float32Array;
  let shape: number[];
  return {
    async init(files) {
      if (!files.training) throw new Error(`bench: ${files.key} is not a training benchmark`);
      backend = kind === 'webgpu' ? await nn.createBackend('webgpu', { gpu: options.gpu, tuning }) : await nn.createBackend('cpu', { threads: 1 });
      const model = benchModel(files.key).build();
      await model.loadWeights(await files.bytes('weights.safetensors'));
      shape = [...files.graph.input.shape];
      targets = files.training.targets;
      // The whole step graph planned and built for the benchmark's batch.
      trainer = await nn.compileTraining(model, backend, { optimizer: nn.optim.sgd({ lr: files.training.lr }), batchSize: shape[0] });
      return { backend: backend.name };
    },
    async run(input) {
      const x = backend.tensor(input, shape);
      const loss = await trainer.step(x, targets);
      const value = await loss.data();
      loss.dispose();
      x.dispose();
      return value;
    },
  };
}
