// recurrentGrad: backpropagation through time for recurrentOp (LSTM, GRU, RNN over whole
// sequences) and, with T = 1, for the single-step cells. The training forward keeps, per step, the
// gate pre-activations and the previous state (recurrentMath.ts, SAVED_WIDTH), plus the outputs
// of the inner layers; from them and the gradients of the op's outputs this op computes the
// gradients of every input. Per layer (top down) and direction it splits as the forward does:
// the steps run backwards in time, each producing the gate gradients dA (input side) and dR
// (recurrent side) of every batch row, then the weight and input gradients of all steps are
// products over all T·N rows at once:
//   dW_ih = dAᵀ·X, db_ih = Σ dA, dW_hh = dRᵀ·H_prev, db_hh = Σ dR, dX = dA·W_ih.
// Padded steps (t ≥ sequenceLengths[b]) run no step, so they get no gradient and the state's
// gradient passes through them unchanged, as the state itself does in the forward.
//
// Inputs: 0 x, 1 h0, 2 c0, 3 saved, 4 dy (d output), 5 dh (d final h), 6 dc (d final c), then
// the layer-direction weights as in recurrentOp (from index 7, five per slot); dy, dh and dc may
// be null (no gradient flows back through that output).
// Outputs, in the order of recurrentOp's inputs with `saved` left out: dx, dh0, dc0, then per
// slot d w_ih, d w_hh, d b_ih, d b_hh, d w_ph (each the shape of its input, present or not;
// dc0 and d w_ph are [D·L, N, H] and [3, H] even for GRU and RNN, and stay zero there).
import { NNError, ShapeError } from '../../errors.js';
import { formatShape, type Shape } from '../../shape.js';
import type { GradRule, OpDef } from '../op.js';
import { recordRecurrentGrad } from './recurrentGradGpu.js';
import {
  GATE_COUNT,
  recurrentStepGrad,
  type RecurrentAttrs,
  savedLayout,
  stepGradScratch,
  stepWeights,
} from './recurrentMath.js';

/** Inputs before the weights; their slots follow as in recurrentOp. */
export const GRAD_FIXED_INPUTS = 7;
const SLOT_INPUTS = 5;

function dims(x: Shape, a: RecurrentAttrs) {
  const [T, N, I] = a.batchFirst ? [x[1], x[0], x[2]] : [x[0], x[1], x[2]];
  const D = a.bidirectional ? 2 : 1;
  return { T, N, I, D, H: a.hiddenSize, L: a.numLayers, G: GATE_COUNT[a.mode] };
}

