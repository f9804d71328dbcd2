// LiteRT.js (@litertjs/core): the .tflite file the runner's converter wrote (bench/tflite), on its
// WebGPU accelerator at fp32 or its XNNPack wasm path. JSPI lets a model that is not fully
// delegated run its CPU ops; isFullyAccelerated says whether that happened.
import { loadAndCompile, loadLiteRt, Tensor, type CompiledModel } from '@litertjs/core';
import { expose, toNhwc } from './harness.js';

expose((backend) => {
  const accelerator = backend === 'wasm' ? 'wasm' : 'webgpu';
  let model: CompiledModel;
  let shape: number[];
  return {
    async init(files) {
      await loadLiteRt('/node_modules/@litertjs/core/wasm/', { jspi: true });
      model = await loadAndCompile(await files.bytes('model.tflite'), { accelerator, gpuOptions: { precision: 'fp32' } });
      const s = files.graph.input.shape;
      shape = s.length === 4 ? [s[0], s[2], s[3], s[1]] : [...s];
      const fallbacks = accelerator === 'webgpu' && !model.isFullyAccelerated ? ['not fully accelerated: some ops run on the CPU'] : [];
      return { backend: accelerator, fallbacks };
    },
    prepare: (input) => toNhwc(input, shape.length === 4 ? [shape[0], shape[3], shape[1], shape[2]] : shape),
    async run(input) {
      const x = new Tensor(input, shape);
      const [y] = await model.run(x);
      const host = await y.moveTo('wasm');
      const out = (host.toTypedArray() as Float32Array).slice();
      x.delete();
      host.delete();
      return out;
    },
  };
});
