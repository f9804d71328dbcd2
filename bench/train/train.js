// LeNet training steps (batch 64, Adam) in the page, on navigator.gpu and on the CPU backend:
// images per second after three warm-up steps; scripts/bench-train-browser.mjs opens this page
// in headless Chromium and prints window.result.
import * as nn from '../../dist/webgpu-nn.js';

const params = new URLSearchParams(location.search);
const batch = Number(params.get('batch') ?? 64);
const steps = Number(params.get('steps') ?? 20);

async function measure(backend) {
  const model = nn.models.lenet({ activation: 'relu', pooling: 'max' });
  const trainer = await nn.compileTraining(model, backend, { optimizer: nn.optim.adam({ lr: 1e-3 }), batchSize: batch });
  const x = backend.tensor(Float32Array.from({ length: batch * 784 }, (_, i) => ((i * 7919) % 255) / 255), [batch, 1, 28, 28]);
  const targets = Float32Array.from({ length: batch }, (_, i) => i % 10);
  const run = async (n) => {
    let loss;
    for (let i = 0; i < n; i++) {
      loss?.dispose();
      loss = await trainer.step(x, targets);
    }
    const value = (await loss.data())[0];
    loss.dispose();
    return value;
  };
  await run(3);
  const started = performance.now();
  const loss = await run(steps);
  const seconds = (performance.now() - started) / 1000;
  trainer.dispose();
  return { backend: backend.name, imagesPerSecond: (steps * batch) / seconds, msPerStep: (seconds / steps) * 1000, loss };
}

try {
  const gpu = await nn.createBackend('webgpu');
  const info = gpu.device.adapterInfo;
  const results = [await measure(gpu), await measure(await nn.createBackend('cpu'))];
  window.result = { adapter: `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.description ?? ''}`.trim(), batch, steps, results };
} catch (e) {
  window.result = { error: String(e && e.stack ? e.stack : e) };
}