export const recurrentGradOp: OpDef<RecurrentAttrs> = {
  name: 'recurrentGrad',
  inferShapes(inputs, a) {
    const x = inputs[0];
    if (!x || x.length !== 3) throw new ShapeError(`${a.mode} gradient: x must have rank 3, got ${formatShape(x)}`);
    const { T, N, I, D, H, L, G } = dims(x, a);
    const want = GRAD_FIXED_INPUTS + SLOT_INPUTS * L * D;
    if (inputs.length !== want) throw new ShapeError(`${a.mode} gradient: expected ${want} inputs, got ${inputs.length}`);
    const saved = inputs[3];
    const size = savedLayout(a.mode, T, N, H, L, D).size;
    if (!saved || saved.length !== 1 || saved[0] !== size) {
      throw new ShapeError(`${a.mode} gradient: the saved forward values must be [${size}], got ${formatShape(saved)}`);
    }
    const state = [D * L, N, H];
    const out: Shape[] = [x, state, state];
    for (let l = 0; l < L; l++) for (let d = 0; d < D; d++) out.push([G * H, l === 0 ? I : D * H], [G * H, H], [G * H], [G * H], [3, H]);
    return out;
  },

  // x, h0, c0, saved, dy, dh, dc, weights -> dx, dh0, dc0, weight gradients (see the file's top)
  cpu(inputs, outputs, a) {
    const [x, , , saved, dy, dhN, dcN] = inputs;
    const { T, N, I, D, H, L, G } = dims(x!.shape, a);
    const GH = G * H;
    const layout = savedLayout(a.mode, T, N, H, L, D);
    const s = saved!.data;
    for (const o of outputs) o.data.fill(0);
    const [dx, dh0, dc0] = outputs;
    const lengths = a.sequenceLengths;
    const rowsTN = T * N;
    // Every sequence tensor here (x, dy, the saved rows, the kept layer outputs, dA, dR) has its
    // rows in the memory order of x: row (t, b) is t·N + b, or b·T + t when batchFirst.
    const rowOf = (t: number, b: number) => (a.batchFirst ? b * T + t : t * N + b);

    // The gradient of the current layer's output; the top layer's is dy.
    let dOut: Float32Array | null = dy?.data ?? null;
    const dA = new Float64Array(rowsTN * GH);
    const dR = new Float64Array(rowsTN * GH);
    const dh = new Float64Array(H);
    const dc = new Float64Array(H);
    const scratch = stepGradScratch(H);
    for (let l = L - 1; l >= 0; l--) {
      const inWidth = l === 0 ? I : D * H;
      // This layer's input rows (x, or the layer below's kept output) and where its gradient goes.
      const input = l === 0 ? x!.data : s;
      const inputAt = l === 0 ? 0 : layout.layersAt + (l - 1) * rowsTN * inWidth;
      const dIn = l === 0 ? dx.data : new Float32Array(rowsTN * inWidth);
      for (let d = 0; d < D; d++) {
        const slot = l * D + d;
        const w = GRAD_FIXED_INPUTS + SLOT_INPUTS * slot;
        const [wIh, wHh, , , wPh] = inputs.slice(w, w + SLOT_INPUTS);
        const [dWih, dWhh, dbIh, dbHh, dWph] = outputs.slice(3 + SLOT_INPUTS * slot, 3 + SLOT_INPUTS * (slot + 1));
        const weights = stepWeights(a, wHh!.data, null, wPh?.data ?? null);
        const dPh = wPh ? new Float64Array(3 * H) : null;
        dA.fill(0);
        dR.fill(0);
        const slotAt = slot * layout.slot;
        for (let b = 0; b < N; b++) {
          const len = lengths ? lengths[b] : T;
          const st = (slot * N + b) * H;
          for (let u = 0; u < H; u++) {
            dh[u] = dhN ? dhN.data[st + u] : 0;
            dc[u] = dcN ? dcN.data[st + u] : 0;
          }
          for (let step = len - 1; step >= 0; step--) {
            const t = d === 1 ? len - 1 - step : step;
            const row = rowOf(t, b);
            if (dOut) {
              const o = row * D * H + d * H;
              for (let u = 0; u < H; u++) dh[u] += dOut[o + u];
            }
            recurrentStepGrad(weights, s, slotAt + row * layout.row, dh, dc, dA, row * GH, dR, row * GH, dPh, scratch);
          }
          for (let u = 0; u < H; u++) {
            dh0.data[st + u] = dh[u];
            dc0.data[st + u] = dc[u];
          }
        }
        // The products over all rows (padded rows have dA = dR = 0).
        const hPrevAt = (a.mode === 'lstm' ? 5 : a.mode === 'gru' ? 4 : 1) * H;
        const onnxGru = a.mode === 'gru' && !a.linearBeforeReset;
        const gWih = new Float64Array(GH * inWidth);
        const gWhh = new Float64Array(GH * H);
        const gbIh = new Float64Array(GH);
        for (let row = 0; row < rowsTN; row++) {
          const xo = inputAt + row * inWidth;
          const so = slotAt + row * layout.row;
          const dio = row * inWidth;
          for (let j = 0; j < GH; j++) {
            const ga = dA[row * GH + j];
            const gr = dR[row * GH + j];
            if (ga !== 0) {
              gbIh[j] += ga;
              for (let i = 0; i < inWidth; i++) {
                gWih[j * inWidth + i] += ga * input[xo + i];
                dIn[dio + i] += ga * wIh!.data[j * inWidth + i];
              }
            }
            if (gr !== 0) {
              dbHh.data[j] += gr;
              // GRU without linearBeforeReset: the n rows multiply r ⊙ h (kept where hn would be).
              const vo = so + (onnxGru && j >= 2 * H ? 3 * H : hPrevAt);
              for (let k = 0; k < H; k++) gWhh[j * H + k] += gr * s[vo + k];
            }
          }
        }
        dWih.data.set(gWih);
        dWhh.data.set(gWhh);
        dbIh.data.set(gbIh);
        if (dPh) dWph.data.set(dPh);
      }
      dOut = dIn;
    }
  },

  // Per layer and direction one fused dispatch per backward step, then GEMMs over all rows.
  gpu: recordRecurrentGrad,

};

/**
 * The gradient rule of recurrentOp: the forward ran with keepGates (reverse mode asks for it
 * through OpDef.keepForGrad), so its last output is the saved tensor.
 */
export const recurrentGradRule: GradRule<RecurrentAttrs> = (r, { inputs, outputs, dys, needs, attrs }) => {
  if (!attrs.keepGates) throw new NNError(`${attrs.mode} gradient: the forward did not keep its gates (keepGates)`);
  const states = attrs.mode === 'lstm' ? 3 : 2;
  const saved = outputs[states];
  const grads = r.runOp(recurrentGradOp, [inputs[0], inputs[1], inputs[2], saved, dys[0], dys[1], attrs.mode === 'lstm' ? dys[2] : null, ...inputs.slice(3)], attrs);
  return inputs.map((input, k) => (input && needs[k] ? grads[k] : null));
};
