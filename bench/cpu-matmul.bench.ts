// GFLOP/s (2·M·N·K per second) of the CPU GEMM and convolution on one core, with the TypeScript
// kernels (src/ops/gemm/gemm.ts, src/ops/conv/im2col.ts) and the wasm SIMD ones (src/backends/cpu/wasm/): square products,
// an im2col convolution, and linear layers (1 to 8 rows against AlexNet/VGG's 4096 × 4096 and
// 4096 × 9216 classifier weights, stored [out, in] and so read transposed).
// Run: npx vitest bench --run bench/cpu-matmul.bench.ts   (not part of npm test)
// Besides vitest's table, each case prints its median and best GFLOP/s, the best being the
// better estimate on a machine shared with other work, and the GFLOP/s per second of CPU time the
// process got (process.cpuUsage): on a loaded machine, what the kernel does when it runs.
import { bench, describe } from 'vitest';
import { instantiateWasmKernels } from '../src/backends/cpu/wasm/wasmKernels';
import { conv2dAttrs, conv2dOp } from '../src/ops/conv/conv2d';
import { referenceKernels } from '../src/ops/cpuKernels';
import type { CpuKernels } from '../src/ops/op';
import { Random } from '../src/random';

const KERNELS: [string, CpuKernels][] = [
  ['TypeScript', referenceKernels],
  ['wasm SIMD', await instantiateWasmKernels()],
];

interface Case {
  readonly label: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  /** B stored [n, k] (a linear layer's weight) instead of [k, n]. */
  readonly transB: boolean;
}

const CASES: Case[] = [
  { label: '1024 × 1024 × 1024, A·B', m: 1024, n: 1024, k: 1024, transB: false },
  { label: '512 × 512 × 512, A·B', m: 512, n: 512, k: 512, transB: false },
  { label: '512 × 512 × 512, A·Bᵀ', m: 512, n: 512, k: 512, transB: true },
  { label: 'im2col conv 64 × 3136 × 576 (3×3, 64 → 64 at 56×56)', m: 64, n: 3136, k: 576, transB: false },
  { label: 'linear 1 × 4096 → 4096', m: 1, n: 4096, k: 4096, transB: true },
  { label: 'linear 2 × 4096 → 4096', m: 2, n: 4096, k: 4096, transB: true },
  { label: 'linear 8 × 4096 → 4096', m: 8, n: 4096, k: 4096, transB: true },
  { label: 'linear 1 × 9216 → 4096', m: 1, n: 4096, k: 9216, transB: true },
  { label: 'linear 8 × 9216 → 4096', m: 8, n: 4096, k: 9216, transB: true },
];

/** GFLOP/s at the median and the best of the timed runs (seconds). */
function report({ label, m, n, k }: Case, seconds: number[], cpuSeconds: number): string {
  const sorted = seconds.slice().sort((x, y) => x - y);
  const gflops = (s: number) => ((2 * m * n * k) / s / 1e9).toFixed(2);
  const median = sorted[Math.floor(sorted.length / 2)];
  const perCpu = gflops(cpuSeconds / seconds.length);
  return `${label}: ${gflops(median)} GFLOP/s median, ${gflops(sorted[0])} best, ${perCpu} per CPU second (${sorted.length} runs)`;
}

/** A vitest bench of `run` that prints the case's median and best GFLOP/s over the timed runs. */
function timedBench(benchCase: Case, run: () => void): void {
  const seconds: number[] = [];
  let cpuStart = process.cpuUsage();
  bench(
    benchCase.label,
    () => {
      const start = performance.now();
      run();
      seconds.push((performance.now() - start) / 1000);
    },
    {
      time: 1500,
      warmupTime: 300,
      // setup and teardown run around the warm-up and around the timed runs (vitest runs no
      // afterAll hooks in bench mode), so only the timed runs are reported.
      setup: (_task, mode) => {
        if (mode === 'run') seconds.length = 0;
        cpuStart = process.cpuUsage();
      },
      teardown: (_task, mode) => {
        const used = process.cpuUsage(cpuStart);
        if (mode === 'run') console.log(report(benchCase, seconds, (used.user + used.system) / 1e6));
      },
    },
  );
}

describe.each(KERNELS)('CPU gemm, one core, %s kernels', (kernelsName, { gemm }) => {
  const rng = new Random(1);
  // Cases with the same weight size share one B (up to 151 MB each).
  const weights = new Map<number, Float32Array>();
  for (const benchCase of CASES) {
    const { m, n, k, transB } = benchCase;
    const a = rng.fill(m * k);
    const b = weights.get(k * n) ?? rng.fill(k * n);
    weights.set(k * n, b);
    const c = new Float32Array(m * n);
    timedBench({ ...benchCase, label: `${kernelsName}: ${benchCase.label}` }, () => gemm(false, transB, m, n, k, a, 0, k, b, 0, transB ? k : n, c, 0, n));
  }
});

// The CPU convolution kernel itself (conv2dOp.cpu: window copies + register blocks), on the
// ResNet-like layer the GEMM's im2col case above stands for.
describe.each(KERNELS)('CPU conv2d, one core, %s kernels', (kernelsName, kernels) => {
  const rng = new Random(2);
  const x = { data: rng.fill(64 * 56 * 56), shape: [1, 64, 56, 56] };
  const w = { data: rng.fill(64 * 64 * 9), shape: [64, 64, 3, 3] };
  const b = { data: rng.fill(64), shape: [64] };
  const y = { data: new Float32Array(64 * 56 * 56), shape: [1, 64, 56, 56] };
  const attrs = conv2dAttrs({ padding: 1 });
  const layer: Case = { label: `${kernelsName}: conv2d [1,64,56,56]·[64,64,3,3] pad 1`, m: 64, n: 56 * 56, k: 64 * 9, transB: false };
  timedBench(layer, () => conv2dOp.cpu([x, w, b], [y], attrs, kernels));
});
