// Where the CPU backend's LSTM bench row (I 128, H 256, 64 steps, batch 1) spends its time in wasm:
// the input projection GEMM, the 64 fused steps (each alone, and also at batch 4), and the whole
// compiled run through the backend, with warm caches or (LAB_COLD=1) cold ones. With LAB_BASE=<file.wasm> (an earlier build's bytes) the kernel
// cases run for both builds in interleaved rounds, so that load from other work slows them alike.
// Build and run: [LAB_COLD=1] [LAB_BASE=/tmp/base.wasm] bench/lab/run.sh bench/lab/recurrent/cpu.ts
import { readFileSync } from 'node:fs';
import * as nn from '../../../src/index.js';
import { kernelsWasmBytes, type KernelExports } from '../../../src/backends/cpu/wasm/wasmKernels.js';
import { benchModel } from '../../models.js';

const I = 128, H = 256, T = 64, G = 4;

/** The projection and the step loop on one instance of `bytes`, with random weights. */
async function kernelCases(bytes: Uint8Array, label: string, batch: number): Promise<[string, () => void][]> {
  const { instance } = (await WebAssembly.instantiate(bytes, {})) as unknown as WebAssembly.WebAssemblyInstantiatedSource;
  const x = instance.exports as unknown as KernelExports;
  const align = (n: number) => Math.ceil(n / 64) * 64;
  let at = align(x.heapBase());
  const place = (n: number) => { const p = at; at = align(at + n); return p; };
  const N = batch;
  const scratch = place(x.gemmScratchBytes());
  const pIh = place(4 * G * H * I), pbIh = place(4 * G * H), pHh = place(4 * G * H * H), pbHh = place(4 * G * H);
  const pPacked = place(x.recurrentPackedBytes(0, H));
  const px = place(4 * T * N * I), pXp = place(4 * T * N * G * H + 64), pH0 = place(4 * N * H), pc = place(4 * N * H), pOut = place(4 * T * N * H);
  x.memory.grow(Math.ceil((at - x.memory.buffer.byteLength) / 65536) + 1);
  const heap = new Float32Array(x.memory.buffer);
  for (let i = pIh / 4; i < pH0 / 4; i++) heap[i] = (Math.random() - 0.5) * 0.1;
  heap.fill(0, pH0 / 4, pOut / 4 + T * N * H);
  x.recurrentPack(0, H, pHh, pbHh, pPacked);
  const projection = () => x.gemm(0, 1, T * N, G * H, I, px, I, pIh, I, pXp, G * H, 0, pbIh, 1, 0, 0, 0, scratch);
  const steps = () => {
    let last = pH0;
    for (let t = 0; t < T; t++) {
      const out = pOut + 4 * t * N * H;
      x.recurrentStep(0, N, H, pPacked, 0, Infinity, pXp + 4 * t * N * G * H, G * H, last, out, pc);
      last = out;
    }
  };
  return batch === 1 ? [[`${label} projection GEMM`, projection], [`${label} 64 steps`, steps]] : [[`${label} 64 steps, batch ${batch}`, steps]];
}

const cases: [string, () => unknown][] = [];
const base = process.env.LAB_BASE;
for (const batch of [1, 4]) {
  if (base) cases.push(...(await kernelCases(readFileSync(base), 'base', batch)));
  cases.push(...(await kernelCases(kernelsWasmBytes(), 'this build', batch)));
}
const backend = await nn.createBackend('cpu', { threads: 1 });
const session = await nn.compile(benchModel('lstm').build(), backend);
const input = new Float32Array(T * I).map(() => Math.random() - 0.5);
await session.executableFor([[T, 1, I]]);
cases.push(['whole compiled run (this build)', async () => {
  const t = backend.tensor(input, [T, 1, I]);
  const y = (await session.run(t)) as nn.Tensor;
  await y.data();
  t.dispose();
  y.dispose();
}]);

// LAB_COLD=1: 64 MiB written before each case, as other work between two runs leaves the caches.
const junk = process.env.LAB_COLD ? new Float32Array(16 << 20) : null;
const times = new Map<string, number[]>(cases.map(([n]) => [n, []]));
const cpu = new Map<string, number>(cases.map(([n]) => [n, 0]));
for (let round = 0; round < Number(process.env.LAB_ROUNDS ?? 200); round++) {
  for (const [name, run] of cases) {
    if (junk) for (let i = 0; i < junk.length; i += 16) junk[i] += 1;
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await run();
    const dt = performance.now() - t0;
    const c = process.cpuUsage(c0);
    if (round < 20) continue;
    times.get(name)!.push(dt);
    cpu.set(name, cpu.get(name)! + (c.user + c.system) / 1000);
  }
}
for (const [name] of cases) {
  const s = times.get(name)!.sort((a, b) => a - b);
  console.log(`${name}: median ${s[s.length >> 1].toFixed(3)} ms, best ${s[0].toFixed(3)}, CPU ${(cpu.get(name)! / s.length).toFixed(3)} ms per run`);
}
