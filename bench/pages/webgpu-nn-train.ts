// webgpu-nn in the page for a training benchmark (the runner picks this page for models with `train`).
import { createTrainingAdapter } from './webgpu-nn-train-adapter.js';
import { expose } from './harness.js';

expose((backend) => createTrainingAdapter(backend === 'webgpu' ? 'webgpu' : 'cpu'));
