// The WebGPU lowering shared by the recurrent sequence op (recurrent.ts) and the single-step
// cells (recurrentCell.ts), following the split of recurrentMath.ts: per layer and direction,
// one GEMM projects the inputs of every time step (x·W_ihᵀ + b_ih, gemmGpu.ts), then the
// recurrent matmul, the gates and the state update run either
// - in one dispatch for the whole sequence (recurrent_sequence.wgsl, a workgroup per batch row)
//   on software adapters for H ≤ 256, where a step's cost is its loads and not the dispatch, or
// - in one fused dispatch per time step (recurrent_step.wgsl), spread over as many workgroups as
//   the step has units: GPUs, and larger H. GRU with linearBeforeReset = false needs r ⊙ h of the
//   whole row before its n gate, so it takes two dispatches per step (`reset`, then `main`).
//   W_hh is packed for it once per layer direction and run (recurrent_pack.wgsl: G·H² floats, one
//   dispatch, against T steps that each read all of it; the recorder has no compile-time weight
//   transform to hoist it into).
//
// Buffers: the projection scratch holds both directions of one layer [D][rows, G·H]; the state
// scratch holds the ping-pong states, GRU's r ⊙ h and the sequence lengths (recurrent_step.wgsl
// has the layout). Stacked layers run in place in the output y: a layer's projections read all
// of y (the layer below) before its steps overwrite it, and every layer's output has y's shape.
import initWgsl from '../../../shaders/recurrent/recurrent_init.wgsl?raw';
import packWgsl from '../../../shaders/recurrent/recurrent_pack.wgsl?raw';
import stepWgsl from '../../../shaders/recurrent/recurrent_step.wgsl?raw';
import stepUniformsWgsl from '../../../shaders/recurrent/recurrent_step_uniforms.wgsl?raw';
import cellWgsl from '../../../shaders/recurrent/recurrent_cell.wgsl?raw';
import { chooseVariant, grid, mib, storageBindingLimit, uniforms, type GpuArg, type GpuRegion, type KernelRecorder, type Shader, type VariantChoice } from '../kernel.js';
import { withNanTest } from '../nan.js';
import { DeviceLimitError, UnsupportedError } from '../../errors.js';
import { recordGemm } from '../gemm/gemmGpu.js';
import { GATE_COUNT, savedLayout, type RecurrentMode, type RnnNonlinearity } from './recurrentMath.js';
import { sequenceKernelFits, sequenceShader } from './recurrentSequenceGpu.js';

/** A step kernel with the shared uniform block (struct Step, binding 0) prepended; the labs use it too. */
export function withStepUniforms(label: string, code: string): Shader {
  return { label, code: `${stepUniformsWgsl}\n${code}` };
}

// Both shipped kernels take the uniform block and the gate math (recurrent_cell.wgsl), which
// tests NaN by its bit pattern (nan.wgsl).
export const STEP_PRELUDE = `${stepUniformsWgsl}\n${cellWgsl}`;
export const stepShader = withNanTest('recurrent_step', `${STEP_PRELUDE}\n${stepWgsl}`);
const initShader: Shader = { label: 'recurrent_init', code: initWgsl };
const packShader: Shader = { label: 'recurrent_pack', code: packWgsl };
const WORKGROUP = 64;
/** Batch rows whose lengths fit recurrent_init.wgsl's uniform block (MAX_LENGTH_VECS · 4). */
export const MAX_GPU_SEQUENCE_LENGTHS = 4096;
/** WGSL has no infinity: "no clip" clamps to the largest f32. */
const F32_MAX = 3.4028234663852886e38;
const MODE_CODE: Readonly<Record<RecurrentMode, number>> = { lstm: 0, gru: 1, rnn: 2 };

/**
 * Invocations per hidden unit in the step kernel (its k-split S). An invocation takes one k-quad
 * of all its unit's gates per loop trip (recurrent_step.wgsl), and on a GPU a step's time follows
 * the trips per invocation once the dispatch is paid: on an H200 the first kernels (one k of a
 * unit's gates per trip) ran 1 × 512 in 23 µs a step at 128 trips, 11 µs at 32 and 8 µs at 16,
 * near the 4.5 µs dispatch floor (bench/lab/recurrent, T = 28). So S is the smallest split that
 * leaves at most 64 trips (256 k) to an invocation — 1 up to H = 256, 4 up to 1024, 16 up to
 * 4096, else 32 — as many trips, of four times the k, as the previous table gave 1 × 256 (S = 4
 * there). Reasoned from those figures, not yet timed on a GPU with this kernel (`tune` times every
 * S). On a software adapter S = 1 always: every lane of a workgroup waits at the barrier there.
 */
