// The LSTM bench row (I 128, H 256, 64 steps, batch 1) on the CPU backend (one thread) and on ONNX
// Runtime Web's wasm provider (one thread) in one headless-Chromium page, warm runs alternating in
// interleaved rounds: the steady state that the bench's 15 rounds (each library in its own page, the
// others' runs in between) only approach. Run by page.mjs.
import * as ort from 'onnxruntime-web/wasm';
import * as nn from '../../../src/index.js';
import { benchModel } from '../../models.js';

const SHAPE = [64, 1, 128];

async function ours(input: Float32Array): Promise<() => Promise<unknown>> {
  const backend = await nn.createBackend('cpu', { threads: 1 });
  const session = await nn.compile(benchModel('lstm').build(), backend);
  await session.executableFor([SHAPE]);
  // As the bench's adapter: a tensor in, the result read back, both disposed.
  return async () => {
    const x = backend.tensor(input, SHAPE);
    const y = (await session.run(x)) as nn.Tensor;
    await y.data();
    x.dispose();
    y.dispose();
  };
}

async function onnxRuntime(input: Float32Array): Promise<() => Promise<unknown>> {
  ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
  ort.env.wasm.numThreads = 1;
  const bytes = new Uint8Array(await (await fetch('/model.onnx')).arrayBuffer());
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  return async () => {
    const results = await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', input, SHAPE) });
    const y = results[session.outputNames[0]];
    await y.getData();
    y.dispose();
  };
}

/** `cold`: 64 MiB written and a 5 ms pause before every run, as other work between two runs leaves the machine. */
export async function compare(rounds: number, cold: boolean): Promise<string> {
  const input = new Float32Array(64 * 128).map((_, i) => Math.sin(i));
  const libs: [string, () => Promise<unknown>][] = [['webgpu-nn/cpu', await ours(input)], ['onnxruntime-web/wasm', await onnxRuntime(input)]];
  const junk = new Float32Array(16 << 20);
  const ms: number[][] = libs.map(() => []);
  const ratios: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const times: number[] = [];
    for (const [, run] of libs) {
      if (cold) {
        for (let i = 0; i < junk.length; i += 16) junk[i] += 1;
        await new Promise((r) => setTimeout(r, 5));
      }
      const t0 = performance.now();
      await run();
      times.push(performance.now() - t0);
    }
    if (round < 20) continue; // warm-up
    times.forEach((t, i) => ms[i].push(t));
    ratios.push(times[0] / times[1]);
  }
  const median = (x: number[]) => x.slice().sort((a, b) => a - b)[x.length >> 1];
  const each = libs.map(([name], i) => `${name} ${median(ms[i]).toFixed(2)} ms`).join(', ');
  return `${cold ? 'cold' : 'warm'}, ${ratios.length} rounds: medians ${each}; webgpu-nn ÷ ORT, median of per-round ratios ${median(ratios).toFixed(3)}`;
}
