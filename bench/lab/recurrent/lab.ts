// Kernel lab for the recurrent step (llm.c's dev/ habit): numbered variants of the fused LSTM
// step kernel, each checked against the CPU step math (recurrentMath.ts) and timed over T = 28
// steps — the part of an LSTM sequence that runs once per time step.
//
//   npx vite build -c bench/lab/recurrent/vite.config.ts && node bench/lab/recurrent/dist/lab.js [options]
//   options: --cases 1x128,64x128,…  (N x H)   --variants 01-rows,02-transposed,…   --target-ms 300
//            --mode gru|rnn (the shipped kernels only; GRU as PyTorch's, linearBeforeReset)
//
// Every variant shares the shipped kernel's uniform block and bindings (shaders/recurrent/recurrent_step.wgsl);
// they differ in the weight layout (W_hh rows [G·H, H] as given, or transposed [H, G·H]) and in
// what one invocation computes (a unit, four units, four rows, or a k-slice of a unit: 05–07). The projection xp is random data here (the GEMM is not measured).
// Timing: one command buffer per sequence (clear the state, T dispatches), `reps` submits, then
// a 4-byte read; the median of the trials is reported, with the best.
import { grid, uniforms } from '../../../src/ops/kernel';
import { GATE_COUNT, recurrentStep, stepScratch, type RecurrentMode, type StepWeights } from '../../../src/ops/recurrent/recurrentMath';
import { Random } from '../../../src/random';
import { STEP_PRELUDE, stepShader, stepSplit, withStepUniforms } from '../../../src/ops/recurrent/recurrentGpu';
import { MAX_SEQUENCE_HIDDEN, sequenceShader } from '../../../src/ops/recurrent/recurrentSequenceGpu';
import { dispatchCommand, emptyArg, labKernel, type Check, type LabKernel, medianAndBest, openBackend, option, repsFor, runLab, timeInRounds, trialsFor, uploadArg, verdict } from '../harness';
import rowsWgsl from './01_rows.wgsl?raw';
import transposedWgsl from './02_transposed.wgsl?raw';
import vec4Wgsl from './03_vec4.wgsl?raw';
import batch4Wgsl from './04_batch4.wgsl?raw';
import ksplitWgsl from './05_ksplit4.wgsl?raw';
import rowsKsplitWgsl from './06_rows_ksplit.wgsl?raw';
import transposedKsplitWgsl from './07_transposed_ksplit.wgsl?raw';
import sequenceWgsl from './09_sequence.wgsl?raw';
import seqBlockWgsl from './10_seq_block4.wgsl?raw';
import { withNanTest } from '../../../src/ops/nan';

const T = 28;


interface Variant {
  readonly name: string;
  /** The WGSL after the uniform block; for a shipped kernel the whole module (`shipped`). */
  readonly code: string | ((H: number, mode: RecurrentMode) => string);
  readonly shipped?: boolean;
  readonly transposed: boolean;
  /** Weights packed in k-quads [H/4][G·H] of vec4 instead. */
  readonly quads?: boolean;
  /** Weights as the shipped step kernel reads them (recurrent_pack.wgsl: [⌈H/4⌉][H][G] of vec4). */
  readonly packed?: boolean;
  /** Every step in one dispatch of one workgroup per row (09), instead of one dispatch per step. */
  readonly sequence?: boolean;
  readonly constants?: Record<string, number>;
  /** Invocations per step for N rows of H units. */
  invocations(N: number, H: number): number;
  usable?(N: number, H: number): boolean;
}

