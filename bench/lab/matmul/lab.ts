// Kernel lab for the WebGPU GEMM (llm.c's dev/ habit): numbered variants, each checked against
// the CPU GEMM (src/ops/gemm/gemm.ts) and timed over a sweep of shapes (square, linear layers at
// batch 1 and 8, a 1×1 convolution, odd sizes).
//
//   npx vite build -c bench/lab/matmul/vite.config.ts && node bench/lab/matmul/dist/lab.js [options]
//   options: --cases sq512,lin1,…   --variants 00-shipped,r-vec4-8x8-8x8,…   --target-ms 400   --rounds 5   --big
//            --cpu-time (time by the CPU seconds of the adapter's process: steadier on a loaded machine)
//   (on this machine: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node …)
//   In Chromium (its SwiftShader behaves differently from Dawn's in Node: time there what the
//   bench runs): LAB=matmul npx vite build -c bench/lab/browser/vite.config.ts && node bench/lab/browser/run.mjs matmul [options]
//
// Timing: one device; pipelines and bind groups built once and warmed by the checking run; a
// trial records the variant's dispatches `reps` times (up to 50 per compute pass and submit),
// then reads 4 bytes back, so it covers the GPU work of every submit. The variants of a case
// take turns, one trial each per round, so load from other work on the machine spreads over
// all of them. GFLOP/s = 2·m·n·k·batch / time; the table shows the median over the rounds
// (the log also shows the best).
import { withActivationFn, type Activation } from '../../../src/ops/elementwise/activation';
import { gemm } from '../../../src/ops/gemm/gemm';
import { recordGemm, recordGemmWith, registerKernel, sharedAKernel, type GemmGpuArgs, type GemmKernel } from '../../../src/ops/gemm/gemmGpu';
import { Random } from '../../../src/random';
import gemvWgsl from '../../../shaders/gemm/matmul_gemv.wgsl?raw';
import tiledWgsl from '../../../shaders/gemm/matmul_tiled.wgsl?raw';
import storeWgsl from '../../../shaders/gemm/matmul_store.wgsl?raw';
import { emptyArg, labKernel, medianAndBest, openBackend, option, recordCommands, repsFor, runLab, timeInRounds, uploadArg, verdict, type Check, type LabKernel } from '../harness';
import { registerKernelCode, type RegisterVariant } from './registers';

interface Case {
  readonly name: string;
  readonly m: number;
  readonly n: number;
  readonly k: number;
  readonly transB: boolean;
  /** Batch entries; A (a 1×1 convolution's weight) broadcast across them. */
  readonly batch?: number;
  readonly biasPerRow?: boolean;
  readonly activation?: Activation;
  readonly big?: boolean;
}

const CASES: Case[] = [
  { name: 'sq512', m: 512, n: 512, k: 512, transB: false },
  { name: 'sq512t', m: 512, n: 512, k: 512, transB: true },
  { name: 'lin1', m: 1, n: 4096, k: 4096, transB: true },
  { name: 'lin8', m: 8, n: 4096, k: 9216, transB: true },
  { name: 'conv1x1', m: 64, n: 3136, k: 256, transB: false, biasPerRow: true, activation: { kind: 'relu' } },
  { name: 'odd', m: 127, n: 255, k: 129, transB: false },
  { name: 'oddt', m: 33, n: 1001, k: 515, transB: true },
  { name: 'sq1024', m: 1024, n: 1024, k: 1024, transB: false },
  { name: 'sq2048', m: 2048, n: 2048, k: 2048, transB: false, big: true },
  { name: 'conv1x1b8', m: 256, n: 3136, k: 64, transB: false, batch: 8, biasPerRow: true, big: true },
  { name: 'lin64', m: 64, n: 4096, k: 9216, transB: true, big: true },
];

interface Variant {
  readonly name: string;
  /** Whether the kernel can take this case (vec4 kernels need 4-aligned k and strides). */
  readonly accepts?: (c: Case) => boolean;
  record(k: Parameters<typeof recordGemm>[0], args: GemmGpuArgs): void;
}

/** 01: generated register-blocked variants (registers.ts), the exploration. */
const registerVariant = (v: RegisterVariant): Variant => {
  const name = `01-gen-${v.load}${v.columns === 'strided' ? '-strided' : ''}-${v.tm}x${v.tn}-${v.wgx}x${v.wgy}`;
  const kernel: GemmKernel = { name, shader: withActivationFn(`lab-${name}`, registerKernelCode(v)), rowsPerGroup: v.tm * v.wgy, colsPerGroup: v.tn * v.wgx };
  return {
    name,
    accepts: v.load === 'vec4' ? (c) => c.k % 4 === 0 && (c.transB || c.n % 4 === 0) : undefined,
    record: (k, args) => recordGemmWith(k, args, kernel),
  };
};

