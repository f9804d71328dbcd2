// The webgpu-nn adapter, shared by the page and by `npm run bench -- --node` (Dawn in Node).
import * as nn from '../../src/index.js';
import { benchModel } from '../models.js';
import type { Adapter } from './harness.js';

// `VITE_WEBGPU_NN_TUNING=gpu npm run bench …` times webgpu-nn's WebGPU rows with the kernels chosen
// for real GPUs (createBackend's `tuning`) on whatever adapter runs the bench.
const tuning = import.meta.env.VITE_WEBGPU_NN_TUNING as 'auto' | 'gpu' | 'software' | undefined;

/** kind 'cpu': one thread; 'cpu-threads': the CPU backend's default threads (a cross-origin-isolated page). */
export function createModelAdapter(kind: 'webgpu' | 'cpu' | 'cpu-threads', options: { gpu?: GPU } = {}): Adapter {
  let backend: nn.Backend;
  let session: nn.Session;
  let shape: number[];
  return {
    async init(files) {
      backend = kind === 'webgpu' ? await nn.createBackend('webgpu', { gpu: options.gpu, tuning }) : await nn.createBackend('cpu', kind === 'cpu' ? { threads: 1 } : {});
      const model = benchModel(files.key).build();
      await model.loadWeights(await files.bytes('weights.safetensors'));
      session = await nn.compile(model, backend);
      shape = [...files.graph.input.shape];
      // compile() plans and builds pipelines for batch 1; plan the benchmark's batch now too, as the
      // peers' sessions are built for the file's fixed input shape.
      await session.executableFor([shape]);
      if (kind !== 'cpu-threads' || backend.name !== 'cpu') return { backend: backend.name };
      const { threads, threadsReason } = (backend as nn.CpuBackend).info;
      return { backend: `cpu, ${threads} thread${threads === 1 ? '' : 's'}${threadsReason ? ` (${threadsReason})` : ''}` };
    },
    async run(input) {
      const x = backend.tensor(input, shape);
      const y = (await session.run(x)) as nn.Tensor;
      const out = await y.data();
      x.dispose();
      y.dispose();
      return out;
    },
  };
}