export function stepSplit(H: number, softwareAdapter = false): number {
  if (softwareAdapter) return 1;
  const quads = Math.ceil(H / 4);
  return [1, 4, 16].find((S) => Math.ceil(quads / S) <= 64) ?? 32;
}

/**
 * How the steps of one layer direction run: 'sequence', all of them in one dispatch of a
 * workgroup per batch row (recurrent_sequence.wgsl), or 'step', one dispatch per time step
 * (recurrent_step.wgsl). On SwiftShader the sequence kernel ran a step 2–4× faster than the
 * per-step kernel with S = 1 (bench/lab/recurrent/README.md); on GPUs it is unmeasured (one
 * workgroup per row would leave most of a GPU idle at larger H), so GPUs keep the per-step one.
 */
export function chooseRecurrentKernel(H: number, softwareAdapter: boolean, limits: GPUSupportedLimits): 'sequence' | 'step' {
  return softwareAdapter && sequenceKernelFits(H, limits) ? 'sequence' : 'step';
}

/** The recurrent kernel variants (data compile's `tune` enumerates): the sequence kernel, and the step kernel per k-split S. */
export type RecurrentKernel = { readonly name: string; readonly kind: 'sequence' } | { readonly name: string; readonly kind: 'step'; readonly S: number };

export const RECURRENT_KERNELS: readonly RecurrentKernel[] = [
  { name: 'sequence', kind: 'sequence' },
  ...[1, 4, 16, 32].map((S) => ({ name: `step k-split ${S}`, kind: 'step' as const, S })),
];

/** The recurrent kernel choice: the sequence kernel where it fits, every k-split of the step kernel; the tables above pick. */
export function recurrentChoice(mode: RecurrentMode, N: number, H: number, softwareAdapter: boolean, limits: GPUSupportedLimits, saved = false): VariantChoice<RecurrentKernel> {
  // Training saves the gates for the backward pass, which only the step kernel writes.
  const fits = !saved && sequenceKernelFits(H, limits);
  const candidates = RECURRENT_KERNELS.filter((v) => v.kind === 'step' || fits);
  const S = stepSplit(H, softwareAdapter);
  const preferred = fits && chooseRecurrentKernel(H, softwareAdapter, limits) === 'sequence' ? RECURRENT_KERNELS[0] : candidates.find((v) => v.kind === 'step' && v.S === S)!;
  return { key: `recurrent ${mode} N${N} H${H}${saved ? ' saved' : ''}`, candidates, preferred };
}

/** One layer direction's weights as bound buffers (absent optional ones are null). */
export interface RecurrentGpuWeights {
  readonly wIh: GpuArg;
  readonly wHh: GpuArg;
  readonly bIh: GpuArg | null;
  readonly bHh: GpuArg | null;
  readonly wPh: GpuArg | null;
}

/** Everything one recurrent lowering needs: sizes, attributes and the bound tensors. */
export interface RecurrentGpuProblem {
  /** The op's name for errors. */
  readonly name: string;
  readonly mode: RecurrentMode;
  readonly nonlinearity: RnnNonlinearity;
  readonly linearBeforeReset: boolean;
  readonly clip: number | null;
  readonly hiddenSize: number;
  readonly steps: number;
  readonly batch: number;
  readonly inputSize: number;
  readonly layers: number;
  readonly directions: number;
  /** x and y as [N, T, …] (rows in (n, t) order) instead of [T, N, …]. */
  readonly batchFirst: boolean;
  readonly sequenceLengths: readonly number[] | null;
  readonly x: GpuArg;
  /** Per layer and direction, index l·D + d. */
  readonly weights: readonly RecurrentGpuWeights[];
  /** Initial states [D·L, N, H], or null for zeros. */
  readonly h0: GpuArg | null;
  readonly c0: GpuArg | null;
  /** The output sequence [T, N, D·H] (or [N, T, D·H]). */
  readonly y: GpuArg;
  /** Final states [D·L, N, H]; null when not wanted (a cell's h' is its y). */
  readonly hOut: GpuArg | null;
  readonly cOut: GpuArg | null;
  /** Training: what the backward reads (recurrentMath.ts, savedLayout), or null. */
  readonly saved: GpuArg | null;
}