const VARIANTS: Variant[] = [
  {
    name: '00-shipped',
    code: stepShader.code,
    shipped: true,
    transposed: false,
    packed: true,
    constants: { MODE: 0 },
    invocations: (N, H) => N * Math.ceil(H / (64 / stepSplit(H))) * 64,
  },
  { name: '01-rows', code: rowsWgsl, transposed: false, constants: { MODE: 0 }, invocations: (N, H) => N * H },
  { name: '02-transposed', code: transposedWgsl, transposed: true, invocations: (N, H) => N * H },
  { name: '03-vec4', code: vec4Wgsl, transposed: true, invocations: (N, H) => (N * H) / 4, usable: (_N, H) => H % 4 === 0 },
  { name: '04-batch4', code: batch4Wgsl, transposed: true, invocations: (N, H) => Math.ceil(N / 4) * H },
  { name: '05-ksplit4', code: ksplitWgsl, transposed: true, invocations: (N, H) => N * Math.ceil(H / 16) * 64 },
  ...[1, 2, 4, 8, 16, 32].map(
    (S): Variant => ({ name: `08-shipped-k${S}`, code: stepShader.code, shipped: true, transposed: false, packed: true, constants: { MODE: 0, S }, invocations: (N, H) => N * Math.ceil(H / (64 / S)) * 64 }),
  ),
  ...[64, 128, 256].flatMap((WG): Variant[] => [
    { name: `09-seq-rows-${WG}`, code: sequenceWgsl, transposed: false, sequence: true, constants: { WG, LAYOUT: 0 }, invocations: (N) => N * WG },
    { name: `09-seq-tr-${WG}`, code: sequenceWgsl, transposed: true, sequence: true, constants: { WG, LAYOUT: 1 }, invocations: (N) => N * WG },
    { name: `09-seq-quads-${WG}`, code: sequenceWgsl, transposed: true, quads: true, sequence: true, constants: { WG, LAYOUT: 2 }, invocations: (N) => N * WG, usable: (_N, H) => H % 4 === 0 },
  ]),
  ...[4, 16, 64].map((WG): Variant => ({ name: `10-seq-block4-${WG}`, code: seqBlockWgsl, transposed: false, sequence: true, constants: { WG }, invocations: (N) => N * WG })),
  {
    name: '12-shipped-sequence',
    code: (H, mode) => sequenceShader(mode, true, H, STEP_PRELUDE).code,
    shipped: true,
    transposed: false,
    sequence: true,
    constants: { MODE: 0 },
    invocations: (N, H) => N * H,
    usable: (_N, H) => H <= MAX_SEQUENCE_HIDDEN,
  },
  ...[4, 8, 16, 32, 64].flatMap((S): Variant[] => [
    { name: `06-rows-k${S}`, code: rowsKsplitWgsl, transposed: false, constants: { S }, invocations: (N, H) => N * Math.ceil(H / (64 / S)) * 64 },
    { name: `07-tr-k${S}`, code: transposedKsplitWgsl, transposed: true, constants: { S }, invocations: (N, H) => N * Math.ceil(H / (64 / S)) * 64 },
  ]),
];

/** y [T, N, H] of a forward LSTM (GRU, RNN) from zero states, by the CPU step math. */
function reference(mode: RecurrentMode, xp: Float32Array, w: Float32Array, b: Float32Array, N: number, H: number): Float32Array {
  const weights: StepWeights = { mode, hiddenSize: H, nonlinearity: 'tanh', linearBeforeReset: true, clip: Infinity, wHh: w, bHh: b, wPh: null };
  const h = new Float32Array(N * H);
  const c = new Float32Array(N * H);
  const y = new Float32Array(T * N * H);
  const scratch = stepScratch(mode, H);
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      recurrentStep(weights, xp, (t * N + n) * GATE_COUNT[mode] * H, h, n * H, c, n * H, scratch);
      y.set(h.subarray(n * H, (n + 1) * H), (t * N + n) * H);
    }
  }
  return y;
}

