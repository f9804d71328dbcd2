// LeNet in Node: on the CPU backend, and on WebGPU through the `webgpu` package (Dawn).
// Prints one JSON line: { cpu: [10 scores], webgpu: [10 scores] }.
import * as nn from 'webgpu-nn';
import { create } from 'webgpu';

const input = Float32Array.from({ length: 28 * 28 }, (_, i) => (i % 17) / 16);

async function lenetScores(backend) {
  const session = await nn.compile(nn.models.lenet(), backend);
  const x = backend.tensor(input, [1, 1, 28, 28]);
  const y = await session.run(x);
  const scores = Array.from(await y.data());
  x.dispose();
  y.dispose();
  session.dispose();
  return scores;
}

const cpu = await nn.createBackend('cpu');
// Keep the GPU object referenced while its devices are in use (Dawn frees them with it).
const gpuObject = create([]);
const webgpu = await nn.createBackend('webgpu', { gpu: gpuObject });
const result = { cpu: await lenetScores(cpu), webgpu: await lenetScores(webgpu) };
cpu.dispose();
webgpu.dispose();
console.log(JSON.stringify(result));
