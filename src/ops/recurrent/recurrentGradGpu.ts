// The WebGPU lowering of recurrentGrad (recurrentGrad.ts), split as the forward is
// (recurrentGpu.ts): per layer (top down) and direction, one fused dispatch per backward time step
// (shaders/recurrent/recurrent_step_grad.wgsl: the gate gradients dA, dR of every batch row;
// GRU with linearBeforeReset = false takes a second, `reset_grad`), then the products over all
// T·N rows with the GEMM kernel (gemmGpu.ts):
//   dW_ih = dAᵀ·X,  dW_hh = dRᵀ·H_prev (GRU's n rows: ·(r ⊙ h) when not linearBeforeReset),
//   dX (+)= dA·W_ih (the two directions add up),
// and one dispatch for the bias and peephole gradients (recurrent_bias_grad.wgsl).
//
// Scratch: `grads` holds one direction's dA [rows, G·H], dAᵀ and dRᵀ [G·H, rows] (the transposed
// copies are the GEMMs' A operands; the step kernel writes all three). `carry` holds the two
// halves [dh direct | dc] [N, H] of the step ping-pong, the final-state gradients dh, dc, the
// initial ones dh0, dc0 (each [D·L, N, H]) and the sequence lengths. The layer gradients between
// stacked layers ping-pong in two [rows, D·H] buffers. Rows are in the memory order of x.
import biasGradWgsl from '../../../shaders/recurrent/recurrent_bias_grad.wgsl?raw';
import initWgsl from '../../../shaders/recurrent/recurrent_init.wgsl?raw';
import stepGradWgsl from '../../../shaders/recurrent/recurrent_step_grad.wgsl?raw';
import { UnsupportedError } from '../../errors.js';
import { recordGemm } from '../gemm/gemmGpu.js';
import { grid, uniforms, type GpuArg, type GpuRegion, type KernelRecorder, type Shader } from '../kernel.js';
import { MAX_GPU_SEQUENCE_LENGTHS, withStepUniforms } from './recurrentGpu.js';
import { GATE_COUNT, SAVED_WIDTH, savedLayout, type RecurrentAttrs } from './recurrentMath.js';

const stepGradShader = withStepUniforms('recurrent_step_grad', stepGradWgsl);
const biasGradShader: Shader = { label: 'recurrent_bias_grad', code: biasGradWgsl };
const initShader: Shader = { label: 'recurrent_init', code: initWgsl };
const WORKGROUP = 64;
const F32_MAX = 3.4028234663852886e38;
const MODE_CODE = { lstm: 0, gru: 1, rnn: 2 } as const;
/** recurrentGrad's inputs before the weights (as recurrentGrad.ts). */
const FIXED = 7;
const SLOT = 5;

const region = (arg: GpuRegion, offsetElems: number, elems: number): GpuRegion => ({
  buffer: arg.buffer,
  offset: arg.offset + offsetElems * 4,
  size: Math.max(4, elems * 4),
});
const asArg = (r: GpuRegion, shape: number[]): GpuArg => ({ ...r, shape });

