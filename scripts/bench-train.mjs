// npm run bench:train — LeNet training throughput: images per second of compiled training steps
// (forward, loss, backward, Adam update) at batch 64 on random MNIST-shaped data.
//   node scripts/bench-train.mjs [--backend cpu|webgpu] [--steps 30] [--batch 64]
// WebGPU here is Node with Dawn (the `webgpu` package) on whatever adapter it finds (SwiftShader on
// a machine without a GPU). How it measures: bench/train/measure.js (shared with the browser page).
import * as nn from '../dist/webgpu-nn.js';
import { measureTraining } from '../bench/train/measure.js';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const backendName = option('backend', 'cpu');
const steps = Number(option('steps', 30));
const batch = Number(option('batch', 64));

let gpuObject;
const backend =
  backendName === 'webgpu' ? await nn.createBackend('webgpu', { gpu: (gpuObject = (await import('webgpu')).create([])) }) : await nn.createBackend('cpu');
const r = await measureTraining(nn, backend, { batch, steps });
const adapter = backend.name === 'webgpu' ? ` (${backend.device.adapterInfo?.description || backend.device.adapterInfo?.vendor || 'adapter'})` : '';
console.log(`LeNet training, batch ${batch}, ${steps} steps on ${backend.name}${adapter}: ${r.imagesPerSecond.toFixed(0)} images/s (${r.msPerStep.toFixed(1)} ms per step, last loss ${r.loss.toFixed(4)})`);
backend.dispose();
void gpuObject;
