// webgpu-nn in the page: the model built by the same builder, the runner's weights loaded from
// safetensors, compiled on the backend asked for ('webgpu' or 'cpu').
import { createModelAdapter } from './webgpu-nn-adapter.js';
import { expose } from './harness.js';

expose((backend) => createModelAdapter(backend === 'cpu' || backend === 'cpu-threads' ? backend : 'webgpu'));
