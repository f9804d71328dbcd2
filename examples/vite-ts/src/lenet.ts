// The same few lines in the page and in the worker: LeNet on whatever backend 'auto' finds.
import * as nn from 'webgpu-nn';

export interface LeNetResult {
  backend: nn.Backend['name'];
  scores: number[];
}

export async function runLeNet(): Promise<LeNetResult> {
  const backend = await nn.createBackend();
  const session = await nn.compile(nn.models.lenet(), backend);
  const input = Float32Array.from({ length: 28 * 28 }, (_, i) => (i % 17) / 16);
  const x = backend.tensor(input, [1, 1, 28, 28]);
  const y: nn.Tensor = await session.run(x); // one input, one output: run() gives a Tensor
  const scores = Array.from(await y.data());
  x.dispose();
  y.dispose();
  session.dispose();
  backend.dispose();
  return { backend: backend.name, scores };
}
