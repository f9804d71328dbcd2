// Loaded by cpuWasm.html and cpuWasmCsp.html, and as a module worker by cpuWasm.js itself
// (test/cpuWasm.browser.test.ts): which kernels the CPU backend of the built dist/ runs, and a
// small conv → linear graph on it against the TypeScript kernels.
import * as nn from '../../dist/webgpu-nn.js';

export async function cpuWasmResult() {
  const fast = await nn.createBackend('cpu');
  const plain = await nn.createBackend('cpu', { wasm: false });
  const L = nn.layers;
  const model = nn.sequential([L.conv2d(1, 4, 3, { padding: 1 }), L.relu(), L.flatten(), L.linear(4 * 8 * 8, 10)], { inputShape: [1, 8, 8], seed: 1 });
  const x = Float32Array.from({ length: 2 * 64 }, (_, i) => Math.sin(i));
  const run = async (backend) => {
    const session = await nn.compile(model, backend);
    const y = await session.run(backend.tensor(x, [2, 1, 8, 8]));
    const data = Array.from(await y.data());
    session.dispose();
    return data;
  };
  const result = { info: fast.info, wasm: await run(fast), typescript: await run(plain) };
  fast.dispose();
  plain.dispose();
  return result;
}

const report = (promise, post) => promise.then(post, (e) => post({ error: String(e?.stack ?? e) }));

if (typeof window === 'undefined') {
  // In the module worker: answer with this scope's result.
  report(cpuWasmResult(), (r) => self.postMessage(r));
} else {
  report(cpuWasmResult(), (r) => (window.result = r));
  if (!document.querySelector('meta[http-equiv="Content-Security-Policy"]')) {
    const worker = new Worker(import.meta.url, { type: 'module' });
    worker.onmessage = (e) => (window.workerResult = e.data);
    worker.onerror = (e) => (window.workerResult = { error: String(e.message) });
  }
}
