// The float64 reference every library's output is checked against: the portable graph run
// with plain loops in double precision, from the same float32 weights and input. It knows the
// ops the benchmark's models use and refuses any other by name.
import { paramData, resolvePads, type BenchGraph, type BenchNode } from './graph.js';

type F64 = Float64Array;
interface Val {
  data: F64;
  shape: readonly number[];
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);
const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

interface ActivationAttrs {
  kind: string;
  negativeSlope?: number;
  min?: number;
  max?: number;
}

function activate(v: number, a: ActivationAttrs | undefined): number {
  if (!a) return v;
  switch (a.kind) {
    case 'relu':
      return v < 0 ? 0 : v;
    case 'sigmoid':
      return sigmoid(v);
    case 'tanh':
      return Math.tanh(v);
    case 'leakyRelu':
      return v < 0 ? v * a.negativeSlope! : v;
    case 'clip':
      return Math.min(Math.max(v, a.min!), a.max!);
  }
  throw new Error(`reference: unknown activation ${a.kind}`);
}

type Pair = [number, number];

function conv2d(x: Val, w: Val, b: Val | null, attrs: Record<string, unknown>, outShape: readonly number[]): F64 {
  const [N, C, H, W] = x.shape;
  const [O, Cg, KH, KW] = w.shape;
  const [, , OH, OW] = outShape;
  const stride = attrs.stride as Pair;
  const dilation = attrs.dilation as Pair;
  const groups = attrs.groups as number;
  const [pt, pl] = resolvePads(attrs.padding, x.shape, [KH, KW], stride, dilation);
  const Og = O / groups;
  const y = new Float64Array(N * O * OH * OW);
  const row = new Float64Array(OW);
  for (let n = 0; n < N; n++) {
    for (let o = 0; o < O; o++) {
      const g = Math.floor(o / Og);
      for (let oy = 0; oy < OH; oy++) {
        row.fill(b ? b.data[o] : 0);
        for (let c = 0; c < Cg; c++) {
          const xPlane = (n * C + g * Cg + c) * H * W;
          for (let ky = 0; ky < KH; ky++) {
            const iy = oy * stride[0] - pt + ky * dilation[0];
            if (iy < 0 || iy >= H) continue;
            const xRow = xPlane + iy * W;
            for (let kx = 0; kx < KW; kx++) {
              const wv = w.data[((o * Cg + c) * KH + ky) * KW + kx];
              const dx = kx * dilation[1] - pl;
              for (let ox = 0; ox < OW; ox++) {
                const ix = ox * stride[1] + dx;
                if (ix >= 0 && ix < W) row[ox] += wv * x.data[xRow + ix];
              }
            }
          }
        }
        const at = ((n * O + o) * OH + oy) * OW;
        for (let ox = 0; ox < OW; ox++) y[at + ox] = activate(row[ox], attrs.activation as ActivationAttrs | undefined);
      }
    }
  }
  return y;
}

function pool2d(x: Val, attrs: Record<string, unknown>, outShape: readonly number[]): F64 {
  const [N, C, H, W] = x.shape;
  const [, , OH, OW] = outShape;
  const kernel = attrs.kernel as Pair;
  const stride = attrs.stride as Pair;
  const dilation = attrs.dilation as Pair;
  const [pt, pl, pb, pr] = resolvePads(attrs.padding, x.shape, kernel, stride, dilation);
  const max = attrs.mode === 'max';
  const y = new Float64Array(N * C * OH * OW);
  for (let p = 0; p < N * C; p++) {
    for (let oy = 0; oy < OH; oy++) {
      for (let ox = 0; ox < OW; ox++) {
        let acc = max ? -Infinity : 0;
        let count = 0;
        let padded = 0;
        for (let ky = 0; ky < kernel[0]; ky++) {
          const iy = oy * stride[0] - pt + ky * dilation[0];
          for (let kx = 0; kx < kernel[1]; kx++) {
            const ix = ox * stride[1] - pl + kx * dilation[1];
            if (iy >= -pt && iy < H + pb && ix >= -pl && ix < W + pr) padded++;
            if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
            const v = x.data[(p * H + iy) * W + ix];
            acc = max ? Math.max(acc, v) : acc + v;
            count++;
          }
        }
        y[(p * OH + oy) * OW + ox] = max ? acc : acc / (attrs.countIncludePad ? padded : count);
      }
    }
  }
  return y;
}

function globalPool(x: Val, mode: string): F64 {
  const [N, C] = x.shape;
  const plane = size(x.shape.slice(2));
  const y = new Float64Array(N * C);
  for (let p = 0; p < N * C; p++) {
    let acc = mode === 'max' ? -Infinity : 0;
    for (let i = 0; i < plane; i++) acc = mode === 'max' ? Math.max(acc, x.data[p * plane + i]) : acc + x.data[p * plane + i];
    y[p] = mode === 'max' ? acc : acc / plane;
  }
  return y;
}

