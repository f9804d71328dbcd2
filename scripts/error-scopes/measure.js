// What the error scopes cost a compiled run (README "Reliability"), shared by
// scripts/bench-error-scopes.mjs (Node, Dawn) and page.js (headless Chromium). Every call of the
// WebGPU backend that can fail on the GPU runs inside error scopes (backend.captureFailure):
// a run's submit, its input's upload and its output's readback. "without" replaces
// captureFailure on this backend object with a pass-through, for the measurement only.
// `nn` is the library (dist/).
export async function measureErrorScopes(nn, backend, { seconds = 2, rounds = 3 } = {}) {
  const L = nn.layers;
  const models = [
    // As bench/models.ts: d2l's LeNet at batch 1, and one ReLU on 1×1000 (the per-inference floor).
    { name: 'lenet_b1', model: nn.models.lenet({ seed: 1 }), shape: [1, 1, 28, 28] },
    { name: 'roundtrip', model: nn.sequential([L.relu()], { inputShape: [1000] }), shape: [1, 1000] },
  ];
  const scoped = backend.captureFailure;
  const unscoped = (encode) => [encode(), Promise.resolve(null)];
  const results = [];
  for (const { name, model, shape } of models) {
    const session = await nn.compile(model, backend);
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i));
    // One inference as an app makes it: upload the input, run, read the output back.
    const once = async () => {
      const x = backend.tensor(data, shape);
      const y = await session.run(x);
      x.dispose();
      await y.data();
      y.dispose();
    };
    const runsPerSecond = async () => {
      for (let i = 0; i < 3; i++) await once(); // warm
      let runs = 0;
      const started = performance.now();
      while (performance.now() - started < seconds * 1000) {
        await once();
        runs++;
      }
      return runs / ((performance.now() - started) / 1000);
    };
    // Alternated, best of `rounds` each: the machine's load drifts between rounds.
    const best = { with: 0, without: 0 };
    for (let r = 0; r < rounds; r++) {
      for (const variant of ['with', 'without']) {
        backend.captureFailure = variant === 'with' ? scoped : unscoped;
        best[variant] = Math.max(best[variant], await runsPerSecond());
      }
    }
    backend.captureFailure = scoped;
    session.dispose();
    results.push({ model: name, withScopes: best.with, withoutScopes: best.without, costPercent: (100 * (best.without - best.with)) / best.without });
  }
  return results;
}
