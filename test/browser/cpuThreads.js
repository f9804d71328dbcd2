// Loaded by cpuThreads.html (test/cpuThreads.browser.test.ts), and as a module worker by itself:
// the CPU backend of the built dist/ with threads: 2 against threads: 1 — its info, whether the
// workers took chunks of the GEMMs and images of the convolutions, and whether a matmul and a small
// conv → linear graph on 16 images give the same bits on both.
import * as nn from '../../dist/webgpu-nn.js';

// ?stall: the pool's worker hangs holding a chunk of a GEMM or a convolution (a test hook): the page (spinning) or
// the worker (Atomics.wait) must notice, run the chunk itself and go on with one thread.
const stall = new URLSearchParams(location.search).has('stall');

async function threadsResult() {
  const pooled = await nn.createBackend('cpu', { threads: 2 });
  if (stall && pooled.pool) {
    pooled.pool.minMacs = 0;
    pooled.pool.stallMs = 200;
    pooled.pool.misbehave(1, 'hang');
  }
  const one = await nn.createBackend('cpu', { threads: 1 });
  const n = 256;
  const a = Float32Array.from({ length: n * n }, (_, i) => Math.sin(i * 0.37));
  a[7] = NaN;
  a[n * 5 + 3] = Infinity;
  const matmul = async (backend) => {
    const x = backend.tensor(a, [n, n]);
    return backend.ops.matmul(x, x).data();
  };
  const L = nn.layers;
  // Both convolutions (the direct kernel, then a 1×1 through im2col's path) are split by images
  // (16 · 16² · 16 · 27 and 16 · 16² · 32 · 16 multiply-adds ≥ 2^20); the linear layer (16 · 64 · 512) is not split.
  const model = nn.sequential([L.conv2d(3, 16, 3, { padding: 1 }), L.relu(), L.conv2d(16, 32, 1), L.maxPool2d(4, { stride: 4 }), L.flatten(), L.linear(32 * 4 * 4, 64)], { inputShape: [3, 16, 16], seed: 1 });
  const input = Float32Array.from({ length: 16 * 3 * 16 * 16 }, (_, i) => Math.cos(i));
  // Chunks the workers took during the graph's runs: images of its convolutions.
  let graphChunks = 0;
  const graph = async (backend) => {
    const session = await nn.compile(model, backend);
    const before = backend.pool?.workerChunks ?? 0;
    const y = await (await session.run(backend.tensor(input, [16, 3, 16, 16]))).data();
    if (backend === pooled) graphChunks += (pooled.pool?.workerChunks ?? 0) - before;
    session.dispose();
    return y;
  };
  const want = [await matmul(one), await graph(one)];
  // A busy machine may leave a worker asleep while the caller runs every chunk: a few tries (with
  // ?stall, until the worker has claimed a chunk and hung).
  let differences = 0;
  const again = () => (stall ? pooled.pool?.misbehaving : (pooled.pool?.workerChunks ?? 0) === graphChunks || graphChunks === 0);
  for (let i = 0; i < 50 && (i === 0 || again()); i++) {
    const got = [await matmul(pooled), await graph(pooled)];
    got.forEach((g, j) => {
      const gb = new Uint32Array(g.buffer), wb = new Uint32Array(want[j].buffer);
      for (let e = 0; e < gb.length; e++) if (gb[e] !== wb[e]) differences++;
    });
  }
  const result = {
    crossOriginIsolated: globalThis.crossOriginIsolated,
    info: pooled.info,
    workerChunks: (pooled.pool?.workerChunks ?? 0),
    graphChunks,
    hookFired: pooled.pool?.misbehaving === false,
    differences,
    finite: want[0].filter(Number.isFinite).length,
  };
  pooled.dispose();
  one.dispose();
  return result;
}

const report = (promise, post) => promise.then(post, (e) => post({ error: String(e?.stack ?? e) }));

if (typeof window === 'undefined') {
  // In the module worker: Atomics.wait may block here, unlike on the page's main thread.
  report(threadsResult(), (r) => self.postMessage(r));
} else {
  report(threadsResult(), (r) => (window.result = r));
  if (globalThis.crossOriginIsolated) {
    // The worker's script gets the page's query: with ?isolated, its response carries COEP too, as a
    // worker of an isolated page needs to be isolated itself.
    const worker = new Worker(new URL(location.search, import.meta.url), { type: 'module' });
    worker.onmessage = (e) => (window.workerResult = e.data);
    worker.onerror = (e) => (window.workerResult = { error: String(e.message) });
  }
}