function adaptiveAvgPool(x: Val, outShape: readonly number[]): F64 {
  const [N, C, H, W] = x.shape;
  const [, , OH, OW] = outShape;
  const y = new Float64Array(N * C * OH * OW);
  for (let p = 0; p < N * C; p++) {
    for (let oy = 0; oy < OH; oy++) {
      const y0 = Math.floor((oy * H) / OH);
      const y1 = Math.ceil(((oy + 1) * H) / OH);
      for (let ox = 0; ox < OW; ox++) {
        const x0 = Math.floor((ox * W) / OW);
        const x1 = Math.ceil(((ox + 1) * W) / OW);
        let acc = 0;
        for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) acc += x.data[(p * H + iy) * W + ix];
        y[(p * OH + oy) * OW + ox] = acc / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  return y;
}

/** NumPy broadcasting of a and b onto outShape. */
function binary(a: Val, b: Val, outShape: readonly number[], f: (x: number, y: number) => number): F64 {
  const rank = outShape.length;
  const strides = (s: readonly number[]) => {
    const padded = [...Array(rank - s.length).fill(1), ...s];
    const st = new Array<number>(rank).fill(0);
    let acc = 1;
    for (let i = rank - 1; i >= 0; i--) {
      st[i] = padded[i] === 1 ? 0 : acc;
      acc *= padded[i];
    }
    return st;
  };
  const sa = strides(a.shape);
  const sb = strides(b.shape);
  const y = new Float64Array(size(outShape));
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < y.length; i++) {
    let ia = 0;
    let ib = 0;
    for (let d = 0; d < rank; d++) {
      ia += idx[d] * sa[d];
      ib += idx[d] * sb[d];
    }
    y[i] = f(a.data[ia], b.data[ib]);
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < outShape[d]) break;
      idx[d] = 0;
    }
  }
  return y;
}

/** x [rows, in] · w [out, in]ᵀ (+ b), activation. */
function linear(x: Val, w: Val, b: Val | null, activation: ActivationAttrs | undefined): F64 {
  const [out, inF] = w.shape;
  const rows = x.data.length / inF;
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let acc = b ? b.data[o] : 0;
      const xr = r * inF;
      const wr = o * inF;
      for (let k = 0; k < inF; k++) acc += x.data[xr + k] * w.data[wr + k];
      y[r * out + o] = activate(acc, activation);
    }
  }
  return y;
}

function concat(xs: Val[], dim: number, outShape: readonly number[]): F64 {
  const axis = dim < 0 ? dim + outShape.length : dim;
  const outer = size(outShape.slice(0, axis));
  const inner = size(outShape.slice(axis + 1));
  const y = new Float64Array(size(outShape));
  let offset = 0;
  for (const x of xs) {
    const block = x.shape[axis] * inner;
    for (let o = 0; o < outer; o++) y.set(x.data.subarray(o * block, (o + 1) * block), o * outShape[axis] * inner + offset);
    offset += block;
  }
  return y;
}

function batchNorm(x: Val, weight: Val | null, bias: Val | null, mean: Val, variance: Val, eps: number): F64 {
  const [N, C] = x.shape;
  const plane = size(x.shape.slice(2));
  const y = new Float64Array(x.data.length);
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const scale = (weight ? weight.data[c] : 1) / Math.sqrt(variance.data[c] + eps);
      const shift = (bias ? bias.data[c] : 0) - mean.data[c] * scale;
      const at = (n * C + c) * plane;
      for (let i = 0; i < plane; i++) y[at + i] = x.data[at + i] * scale + shift;
    }
  }
  return y;
}

/** One unidirectional LSTM layer, PyTorch gates i, f, g, o: [output [T, N, H], h [1, N, H], c [1, N, H]]. */
function lstm(x: Val, wIh: Val, wHh: Val, bIh: Val | null, bHh: Val | null, H: number): F64[] {
  const [T, N, I] = x.shape;
  const out = new Float64Array(T * N * H);
  const h = new Float64Array(N * H);
  const c = new Float64Array(N * H);
  const gates = new Float64Array(4 * H);
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < 4 * H; g++) {
        let acc = (bIh ? bIh.data[g] : 0) + (bHh ? bHh.data[g] : 0);
        for (let k = 0; k < I; k++) acc += wIh.data[g * I + k] * x.data[(t * N + n) * I + k];
        for (let k = 0; k < H; k++) acc += wHh.data[g * H + k] * h[n * H + k];
        gates[g] = acc;
      }
      for (let u = 0; u < H; u++) {
        const i = sigmoid(gates[u]);
        const f = sigmoid(gates[H + u]);
        const g = Math.tanh(gates[2 * H + u]);
        const o = sigmoid(gates[3 * H + u]);
        c[n * H + u] = f * c[n * H + u] + i * g;
        out[(t * N + n) * H + u] = o * Math.tanh(c[n * H + u]);
      }
    }
    // h is read by every unit of the step, so it changes only after the whole step.
    h.set(out.subarray(t * N * H, (t + 1) * N * H));
  }
  return [out, h, c];
}

