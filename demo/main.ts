// Placeholder demo: reports the backend and runs d2l's LeNet (untrained) once on it.
import * as nn from '../src/index';

const $ = (id: string) => document.getElementById(id)!;

async function main(): Promise<void> {
  const backend = await nn.createBackend();
  $('backend').textContent = `Backend: ${backend.name}${backend.fallbackReason ? ` (WebGPU unavailable: ${backend.fallbackReason})` : ''}`;
  const model = nn.models.lenet();
  $('summary').textContent = String(model.summary());
  const session = await nn.compile(model, backend);
  const x = backend.tensor(new Float32Array(28 * 28).fill(0.5), [1, 1, 28, 28]);
  const start = performance.now();
  const y = (await session.run(x)) as nn.Tensor;
  const scores = await y.data();
  $('run').textContent = `One run (untrained weights): ${(performance.now() - start).toFixed(1)} ms, scores ${Array.from(scores, (v) => v.toFixed(3)).join(' ')}`;
}

main().catch((e) => {
  $('backend').textContent = `Error: ${(e as Error).message}`;
});