// x, h0, c0, saved, dy, dh, dc, weights -> dx, dh0, dc0, weight gradients (recurrentGrad.ts)
export function recordRecurrentGrad(k: KernelRecorder, inputs: readonly (GpuArg | null)[], outputs: readonly GpuArg[], a: RecurrentAttrs): void {
  const [x, , , saved, dy, dhN, dcN] = inputs;
  const [T, N, I] = a.batchFirst ? [x!.shape[1], x!.shape[0], x!.shape[2]] : [x!.shape[0], x!.shape[1], x!.shape[2]];
  const D = a.bidirectional ? 2 : 1;
  const L = a.numLayers;
  const H = a.hiddenSize;
  const GH = GATE_COUNT[a.mode] * H;
  const NH = N * H;
  const slots = D * L;
  const rows = T * N;
  const lengths = a.sequenceLengths;
  const layout = savedLayout(a.mode, T, N, H, L, D);
  const onnxGru = a.mode === 'gru' && !a.linearBeforeReset;
  if (lengths && N > MAX_GPU_SEQUENCE_LENGTHS) {
    throw new UnsupportedError(`${a.mode} gradient (WebGPU): sequenceLengths supports at most ${MAX_GPU_SEQUENCE_LENGTHS} batch rows, got N = ${N}`);
  }
  const [dx, dh0, dc0] = outputs;
  const weightGrads = (slot: number) => outputs.slice(3 + SLOT * slot, 3 + SLOT * (slot + 1));

  // carry: halves [2][dh direct | dc][N, H], then dh, dc, dh0, dc0 [D·L, N, H] each, then lengths.
  const perState = slots * NH;
  const finalsAt = 4 * NH;
  const lengthsAt = finalsAt + 4 * perState;
  const carry = k.scratch(Math.max(4, (lengthsAt + (lengths ? N : 0)) * 4));
  if (dhN) k.copy(dhN, region(carry, finalsAt, perState), perState * 4);
  if (dcN) k.copy(dcN, region(carry, finalsAt + perState, perState), perState * 4);
  if (lengths && N > 0) {
    const words = new Array<number>(MAX_GPU_SEQUENCE_LENGTHS).fill(0);
    lengths.forEach((len, i) => (words[i] = len));
    k.dispatch({ shader: initShader, uniforms: uniforms().u32(0, lengthsAt, N, 0).u32(...words).bytes(), bindings: [carry], workgroups: grid(N, WORKGROUP) });
  }

  const grads = k.scratch(Math.max(4, 3 * rows * GH * 4));
  const between = L > 1 ? [k.scratch(Math.max(4, rows * D * H * 4)), k.scratch(Math.max(4, rows * D * H * 4))] : [];
  const constants = {
    MODE: MODE_CODE[a.mode],
    RELU: a.mode === 'rnn' && a.nonlinearity === 'relu' ? 1 : 0,
    LINEAR_BEFORE_RESET: onnxGru ? 0 : 1,
    HAS_LENGTHS: lengths ? 1 : 0,
  };
  const workgroups = grid(Math.max(NH, 1), WORKGROUP);
  const yWidth = D * H;
  const xpStrideT = a.batchFirst ? GH : N * GH;
  const xpStrideN = a.batchFirst ? T * GH : GH;
  const yStrideT = a.batchFirst ? yWidth : N * yWidth;
  const yStrideN = a.batchFirst ? T * yWidth : yWidth;

  for (let l = L - 1; l >= 0; l--) {
    const inWidth = l === 0 ? I : yWidth;
    const dOut: GpuRegion | null = l === L - 1 ? dy : between[(l + 1) % 2];
    const dIn: GpuArg = l === 0 ? dx : asArg(between[l % 2], [rows, inWidth]);
    // The layer's input: x, or the layer below's output kept in `saved` (bound whole: offsets
    // inside a binding need not be 256-byte aligned).
    const input = l === 0 ? x! : saved!;
    const inputAt = l === 0 ? 0 : layout.layersAt + (l - 1) * rows * yWidth;
    for (let d = 0; d < D; d++) {
      const slot = l * D + d;
      const w = FIXED + SLOT * slot;
      const [wIh, wHh, , , wPh] = inputs.slice(w, w + SLOT);
      const [dWih, dWhh, dbIh, dbHh, dWph] = weightGrads(slot);
      const savedAt = slot * layout.slot;
      if (N > 0) {
        const block = (step: number, hIn: number, hOut: number) =>
          uniforms()
            .u32(N, H, T, step, d)
            .u32(hIn, hOut, perState)
            .u32(finalsAt + slot * NH, lengthsAt)
            .u32(0, xpStrideT, xpStrideN)
            .u32(d * H, yStrideT, yStrideN)
            .u32(dOut ? 1 : 0, wPh ? 1 : 0)
            .f32(a.clip ?? F32_MAX)
            .u32(savedAt)
            .bytes();
        // Each entry point binds a prefix of these (recurrent_step_grad.wgsl).
        const bindings = [carry, grads, wHh!, saved!, wPh ?? wHh!, dOut ?? wHh!];
        for (let s = T - 1; s >= 0; s--) {
          const b = block(s, ((s + 1) % 2) * 2 * NH, (s % 2) * 2 * NH);
          k.dispatch({ shader: stepGradShader, constants, uniforms: b, bindings, workgroups });
          if (onnxGru) k.dispatch({ shader: stepGradShader, entryPoint: 'reset_grad', constants, uniforms: b, bindings: bindings.slice(0, 4), workgroups });
        }
        k.dispatch({ shader: stepGradShader, entryPoint: 'initial_grad', constants, uniforms: block(0, 0, 0), bindings: bindings.slice(0, 3), workgroups });
      }
      // Products over all rows; with no rows (T = 0 or N = 0) they are zeros (k = 0).
      const dAt = rows * GH;
      const dRt = 2 * rows * GH;
      recordGemm(k, { a: grads, b: input, c: dWih, m: GH, n: inWidth, k: rows, offsetA: dAt, lda: rows, offsetB: inputAt, ldb: inWidth });
      const hPrevAt = savedAt + (SAVED_WIDTH[a.mode] - 1) * H;
      const recurrentRows = onnxGru ? 2 * H : GH;
      recordGemm(k, { a: grads, b: saved!, c: dWhh, m: recurrentRows, n: H, k: rows, offsetA: dRt, lda: rows, offsetB: hPrevAt, ldb: layout.row });
      // GRU's n rows against r ⊙ h, kept where linearBeforeReset keeps hn.
      if (onnxGru) recordGemm(k, { a: grads, b: saved!, c: dWhh, m: H, n: H, k: rows, offsetA: dRt + 2 * H * rows, lda: rows, offsetB: savedAt + 3 * H, ldb: layout.row, offsetC: 2 * H * H });
      recordGemm(k, { a: grads, b: wIh!, c: dIn, m: rows, n: inWidth, k: GH, accumulate: d > 0 });
      k.dispatch({
        shader: biasGradShader,
        uniforms: uniforms().u32(GH, H, rows, dAt, savedAt, wPh ? 1 : 0).f32(a.clip ?? F32_MAX).bytes(),
        bindings: [grads, saved!, dbIh, dbHh, dWph],
        workgroups: grid(Math.max(GH, 3 * H), WORKGROUP),
      });
    }
  }
  k.copy(region(carry, finalsAt + 2 * perState, perState), dh0, perState * 4);
  k.copy(region(carry, finalsAt + 3 * perState, perState), dc0, perState * 4);
}
