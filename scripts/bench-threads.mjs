// The CPU backend's wasm GEMMs on 1 … N threads in Node (worker_threads), from the built dist/:
//   npm run bench:threads [-- --rounds 7]
// 1. Scaling: matmul 1024³, a 3×3 convolution (64 → 64 channels, 56×56, im2col) and a 1×1 one
//    (256 → 64, 56×56) on one image (their GEMMs split), LeNet's second convolution (6 → 16, 5×5,
//    the direct kernel) on 256 images and a 3×3 one (32 → 32, 28×28, im2col) on 16 (split by
//    images), eager ops as users call them, and LeNet at batch 256 compiled (the bench's
//    lenet_b256 row), on backends with threads 1 … N (N: the cores,
//    at least 2, at most 4), runs interleaved in rounds (the order rotates) so that the machine's
//    load hits every thread count alike. Per thread count: the median wall time, GFLOP/s per wall
//    second, GFLOP per CPU second (process CPU time, all threads: what the work costs), and the
//    cores the process got while it ran (CPU time ÷ wall time: below the thread count when the
//    machine's other work leaves no core free).
// 2. The pool's threshold: square GEMMs s³ through the kernels, and LeNet's second convolution on
//    N images, one thread against the pool forced to split (minMacs 0), medians of interleaved
//    calls: where splitting starts to pay.
// The machine's load average is printed with the figures: on a shared machine wall times vary.
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import * as nn from '../dist/webgpu-nn.js';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i < 0 ? fallback : Number(process.argv[i + 1]);
};
const rounds = arg('--rounds', 7);
const cores = os.availableParallelism();
const counts = Array.from({ length: Math.min(4, Math.max(2, cores)) }, (_, i) => i + 1);
const backends = [];
for (const threads of counts) backends.push(await nn.createBackend('cpu', { threads }));
console.log(`cores ${cores}, load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; threads ${counts.join(', ')}; ${rounds} rounds`);
console.log(backends.map((b) => `threads ${b.info.threads}${b.info.threadsReason ? ` (${b.info.threadsReason})` : ''}`).join('; '));

