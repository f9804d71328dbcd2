// What the error scopes cost, shared by scripts/bench-error-scopes.mjs (Node, Dawn) and page.js
// (headless Chromium). The WebGPU backend's calls that can fail on the GPU run inside a pair of
// error scopes (backend.captureFailure): a compiled run's submit and its input's upload (two
// pairs per inference) and each eager submit (not each eager op).
// "without" replaces captureFailure on this backend object with a pass-through, for the
// measurement only. `nn` is the library (dist/).
export async function measureErrorScopes(nn, backend, { seconds = 2 } = {}) {
  const L = nn.layers;
  const scoped = backend.captureFailure;
  const unscoped = (encode) => [encode(), Promise.resolve(null)];
  const results = [];

  // The scopes alone, one pair pushed and popped around nothing: the calls (what a run spends on
  // them), and until the answers have come (the device answers them with its other events).
  const cpuMicros = () => (globalThis.process?.cpuUsage ? ((u) => u.user + u.system)(globalThis.process.cpuUsage()) : NaN);
  const pairs = 2000;
  const started = performance.now();
  const cpuStarted = cpuMicros();
  const pops = [];
  for (let i = 0; i < pairs; i++) pops.push(backend.captureFailure(() => {})[1]);
  const called = performance.now();
  const callCpuMicrosPerPair = (cpuMicros() - cpuStarted) / pairs;
  await Promise.all(pops);
  const callMicrosPerPair = ((called - started) * 1000) / pairs;
  const answeredMicrosPerPair = ((performance.now() - started) * 1000) / pairs;

  // Inferences as an app makes them (upload the input, run, read the output back) and eager
  // chains, timed in short slices that alternate with and without the scopes, so the machine's
  // load drifts over both alike; the median rate of each. In Node also the process's CPU time
  // per call (all its threads, SwiftShader's included), which a busy machine disturbs less.
  const timed = async (name, unit, perCall, call) => {
    for (let i = 0; i < 3; i++) await call(); // warm
    const rates = { with: [], without: [] };
    const cpu = { with: { micros: 0, calls: 0 }, without: { micros: 0, calls: 0 } };
    const end = performance.now() + 2 * seconds * 1000;
    while (performance.now() < end) {
      for (const variant of ['with', 'without']) {
        backend.captureFailure = variant === 'with' ? scoped : unscoped;
        const t0 = performance.now();
        const c0 = cpuMicros();
        let n = 0;
        while (performance.now() - t0 < 100) {
          await call();
          n++;
        }
        cpu[variant].micros += cpuMicros() - c0;
        cpu[variant].calls += n;
        rates[variant].push((n * perCall) / ((performance.now() - t0) / 1000));
      }
    }
    backend.captureFailure = scoped;
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const withScopes = median(rates.with);
    const withoutScopes = median(rates.without);
    results.push({
      model: name,
      unit,
      withScopes,
      withoutScopes,
      costPercent: (100 * (withoutScopes - withScopes)) / withoutScopes,
      cpuMicrosWith: cpu.with.micros / cpu.with.calls,
      cpuMicrosWithout: cpu.without.micros / cpu.without.calls,
    });
  };

  const models = [
    // As bench/models.ts: d2l's LeNet at batch 1, and one ReLU on 1×1000 (the per-inference floor).
    { name: 'lenet_b1', model: nn.models.lenet({ seed: 1 }), shape: [1, 1, 28, 28] },
    { name: 'roundtrip', model: nn.sequential([L.relu()], { inputShape: [1000] }), shape: [1, 1000] },
  ];
  for (const { name, model, shape } of models) {
    const session = await nn.compile(model, backend);
    const data = Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i));
    await timed(name, 'runs/s', 1, async () => {
      const x = backend.tensor(data, shape);
      const y = await session.run(x);
      x.dispose();
      await y.data();
      y.dispose();
    });
    session.dispose();
  }
  // 100 chained eager ReLUs on 1×1000, then one read.
  const x = backend.tensor(Float32Array.from({ length: 1000 }, (_, i) => Math.sin(i)), [1, 1000]);
  await timed('eager relu ×100', 'ops/s', 100, async () => {
    let y = backend.ops.relu(x);
    for (let i = 1; i < 100; i++) {
      const next = backend.ops.relu(y);
      y.dispose();
      y = next;
    }
    await y.data();
    y.dispose();
  });
  x.dispose();
  return { callMicrosPerPair, callCpuMicrosPerPair, answeredMicrosPerPair, results };
}
