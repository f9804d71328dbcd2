// npm run bench:train — LeNet training throughput: images per second of compiled training steps
// (forward, loss, backward, Adam update) at batch 64 on random MNIST-shaped data.
//   node scripts/bench-train.mjs [--backend cpu|webgpu] [--steps 30] [--batch 64]
// WebGPU here is Node with Dawn (the `webgpu` package) on whatever adapter it finds (SwiftShader on
// a machine without a GPU). Steps are queued back to back and the loss read once at the end, so
// the time is the device's; the first (warm-up) steps are not counted.
import * as nn from '../dist/webgpu-nn.js';

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
const model = nn.models.lenet({ activation: 'relu', pooling: 'max' });
const trainer = await nn.compileTraining(model, backend, { optimizer: nn.optim.adam({ lr: 1e-3 }), batchSize: batch });
const x = backend.tensor(Float32Array.from({ length: batch * 784 }, (_, i) => ((i * 7919) % 255) / 255), [batch, 1, 28, 28]);
const targets = Float32Array.from({ length: batch }, (_, i) => i % 10);

async function run(n) {
  let loss;
  for (let i = 0; i < n; i++) {
    loss?.dispose();
    loss = await trainer.step(x, targets);
  }
  const value = (await loss.data())[0];
  loss.dispose();
  return value;
}
await run(3);
const started = performance.now();
const loss = await run(steps);
const seconds = (performance.now() - started) / 1000;
const adapter = backend.name === 'webgpu' ? ` (${backend.device.adapterInfo?.description || backend.device.adapterInfo?.vendor || 'adapter'})` : '';
console.log(`LeNet training, batch ${batch}, ${steps} steps on ${backend.name}${adapter}: ${((steps * batch) / seconds).toFixed(0)} images/s (${((seconds / steps) * 1000).toFixed(1)} ms per step, last loss ${loss.toFixed(4)})`);
trainer.dispose();
backend.dispose();
void gpuObject;
