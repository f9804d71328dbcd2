// Loaded by onnx.html in headless Chromium (test/onnx/browser.test.ts): fetches a model
// exported by torch.onnx.export, imports it with the built dist/ (the decoder chunk loads on
// demand), runs it on navigator.gpu at each of its fixture's input shapes and leaves the
// outputs (and any error) in window.result.
import * as nn from '../../../dist/webgpu-nn.js';

async function main() {
  const name = new URLSearchParams(location.search).get('model');
  const base = '../../data/onnx/torch/';
  const bytes = new Uint8Array(await (await fetch(`${base}${name}.onnx`)).arrayBuffer());
  const fixture = await (await fetch(`${base}${name}.json`)).json();
  const backend = await nn.createBackend('webgpu');
  const model = await nn.importOnnx(bytes);
  const session = await nn.compile(model, backend);
  const outputs = [];
  for (const run of fixture.runs) {
    const y = await session.run(backend.tensor(Float32Array.from(run.input.data), run.input.shape));
    outputs.push({ shape: [...y.shape], data: Array.from(await y.data()) });
    y.dispose();
  }
  session.dispose();
  backend.dispose();
  return { backend: backend.name, outputs };
}

main().then(
  (result) => (window.result = result),
  (e) => (window.result = { error: `${e.name}: ${e.message}` }),
);