function softmax(x: Val, dim: number): F64 {
  const axis = dim < 0 ? dim + x.shape.length : dim;
  const outer = size(x.shape.slice(0, axis));
  const len = x.shape[axis];
  const inner = size(x.shape.slice(axis + 1));
  const y = new Float64Array(x.data.length);
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (k: number) => (o * len + k) * inner + i;
      let m = -Infinity;
      for (let k = 0; k < len; k++) m = Math.max(m, x.data[at(k)]);
      let s = 0;
      for (let k = 0; k < len; k++) s += Math.exp(x.data[at(k)] - m);
      for (let k = 0; k < len; k++) y[at(k)] = Math.exp(x.data[at(k)] - m) / s;
    }
  }
  return y;
}

function runNode(node: BenchNode, ins: (Val | null)[], outShapes: (readonly number[])[]): F64[] {
  const a = node.attrs;
  const [x] = ins;
  switch (node.op) {
    case 'conv2d':
      return [conv2d(x!, ins[1]!, ins[2] ?? null, a, outShapes[0])];
    case 'pool2d':
      return [pool2d(x!, a, outShapes[0])];
    case 'globalPool2d':
      return [globalPool(x!, a.mode as string)];
    case 'adaptiveAvgPool2d':
      return [adaptiveAvgPool(x!, outShapes[0])];
    case 'activation':
      return [x!.data.map((v) => activate(v, a as unknown as ActivationAttrs))];
    case 'binary':
      return [binary(x!, ins[1]!, outShapes[0], a.kind === 'add' ? (p, q) => p + q : (p, q) => p * q)];
    case 'linear':
      return [linear(x!, ins[1]!, ins[2] ?? null, a.activation as ActivationAttrs | undefined)];
    case 'concat':
      return [concat(ins as Val[], a.dim as number, outShapes[0])];
    case 'view':
      return [x!.data];
    case 'batchNorm2d':
      return [batchNorm(x!, ins[1] ?? null, ins[2] ?? null, ins[3]!, ins[4]!, a.eps as number)];
    case 'softmax':
      return [softmax(x!, a.dim as number)];
    case 'recurrent': {
      const plain = a.mode === 'lstm' && a.numLayers === 1 && !a.bidirectional && !a.batchFirst && a.clip === null && a.sequenceLengths === null && !a.hasH0 && !a.hasC0 && ins[7] === null;
      if (!plain) throw new Error(`reference: only a one-layer unidirectional LSTM without initial states is supported (${node.scope})`);
      // inputs: x, h0, c0, then weight_ih, weight_hh, bias_ih, bias_hh, weight_ph of the layer
      return lstm(x!, ins[3]!, ins[4]!, ins[5] ?? null, ins[6] ?? null, a.hiddenSize as number);
    }
  }
  throw new Error(`reference: op ${node.op} (${node.scope}) is not in the benchmark's reference`);
}

/** The graph's output in float64 for `input`. */
export function referenceOutput(graph: BenchGraph, params: Float32Array, input: Float32Array): Float64Array {
  const vals = new Map<number, Val>();
  for (const v of graph.values) if (v.kind === 'param') vals.set(v.id, { data: Float64Array.from(paramData(graph, params, v.id)), shape: v.shape });
  vals.set(graph.input.id, { data: Float64Array.from(input), shape: graph.input.shape });
  for (const node of graph.nodes) {
    const ins = node.inputs.map((id) => (id === null ? null : vals.get(id)!));
    const outShapes = node.outputs.map((id) => graph.values[id].shape);
    const outs = runNode(node, ins, outShapes);
    node.outputs.forEach((id, i) => vals.set(id, { data: outs[i], shape: outShapes[i] }));
  }
  return vals.get(graph.output.id)!.data;
}

/** Mean cross-entropy of `logits` [N, C] against class indices, in float64 (log-sum-exp with the row max taken out). */
export function crossEntropyReference(logits: Float64Array, targets: Float32Array): Float64Array {
  const N = targets.length;
  const C = logits.length / N;
  let sum = 0;
  for (let n = 0; n < N; n++) {
    const row = logits.subarray(n * C, (n + 1) * C);
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let e = 0;
    for (const v of row) e += Math.exp(v - max);
    sum += max + Math.log(e) - row[targets[n]];
  }
  return Float64Array.of(sum / N);
}

export interface OutputCheck {
  maxAbsErr: number;
  /** 1e-4 + 1e-3·max|ref| */
  tolerance: number;
  ok: boolean;
}

/** The project's model tolerance: |y − ref| ≤ 1e-4 + 1e-3·max|ref| over the tensor; NaN is an error. */
export function checkOutput(actual: ArrayLike<number>, ref: ArrayLike<number>): OutputCheck {
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) maxRef = Math.max(maxRef, Math.abs(ref[i]));
  const tolerance = 1e-4 + 1e-3 * maxRef;
  if (actual.length !== ref.length) return { maxAbsErr: Infinity, tolerance, ok: false };
  let maxAbsErr = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(actual[i] - ref[i]);
    maxAbsErr = Number.isNaN(e) ? Infinity : Math.max(maxAbsErr, e);
  }
  return { maxAbsErr, tolerance, ok: maxAbsErr <= tolerance };
}