/** 03: shaders/gemm/matmul_tiled.wgsl with TR × 4 per invocation, WG × WG invocations, BK along k per step. */
const tiledVariant = (tr: number, wg: number, bk: number): Variant => {
  const code = tiledWgsl.replace(/const TR = \d+u;/, `const TR = ${tr}u;`).replace(/const WG = \d+u;/, `const WG = ${wg}u;`).replace(/const BK = \d+u;/, `const BK = ${bk}u;`);
  const kernel: GemmKernel = { name: `tiled ${tr}×4 wg${wg} bk${bk}`, shader: withActivationFn(`lab-tiled-${tr}x4-${wg}-${bk}`, `${code}\n${storeWgsl}`), rowsPerGroup: wg * tr, colsPerGroup: wg * 4 };
  return { name: `03-tiled-${tr}x4-wg${wg}-bk${bk}`, record: (k, args) => recordGemmWith(k, args, kernel) };
};

/** 04: shaders/gemm/matmul_gemv.wgsl with MR rows × NC columns per workgroup. */
const gemvVariant = (mr: number, nc: number): Variant => {
  const code = gemvWgsl.replace(/const MR = \d+u;/, `const MR = ${mr}u;`).replace(/const NC = \d+u;/, `const NC = ${nc}u;`);
  const kernel: GemmKernel = { name: `gemv ${mr}×${nc}`, shader: withActivationFn(`lab-gemv-${mr}x${nc}`, code), rowsPerGroup: mr, colsPerGroup: nc };
  return { name: `04-gemv-${mr}x${nc}`, accepts: (c) => c.transB && c.k % 4 === 0 && c.m <= 64, record: (k, args) => recordGemmWith(k, args, kernel) };
};

/** 05: shaders/gemm/matmul.wgsl with A shared by the 4 lanes of a subgroup (matmul_a_subgroup.wgsl). */
const sharedAVariant = (tm: number, tn: number): Variant => {
  const kernel = sharedAKernel(tm, tn);
  return { name: `05-shared-a-${tm}x${tn}`, record: (k, args) => recordGemmWith(k, args, kernel) };
};

/** 02: shaders/gemm/matmul.wgsl with a given block and workgroup. */
const shippedVariant = (tm: number, tn: number, wgx: number, wgy: number): Variant => {
  const kernel = registerKernel(tm, tn, wgx, wgy);
  return { name: `02-regs-${tm}x${tn}-${wgx}x${wgy}`, record: (k, args) => recordGemmWith(k, args, kernel) };
};

const VARIANTS: Variant[] = [

  // 00: what recordGemm chooses on this adapter.
  { name: '00-shipped', record: recordGemm },
  shippedVariant(16, 16, 8, 8),
  shippedVariant(16, 16, 8, 4),
  shippedVariant(16, 16, 4, 1),
  shippedVariant(16, 16, 4, 16),
  shippedVariant(8, 16, 8, 8),
  shippedVariant(8, 16, 16, 4),
  shippedVariant(8, 8, 8, 8),
  shippedVariant(4, 16, 16, 4),
  shippedVariant(2, 8, 32, 2),
  shippedVariant(1, 8, 64, 1),
  shippedVariant(1, 16, 64, 1),
  shippedVariant(1, 4, 64, 1),
  shippedVariant(1, 8, 16, 1),
  shippedVariant(1, 8, 256, 1),
  registerVariant({ tm: 4, tn: 4, wgx: 8, wgy: 8, load: 'scalar' }),
  registerVariant({ tm: 8, tn: 8, wgx: 8, wgy: 8, load: 'scalar' }),
  registerVariant({ tm: 8, tn: 16, wgx: 8, wgy: 8, load: 'scalar' }),
  registerVariant({ tm: 1, tn: 8, wgx: 64, wgy: 1, load: 'scalar' }),
  registerVariant({ tm: 4, tn: 4, wgx: 8, wgy: 8, load: 'scalar', columns: 'strided' }),
  registerVariant({ tm: 8, tn: 8, wgx: 8, wgy: 8, load: 'scalar', columns: 'strided' }),
  registerVariant({ tm: 8, tn: 8, wgx: 16, wgy: 4, load: 'scalar', columns: 'strided' }),
  registerVariant({ tm: 4, tn: 4, wgx: 8, wgy: 8, load: 'vec4' }),
  registerVariant({ tm: 4, tn: 8, wgx: 8, wgy: 8, load: 'vec4' }),
  registerVariant({ tm: 8, tn: 8, wgx: 8, wgy: 8, load: 'vec4' }),
  registerVariant({ tm: 8, tn: 16, wgx: 8, wgy: 8, load: 'vec4' }),
  registerVariant({ tm: 8, tn: 8, wgx: 16, wgy: 4, load: 'vec4' }),
  registerVariant({ tm: 1, tn: 8, wgx: 64, wgy: 1, load: 'vec4' }),
  registerVariant({ tm: 2, tn: 8, wgx: 32, wgy: 2, load: 'vec4' }),
  sharedAVariant(16, 16),
  sharedAVariant(16, 8),
  sharedAVariant(8, 16),
  tiledVariant(8, 8, 32),
  tiledVariant(4, 8, 32),
  tiledVariant(8, 8, 16),
  tiledVariant(4, 16, 16),
  tiledVariant(8, 16, 16),
  gemvVariant(1, 4),
  gemvVariant(4, 4),
  gemvVariant(8, 4),
];