const rand = (n, seed) => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);
const workloads = [
  { name: 'matmul 1024³', flops: 2 * 1024 ** 3, make: (b) => { const x = b.tensor(rand(1024 * 1024, 1), [1024, 1024]); return () => b.ops.matmul(x, x); } },
  {
    name: 'conv 3×3 64→64 56²',
    flops: 2 * 64 * 64 * 9 * 56 * 56,
    make: (b) => { const x = b.tensor(rand(64 * 56 * 56, 2), [1, 64, 56, 56]), w = b.tensor(rand(64 * 64 * 9, 3), [64, 64, 3, 3]); return () => b.ops.conv2d(x, w, null, { padding: 1 }); },
  },
  {
    name: 'conv 1×1 256→64 56²',
    flops: 2 * 256 * 64 * 56 * 56,
    make: (b) => { const x = b.tensor(rand(256 * 56 * 56, 4), [1, 256, 56, 56]), w = b.tensor(rand(64 * 256, 5), [64, 256, 1, 1]); return () => b.ops.conv2d(x, w); },
  },
  {
    name: 'conv 5×5 6→16 14² ×256 (direct)',
    flops: 2 * 256 * 16 * 10 * 10 * 150,
    make: (b) => { const x = b.tensor(rand(256 * 6 * 14 * 14, 6), [256, 6, 14, 14]), w = b.tensor(rand(16 * 150, 7), [16, 6, 5, 5]); return () => b.ops.conv2d(x, w); },
  },
  {
    name: 'conv 3×3 32→32 28² ×16 (im2col)',
    flops: 2 * 16 * 32 * 28 * 28 * 288,
    make: (b) => { const x = b.tensor(rand(16 * 32 * 28 * 28, 8), [16, 32, 28, 28]), w = b.tensor(rand(32 * 288, 9), [32, 32, 3, 3]); return () => b.ops.conv2d(x, w, null, { padding: 1 }); },
  },
  {
    // Multiply-adds per image: conv 6·28²·25 + conv 16·10²·150 + linear 400·120 + 120·84 + 84·10.
    name: 'LeNet b256 (compiled)',
    flops: 2 * 256 * (6 * 784 * 25 + 16 * 100 * 150 + 400 * 120 + 120 * 84 + 84 * 10),
    make: async (b) => {
      const session = await nn.compile(nn.lenet({ seed: 1 }), b, { inputShape: [256, 1, 28, 28] });
      const x = b.tensor(rand(256 * 28 * 28, 10), [256, 1, 28, 28]);
      return () => session.run(x);
    },
  },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const cpuMs = () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

console.log('\n| workload | threads | median ms | GFLOP/s (wall) | GFLOP per CPU-second | cores used | wall speed-up |');
console.log('| --- | --- | --- | --- | --- | --- | --- |');
for (const w of workloads) {
  const runs = await Promise.all(backends.map((b) => w.make(b)));
  const wall = backends.map(() => []);
  const cpu = backends.map(() => 0);
  const wallSum = backends.map(() => 0);
  for (const run of runs) (await run()).dispose(); // warm-up: tiers up the wasm, grows the memory
  for (let r = 0; r < rounds; r++) {
    for (let j = 0; j < runs.length; j++) {
      const i = (j + r) % runs.length;
      const c0 = cpuMs();
      const t0 = performance.now();
      (await runs[i]()).dispose();
      const ms = performance.now() - t0;
      wall[i].push(ms);
      wallSum[i] += ms;
      cpu[i] += cpuMs() - c0;
    }
  }
  const base = median(wall[0]);
  backends.forEach((b, i) => {
    const ms = median(wall[i]);
    const perCpu = (w.flops * rounds) / (cpu[i] / 1000) / 1e9;
    console.log(`| ${w.name} | ${b.info.threads} | ${ms.toFixed(1)} | ${(w.flops / ms / 1e6).toFixed(1)} | ${perCpu.toFixed(1)} | ${(cpu[i] / wallSum[i]).toFixed(2)} | ${(base / ms).toFixed(2)}× |`);
  });
}

// The threshold: one thread against the pool splitting everything.
const pooled = backends[1];
pooled.pool.minMacs = 0;
console.log(`\n| GEMM s³ | MACs | 1 thread µs | ${pooled.info.threads} threads (forced split) µs | ratio |`);
console.log('| --- | --- | --- | --- | --- |');
for (const s of [32, 48, 64, 96, 128, 192]) {
  const a = rand(s * s, s), c = new Float32Array(s * s);
  const calls = Math.max(20, Math.round(2e8 / s ** 3));
  const times = [[], []];
  for (let r = 0; r < calls * 2; r++) {
    const i = r % 2;
    const t0 = performance.now();
    (i === 0 ? backends[0] : pooled).kernels.gemm(false, false, s, s, s, a, 0, s, a, 0, s, c, 0, s);
    times[i].push(performance.now() - t0);
  }
  const [one, two] = times.map((t) => median(t.slice(t.length / 4)) * 1000);
  console.log(`| ${s}³ | ${s ** 3} | ${one.toFixed(1)} | ${two.toFixed(1)} | ${(two / one).toFixed(2)} |`);
}
// The same for convolutions split by images: LeNet's second convolution (240 000 multiply-adds an image) on N images.
console.log(`\n| conv 5×5 6→16 14² (direct) × N | MACs | 1 thread µs | ${pooled.info.threads} threads (forced split) µs | ratio |`);
console.log('| --- | --- | --- | --- | --- |');
const wConv = rand(16 * 150, 11);
for (const N of [2, 4, 8, 16, 32]) {
  const x = rand(N * 6 * 14 * 14, N), y = new Float32Array(N * 16 * 100);
  const win = { kernel: [5, 5], stride: [1, 1], dilation: [1, 1], pads: [0, 0, 0, 0], output: [10, 10] };
  const calls = Math.max(20, Math.round(2e8 / (N * 240000)));
  const times = [[], []];
  for (let r = 0; r < calls * 2; r++) {
    const i = r % 2;
    const t0 = performance.now();
    (i === 0 ? backends[0] : pooled).kernels.conv2d({ data: x, shape: [N, 6, 14, 14] }, { data: wConv, shape: [16, 6, 5, 5] }, null, { data: y, shape: [N, 16, 10, 10] }, win, 1);
    times[i].push(performance.now() - t0);
  }
  const [one, two] = times.map((t) => median(t.slice(t.length / 4)) * 1000);
  console.log(`| ×${N} | ${N * 240000} | ${one.toFixed(1)} | ${two.toFixed(1)} | ${(two / one).toFixed(2)} |`);
}
console.log(`\nload average after: ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
for (const b of backends) b.dispose();