async function main(): Promise<void> {
  const cases = option('cases', '1x128,8x128,64x128,1x512,16x256').split(',').map((s) => s.split('x').map(Number) as [number, number]);
  const wanted = option('variants', VARIANTS.map((v) => v.name).join(',')).split(',');
  const variants = VARIANTS.filter((v) => wanted.includes(v.name));
  const variantNames = variants.map((v) => v.name);
  const targetMs = Number(option('target-ms', '300'));
  const mode = option('mode', 'lstm') as RecurrentMode;
  const modeCode = { lstm: 0, gru: 1, rnn: 2 }[mode];
  const backend = await openBackend();
  const rows = ['| N × H | MMAC/step | ' + variantNames.join(' | ') + ' |', '|---|---|' + variantNames.map(() => '---').join('|') + '|'];

  for (const [N, H] of cases) {
    const rng = new Random(1);
    const GH = GATE_COUNT[mode] * H;
    const xpData = rng.fill(T * N * GH, -1, 1);
    const wData = rng.fill(GH * H, -1 / Math.sqrt(H), 1 / Math.sqrt(H));
    const bData = rng.fill(GH, -0.1, 0.1);
    const wT = new Float32Array(GH * H);
    for (let j = 0; j < GH; j++) for (let k = 0; k < H; k++) wT[k * GH + j] = wData[j * H + k];
    // k-quads: [H/4][G·H] of vec4, element (k, j) at ((k >> 2)·G·H + j)·4 + k % 4.
    const wQ = new Float32Array(H % 4 === 0 ? GH * H : 0);
    if (H % 4 === 0) for (let j = 0; j < GH; j++) for (let k = 0; k < H; k++) wQ[((k >> 2) * GH + j) * 4 + (k % 4)] = wData[j * H + k];
    // The shipped step kernel's layout (recurrent_pack.wgsl): quad kq of gate g of unit c at (kq·H + c)·G + g.
    const G = GATE_COUNT[mode];
    const wP = new Float32Array(4 * Math.ceil(H / 4) * GH);
    for (let g = 0; g < G; g++) for (let c = 0; c < H; c++) for (let k = 0; k < H; k++) wP[(((k >> 2) * H + c) * G + g) * 4 + (k % 4)] = wData[(g * H + c) * H + k];
    const ref = reference(mode, xpData, wData, bData, N, H);
    const xp = uploadArg(backend, xpData, [T, N, GH]);
    const w = uploadArg(backend, wData, [GH, H]);
    const wt = uploadArg(backend, wT, [H, GH]);
    const wq = uploadArg(backend, wQ, [wQ.length]);
    const wp = uploadArg(backend, wP, [wP.length]);
    const b = uploadArg(backend, bData, [GH]);
    const state = emptyArg(backend, [4, N, H]);
    const y = emptyArg(backend, [T, N, H]);
    const macs = (GH * H * N) / 1e6;
    // Every variant is checked first, then all are timed in interleaved rounds (a shared
    // machine's load then slows them alike).
    const usable = variants.filter((v) => (!v.usable || v.usable(N, H)) && (mode === 'lstm' || v.shipped));
    const kernels: { kernel: LabKernel; check: Check; reps: number; trials: number }[] = [];
    for (const v of usable) {
      const code = typeof v.code === 'string' ? v.code : v.code(H, mode);
      const label = `lab-recurrent-${v.name}-h${H}`;
      const shader = v.shipped ? { label, code } : withNanTest(label, withStepUniforms(label, code).code);
      const half = 2 * N * H;
      const steps = Array.from({ length: v.sequence ? 1 : T }, (_, s) =>
        dispatchCommand({
          shader,
          constants: v.name === '00-shipped' ? { MODE: modeCode, S: stepSplit(H) } : v.shipped ? { ...v.constants, MODE: modeCode } : v.constants,
          uniforms: uniforms()
            .u32(N, H, T, s, 0)
            .u32((s % 2) * half, ((s + 1) % 2) * half, N * H, 0, 0)
            .u32(0, N * GH, GH, 0, N * H, H, 1, 0)
            .f32(3.4e38)
            .bytes(),
          bindings: [xp, v.packed ? wp : v.quads ? wq : v.transposed ? wt : w, b, state, b, y],
          workgroups: v.sequence ? [N, 1, 1] : grid(v.invocations(N, H), 64),
        }),
      );
      // One command buffer per sequence: clear the state, then the T steps in one compute pass.
      const kernel = labKernel(backend, steps, y.buffer, { perSubmit: 1, prologue: (enc) => enc.clearBuffer(state.buffer) });
      const check = await kernel.check(ref);
      const first = await kernel.timeOnce(1);
      kernels.push({ kernel, check, reps: repsFor(targetMs, first, 1, 200), trials: trialsFor(first) });
    }
    const rounds = Math.min(...kernels.map((k) => k.trials));
    const times = await timeInRounds(kernels.map((k) => () => k.kernel.timeOnce(k.reps)), rounds);
    const cells = variants.map((v) => {
      const i = usable.indexOf(v);
      if (i < 0) return '–';
      const { median, best } = medianAndBest(times[i]);
      const { check, reps } = kernels[i];
      console.log(
        `${`${N}x${H}`.padEnd(8)} ${v.name.padEnd(14)} ${median.toFixed(3).padStart(9)} ms/sequence median, ${best.toFixed(3)} best (${rounds}×${reps}), ${((2 * macs * T) / median).toFixed(2)} GFLOP/s  ${verdict(check)}`,
      );
      return `${median.toFixed(2)} ms${check.ok ? '' : ' WRONG'}`;
    });
    rows.push(`| ${N} × ${H} | ${macs.toFixed(2)} | ${cells.join(' | ')} |`);
    for (const a of [xp, w, wt, wq, wp, b, state, y]) a.buffer.destroy();
  }
  console.log(`\nT = ${T} steps, ms per sequence (median)\n` + rows.join('\n'));
  backend.dispose();
}

runLab(main);