async function main(): Promise<void> {
  const big = process.argv.includes('--big');
  const caseNames = option('cases', CASES.filter((c) => big || !c.big).map((c) => c.name).join(',')).split(',');
  const variantNames = option('variants', VARIANTS.map((v) => v.name).join(',')).split(',');
  const targetMs = Number(option('target-ms', '400'));
  const rounds = Number(option('rounds', '5'));
  const backend = await openBackend();
  const variants = VARIANTS.filter((v) => variantNames.includes(v.name));
  const rows: string[] = [`| case | ${variants.map((v) => v.name).join(' | ')} |`, `|---|${variants.map(() => '---').join('|')}|`];

  for (const c of CASES.filter((c) => caseNames.includes(c.name))) {
    const rng = new Random(1);
    const batch = c.batch ?? 1;
    const { m, n, k, transB } = c;
    const a = rng.fill(m * k);
    const b = rng.fill(batch * k * n);
    const bias = rng.fill(c.biasPerRow ? m : n);
    // Reference: the CPU GEMM per batch entry, then bias and activation.
    const ref = new Float32Array(batch * m * n);
    for (let e = 0; e < batch; e++) gemm(false, transB, m, n, k, a, 0, k, b, e * k * n, transB ? k : n, ref, e * m * n, n);
    if (c.biasPerRow) for (let i = 0; i < ref.length; i++) ref[i] += bias[Math.floor(i / n) % m];
    if (c.activation) for (let i = 0; i < ref.length; i++) ref[i] = Math.max(ref[i], 0);
    const A = uploadArg(backend, a, [m, k]);
    const B = uploadArg(backend, b, [batch, k, n]);
    const C = emptyArg(backend, [batch, m, n]);
    const bias_ = uploadArg(backend, bias, [bias.length]);
    const args: GemmGpuArgs = {
      a: A, b: B, c: C, m, n, k, transB, batch, strideA: 0,
      bias: c.biasPerRow ? bias_ : null, biasPer: 'row', activation: c.activation,
    };
    const flop = 2 * m * n * k * batch;
    // Build, check and size every variant, then time them in interleaved rounds (a machine
    // shared with other work slows all variants of a round alike).
    interface Timed { v: Variant; check: Check; reps: number; kernel: LabKernel }
    const timed: (Timed | null)[] = [];
    for (const v of variants) {
      if (v.accepts && !v.accepts(c)) {
        timed.push(null);
        continue;
      }
      // `reps` repetitions in one compute pass per submit (at most 50 per submit), so a small
      // GEMM on a fast GPU is timed, not the submit.
      const kernel = labKernel(backend, recordCommands(backend, (rec) => v.record(rec, args)), C.buffer, { perSubmit: 50 });
      const check = await kernel.check(ref);
      const first = await kernel.timeOnce(1);
      timed.push({ v, check, reps: repsFor(targetMs, first, 1, 2000), kernel });
    }
    const times = await timeInRounds(timed.map((t) => t && (() => t.kernel.timeOnce(t.reps))), rounds);
    const gflops = (ms: number) => flop / (ms * 1e6);
    const cells = timed.map((t, i) => {
      if (!t) return 'n/a';
      const { median, best } = medianAndBest(times[i]);
      console.log(
        `${c.name.padEnd(10)} ${t.v.name.padEnd(22)} ${median.toFixed(3).padStart(9)} ms  ${gflops(median).toFixed(2).padStart(8)} GFLOP/s median, ${gflops(best).toFixed(2)} best (${rounds}×${t.reps})  ${verdict(t.check)}`,
      );
      return `${gflops(median).toFixed(2)}${t.check.ok ? '' : ' WRONG'}`;
    });
    rows.push(`| ${c.name} ${batch > 1 ? `${batch}×` : ''}${m}×${n}×${k}${transB ? ' Bᵀ' : ''} | ${cells.join(' | ')} |`);
    for (const x of [A, B, C, bias_]) x.buffer.destroy();
  }
  console.log('\n' + rows.join('\n'));
  backend.dispose();
}

runLab(main);