const region = (arg: GpuArg, offsetElems: number, elems: number): GpuRegion => ({
  buffer: arg.buffer,
  offset: arg.offset + offsetElems * 4,
  size: elems * 4,
});

function scratchOf(k: KernelRecorder, p: RecurrentGpuProblem, what: string, elems: number): GpuArg {
  const bytes = elems * 4;
  const limit = storageBindingLimit(k.limits);
  if (bytes > limit) {
    throw new DeviceLimitError(
      `${p.name} (WebGPU): the ${what} needs ${mib(bytes)} for T = ${p.steps}, N = ${p.batch}, H = ${p.hiddenSize}; one storage binding holds at most ${mib(limit)} (maxStorageBufferBindingSize)`,
    );
  }
  return k.scratch(bytes);
}

/** Records the whole recurrent computation: projections, steps and the final states. */
export function recordRecurrent(k: KernelRecorder, p: RecurrentGpuProblem): void {
  const { steps: T, batch: N, hiddenSize: H, directions: D, layers: L } = p;
  if (N === 0) return; // every output is empty
  const G = GATE_COUNT[p.mode];
  const GH = G * H;
  const NH = N * H;
  const slots = D * L;
  const lengths = p.sequenceLengths;
  const onnxGru = p.mode === 'gru' && !p.linearBeforeReset;
  if (lengths && N > MAX_GPU_SEQUENCE_LENGTHS) {
    throw new UnsupportedError(`${p.name} (WebGPU): sequenceLengths supports at most ${MAX_GPU_SEQUENCE_LENGTHS} batch rows, got N = ${N}`);
  }

  // The state scratch (layout in recurrent_step.wgsl).
  const components = p.mode === 'lstm' ? 2 : 1;
  const perComponent = slots * NH;
  const half = components * perComponent;
  const resetAt = 2 * half;
  const lengthsAt = resetAt + (onnxGru ? NH : 0);
  // Training: the steps write the saved rows here (a binding they already have); copied out at the end.
  const layout = savedLayout(p.mode, T, N, H, L, D);
  const savedAt = lengthsAt + (lengths ? N : 0);
  const state = scratchOf(k, p, 'state buffer', savedAt + (p.saved ? layout.layersAt : 0));

  // Half 0 starts as h0/c0 (copied) or zeros, and the lengths go where the steps read them.
  const zeros = !p.h0 || (p.mode === 'lstm' && !p.c0) ? half : 0;
  if (zeros > 0 || lengths) {
    const count = lengths ? N : 0;
    const block = uniforms().u32(zeros, lengthsAt, count, 0);
    const words = new Array<number>(MAX_GPU_SEQUENCE_LENGTHS).fill(0);
    lengths?.forEach((len, i) => (words[i] = len));
    k.dispatch({
      shader: initShader,
      uniforms: block.u32(...words).bytes(),
      bindings: [state],
      workgroups: grid(Math.max(zeros, count), WORKGROUP),
    });
  }
  if (p.h0) k.copy(p.h0, region(state, 0, perComponent), perComponent * 4);
  if (p.c0 && p.mode === 'lstm') k.copy(p.c0, region(state, perComponent, perComponent), perComponent * 4);

  const rows = T * N;
  if (rows > 0) {
    const projection = scratchOf(k, p, 'input projection', D * rows * GH);
    const yWidth = D * H;
    // Rows of x, y and the projection are in memory order: (t, n) time-major, (n, t) batch-first.
    const xpStrideT = p.batchFirst ? GH : N * GH;
    const xpStrideN = p.batchFirst ? T * GH : GH;
    const yStrideT = p.batchFirst ? yWidth : N * yWidth;
    const yStrideN = p.batchFirst ? T * yWidth : yWidth;
    const modeConstants = {
      MODE: MODE_CODE[p.mode],
      RELU: p.mode === 'rnn' && p.nonlinearity === 'relu' ? 1 : 0,
      LINEAR_BEFORE_RESET: onnxGru ? 0 : 1,
      HAS_LENGTHS: lengths ? 1 : 0,
    };
    // Training keeps the backward's rows, which only the per-step kernel writes (SAVE).
    const kernel = chooseVariant(k, recurrentChoice(p.mode, N, H, k.softwareAdapter, k.limits, !!p.saved));
    const sequence = kernel.kind === 'sequence';
    const constants = { ...modeConstants, S: kernel.kind === 'step' ? kernel.S : 1, SAVE: p.saved ? 1 : 0 };
    // Workgroups of WORKGROUP / S units of one batch row each.
    const workgroups = grid(N * Math.ceil(H / (WORKGROUP / constants.S)) * WORKGROUP, WORKGROUP);
    // The step kernel's W_hh, packed per layer direction (recurrent_pack.wgsl); one scratch serves
    // every layer direction, since each packs right before its own steps.
    const quads = Math.ceil(H / 4);
    const packed = sequence ? null : scratchOf(k, p, 'packed recurrent weights', quads * H * G * 4);
    const stepBlock = (s: number, d: number, hIn: number, hOut: number, w: RecurrentGpuWeights, slot: number) =>
      uniforms()
        .u32(N, H, T, s, d)
        .u32(hIn, hOut, perComponent)
        .u32(resetAt, lengthsAt)
        .u32(d * rows * GH, xpStrideT, xpStrideN)
        .u32(d * H, yStrideT, yStrideN)
        .u32(w.bHh ? 1 : 0, w.wPh ? 1 : 0)
        .f32(p.clip ?? F32_MAX)
        .u32(savedAt + slot * layout.slot)
        .bytes();

    for (let l = 0; l < L; l++) {
      const input = l === 0 ? p.x : p.y;
      const width = l === 0 ? p.inputSize : yWidth;
      // Both directions are projected before either runs: the steps overwrite y in place.
      for (let d = 0; d < D; d++) {
        const w = p.weights[l * D + d];
        recordGemm(k, { a: input, b: w.wIh, c: projection, m: rows, n: GH, k: width, transB: true, bias: w.bIh, biasPer: 'column', offsetC: d * rows * GH });
      }
      for (let d = 0; d < D; d++) {
        const slot = l * D + d;
        const w = p.weights[slot];
        // Absent optional weights are stood in for by w_hh (read-only too; flags say absent).
        const bindings = [projection, w.wHh, w.bHh ?? w.wHh, state];
        if (sequence) {
          // From half 0 to where step T − 1 would have left the state (half T % 2), one workgroup per row.
          k.dispatch({
            shader: sequenceShader(p.mode, p.linearBeforeReset, H, STEP_PRELUDE),
            constants: modeConstants,
            uniforms: stepBlock(0, d, slot * NH, (T % 2) * half + slot * NH, w, slot),
            bindings: [...bindings, w.wPh ?? w.wHh, p.y],
            workgroups: grid(N, 1),
          });
          continue;
        }
        k.dispatch({ shader: packShader, uniforms: uniforms().u32(H, G).bytes(), bindings: [w.wHh, packed!], workgroups: grid(quads * H * G, WORKGROUP) });
        const stepBindings = [projection, packed!, w.bHh ?? w.wHh, state];
        for (let s = 0; s < T; s++) {
          const block = stepBlock(s, d, (s % 2) * half + slot * NH, ((s + 1) % 2) * half + slot * NH, w, slot);
          if (onnxGru) k.dispatch({ shader: stepShader, entryPoint: 'reset', constants, uniforms: block, bindings: stepBindings, workgroups });
          k.dispatch({ shader: stepShader, constants, uniforms: block, bindings: [...stepBindings, w.wPh ?? w.wHh, p.y], workgroups });
        }
      }
      // Training: the layers above read this layer's output in the backward; the next layer overwrites y.
      if (p.saved && l < L - 1) k.copy(p.y, region(p.saved, layout.layersAt + l * rows * yWidth, rows * yWidth), rows * yWidth * 4);
    }
  }
  if (p.saved && layout.layersAt > 0) k.copy(region(state, savedAt, layout.layersAt), p.saved, layout.layersAt * 4);

  // Step s writes half (s + 1) % 2, so the final states sit in half T % 2.
  const final = (T % 2) * half;
  if (p.hOut) k.copy(region(state, final, perComponent), p.hOut, perComponent * 4);
  if (p.cOut) k.copy(region(state, final + perComponent, perComponent), p.cOut, perComponent * 4);
}
