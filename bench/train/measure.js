// LeNet training throughput, shared by scripts/bench-train.mjs (Node) and train.js (the page):
// compiled steps (batch `batch`, Adam) on fixed MNIST-shaped data, queued back to back with the
// loss read once at the end, three warm-up steps not counted. `nn` is the library (dist/).
export async function measureTraining(nn, backend, { batch = 64, steps = 20 } = {}) {
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
  x.dispose();
  return { backend: backend.name, batch, steps, imagesPerSecond: (steps * batch) / seconds, msPerStep: (seconds / steps) * 1000, loss };
}
