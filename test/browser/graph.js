// Loaded by graph.html in headless Chromium (test/browser.test.ts): compiles a conv → pool →
// linear model from the built dist/ on navigator.gpu and on the CPU, and leaves both results
// (and any error) in window.result for the test to read.
import * as nn from '../../dist/webgpu-nn.js';

async function main() {
  const gpu = await nn.createBackend('webgpu');
  const cpu = await nn.createBackend('cpu');
  const auto = await nn.createBackend();
  const L = nn.layers;
  const model = nn.sequential([L.conv2d(1, 4, 3, { padding: 1 }), L.relu(), L.maxPool2d(2), L.flatten(), L.linear(4 * 4 * 4, 10)], {
    inputShape: [1, 8, 8],
    seed: 1,
  });
  const x = Float32Array.from({ length: 2 * 64 }, (_, i) => Math.sin(i));
  const run = async (backend) => {
    const session = await nn.compile(model, backend);
    const y = await session.run(backend.tensor(x, [2, 1, 8, 8]));
    const data = Array.from(await y.data());
    session.dispose();
    return { data, shape: [...y.shape] };
  };
  const result = { name: gpu.name, autoName: auto.name, fallbackReason: auto.fallbackReason ?? null, gpu: await run(gpu), cpu: await run(cpu) };
  gpu.dispose();
  auto.dispose();
  return result;
}

main().then(
  (result) => (window.result = result),
  (e) => (window.result = { error: `${e.name}: ${e.message}` }),
);
