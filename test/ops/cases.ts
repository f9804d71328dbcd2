// The op-case table: every op of the API (src/ops/index.ts, makeOps) with rows of input shapes
// and options. test/ops/opCases.test.ts checks every row on the CPU against the op's oracle
// (src/ops/<family>/*Oracle.ts) and on WebGPU against the CPU; an op of makeOps without rows,
// a call or an oracle here fails that suite.
//
// A row names its input tensors (filled with seeded uniform values in their range) and gives
// the op's other arguments as plain data, so the same rows can drive other checks: a gradient
// check perturbs each named input of a row, calls the op through CALLS on its runner, and
// compares with the backward ops (training reuses ROWS, CALLS and inputData as they are).
//
// Rows come from the hand-written cases the per-op tests had, plus seeded random draws
// (randomConvRows, …): fixed at import, the same on every run.
import { conv2dAttrs, conv2dOp, type Conv2dOptions } from '../../src/ops/conv/conv2d';
import { conv2dOracle } from '../../src/ops/conv/conv2dOracle';
import type { Activation } from '../../src/ops/elementwise/activation';
import { activationOracle, broadcastOracle } from '../../src/ops/elementwise/elementwiseOracle';
import { linearOp } from '../../src/ops/gemm/linear';
import { linearOracle, matmulOracle } from '../../src/ops/gemm/matmulOracle';
import type { Ops } from '../../src/ops/index';
import { localResponseNormAttrs, localResponseNormOp } from '../../src/ops/norm/localResponseNorm';
import { batchNormOracle, localResponseNormOracle, softmaxOracle } from '../../src/ops/norm/normOracle';
import type { OpRunner } from '../../src/ops/op';
import type { OracleResult, OracleTensor } from '../../src/ops/oracle';
import { adaptiveAvgPool2dOracle, globalPoolOracle, pool2dOracle } from '../../src/ops/pool/poolOracle';
import { cellOracle, recurrentOracle, type StepWeights } from '../../src/ops/recurrent/recurrentOracle';
import { concatOracle, narrowOracle, permuteOracle, viewOracle } from '../../src/ops/shape/shapeOracle';
import { paddingAttr, positivePair, samePads, type Pads } from '../../src/ops/window';
import { Random } from '../../src/random';
import type { Shape } from '../../src/shape';

type Shaped = { readonly shape: Shape };
export type OpName = keyof Ops<Shaped>;

/** An input tensor: its shape, and optionally the range of its values (default [−1, 1]). */
export type InputSpec = readonly number[] | { readonly shape: readonly number[]; readonly range: readonly [number, number] };

export interface OpCase {
  readonly op: OpName;
  /** Input tensors by the names CALLS gives them (absent optional inputs are left out). */
  readonly inputs: Readonly<Record<string, InputSpec>>;
  /** The op's other arguments (its options), as plain data. */
  readonly options?: Readonly<Record<string, unknown>>;
  /** Run the WebGPU check with the GPU tuning (the kernel variants chosen for GPUs) too. */
  readonly gpuTuning?: boolean;
  /** What the row is for, where the shapes do not say it. */
  readonly note?: string;
}

type Out<T> = T | Readonly<Record<string, T>>;
type Opts = Readonly<Record<string, any>>;

/** How each op is called with a row's named tensors and options, on any runner's op table. */
export type Call = <T extends Shaped>(ops: Ops<T>, t: Readonly<Record<string, T>>, o: Opts, runner: OpRunner<T>) => Out<T>;

const recurrentParams = <T>(t: Readonly<Record<string, T>>) => Object.fromEntries(Object.entries(t).filter(([k]) => /^(weight|bias)_/.test(k)));
const cellWeights = <T>(t: Readonly<Record<string, T>>) => ({ weightIh: t.weightIh, weightHh: t.weightHh, biasIh: t.biasIh ?? null, biasHh: t.biasHh ?? null });

export const CALLS: Record<OpName, Call> = {
  // A fused activation or residual (set by the graph's passes) goes through the op itself.
  conv2d: (ops, t, o, r) =>
    o.activation || t.residual
      ? r.runOp(conv2dOp, [t.x, t.w, t.b ?? null, t.residual ?? null], { ...conv2dAttrs(o as Conv2dOptions), activation: o.activation })[0]
      : ops.conv2d(t.x, t.w, t.b ?? null, o),
  maxPool2d: (ops, t, o) => ops.maxPool2d(t.x, o as never),
  avgPool2d: (ops, t, o) => ops.avgPool2d(t.x, o as never),
  globalAvgPool2d: (ops, t) => ops.globalAvgPool2d(t.x),
  globalMaxPool2d: (ops, t) => ops.globalMaxPool2d(t.x),
  adaptiveAvgPool2d: (ops, t, o) => ops.adaptiveAvgPool2d(t.x, o.size),
  linear: (ops, t, o, r) => (o.activation ? r.runOp(linearOp, [t.x, t.w, t.b ?? null], { activation: o.activation })[0] : ops.linear(t.x, t.w, t.b ?? null)),
  matmul: (ops, t) => ops.matmul(t.a, t.b),
  relu: (ops, t) => ops.relu(t.x),
  sigmoid: (ops, t) => ops.sigmoid(t.x),
  tanh: (ops, t) => ops.tanh(t.x),
  leakyRelu: (ops, t, o) => ops.leakyRelu(t.x, o),
  clip: (ops, t, o) => ops.clip(t.x, o),
  softmax: (ops, t, o) => ops.softmax(t.x, o),
  logSoftmax: (ops, t, o) => ops.logSoftmax(t.x, o),
  add: (ops, t) => ops.add(t.a, t.b),
  mul: (ops, t) => ops.mul(t.a, t.b),
  concat: (ops, t, o) => ops.concat(o.names.map((n: string) => t[n]), { dim: o.dim }),
  flatten: (ops, t, o) => ops.flatten(t.x, o),
  reshape: (ops, t, o) => ops.reshape(t.x, o.shape),
  permute: (ops, t, o) => ops.permute(t.x, o.dims),
  narrow: (ops, t, o) => ops.narrow(t.x, o.dim, o.start, o.length),
  select: (ops, t, o) => ops.select(t.x, o.dim, o.index),
  dropout: (ops, t, o) => ops.dropout(t.x, o),
  batchNorm2d: (ops, t, o) =>
    ops.batchNorm2d(t.x, { weight: t.weight ?? null, bias: t.bias ?? null, runningMean: t.runningMean, runningVar: t.runningVar, eps: o.eps }),
  localResponseNorm: (ops, t, o, r) =>
    o.window === 'onnx' ? r.runOp(localResponseNormOp, [t.x], localResponseNormAttrs(o as never, 'onnx'))[0] : ops.localResponseNorm(t.x, o as never),
  lstm: (ops, t, o) => ops.lstm(t.x, recurrentParams(t), { ...o, hiddenSize: o.hiddenSize, h0: t.h0, c0: t.c0 }),
  gru: (ops, t, o) => ops.gru(t.x, recurrentParams(t), { ...o, hiddenSize: o.hiddenSize, h0: t.h0 }),
  rnn: (ops, t, o) => ops.rnn(t.x, recurrentParams(t), { ...o, hiddenSize: o.hiddenSize, h0: t.h0 }),
  lstmCell: (ops, t) => ops.lstmCell(t.x, t.h, t.c, cellWeights(t)),
  gruCell: (ops, t, o) => ops.gruCell(t.x, t.h, { ...cellWeights(t), linearBeforeReset: o.linearBeforeReset }),
  rnnCell: (ops, t, o) => ops.rnnCell(t.x, t.h, { ...cellWeights(t), nonlinearity: o.nonlinearity ?? 'tanh' }),
};

// ---------------------------------------------------------------------------------------------
// The oracles, called with a row's named inputs and options (PyTorch's defaults filled in here).

export type Oracle = (t: Readonly<Record<string, OracleTensor>>, o: Opts) => OracleResult | Readonly<Record<string, OracleResult>>;

const pair = (v: unknown, fallback: number): [number, number] => positivePair(v ?? fallback, 'oracle');
const pads = (p: unknown): Pads | 'same' => paddingAttr((p ?? 0) as never, 'oracle');
const poolOracle = (mode: 'max' | 'avg'): Oracle => (t, o) =>
  pool2dOracle(t.x, {
    mode,
    kernel: pair(o.kernelSize, 1),
    stride: pair(o.stride ?? o.kernelSize, 1),
    padding: pads(o.padding),
    dilation: pair(o.dilation, 1),
    ceilMode: o.ceilMode ?? false,
    countIncludePad: o.countIncludePad ?? true,
  });
const act = (a: Activation): Oracle => (t) => activationOracle(t.x, a);
const stepWeights = (t: Readonly<Record<string, OracleTensor>>, sfx: string): StepWeights => ({
  wIh: t[`weight_ih${sfx}`],
  wHh: t[`weight_hh${sfx}`],
  bIh: t[`bias_ih${sfx}`] ?? null,
  bHh: t[`bias_hh${sfx}`] ?? null,
  wPh: t[`weight_ph${sfx}`] ?? null,
});
const recurrent = (mode: 'lstm' | 'gru' | 'rnn'): Oracle => (t, o) => {
  const D = o.bidirectional ? 2 : 1;
  const layers = o.numLayers ?? 1;
  const weights = Array.from({ length: layers * D }, (_, i) => stepWeights(t, `_l${Math.floor(i / D)}${i % D === 1 ? '_reverse' : ''}`));
  const r = recurrentOracle(t.x, weights, t.h0 ?? null, t.c0 ?? null, {
    mode,
    hiddenSize: o.hiddenSize,
    numLayers: layers,
    bidirectional: o.bidirectional ?? false,
    batchFirst: o.batchFirst ?? false,
    nonlinearity: o.nonlinearity ?? 'tanh',
    linearBeforeReset: o.linearBeforeReset ?? true,
    clip: o.clip ?? null,
    sequenceLengths: o.sequenceLengths ?? null,
  });
  return mode === 'lstm' ? r : { output: r.output, h: r.h };
};
const cell = (mode: 'lstm' | 'gru' | 'rnn'): Oracle => (t, o) => {
  const w: StepWeights = { wIh: t.weightIh, wHh: t.weightHh, bIh: t.biasIh ?? null, bHh: t.biasHh ?? null, wPh: null };
  const r = cellOracle({ mode, nonlinearity: o.nonlinearity ?? 'tanh', linearBeforeReset: o.linearBeforeReset ?? true }, w, t.x, t.h, t.c ?? null);
  return mode === 'lstm' ? r : { h: r.h };
};
/** The shape reshape / flatten give, computed here from the definition. */
const flattened = (shape: readonly number[], o: Opts): number[] => {
  const rank = Math.max(shape.length, 1);
  const at = (d: number) => (d < 0 ? d + rank : d);
  const [s, e] = [at(o.startDim ?? 1), at(o.endDim ?? -1)];
  const dims = shape.length === 0 ? [1] : shape;
  return [...dims.slice(0, s), dims.slice(s, e + 1).reduce((a, d) => a * d, 1), ...dims.slice(e + 1)];
};
const reshaped = (shape: readonly number[], target: readonly number[]): number[] => {
  const total = shape.reduce((a, d) => a * d, 1);
  const known = target.filter((d) => d !== -1).reduce((a, d) => a * d, 1);
  return target.map((d) => (d === -1 ? total / known : d));
};

export const ORACLES: Record<OpName, Oracle> = {
  conv2d: (t, o) =>
    conv2dOracle(t.x, t.w, t.b ?? null, { stride: pair(o.stride, 1), padding: pads(o.padding), dilation: pair(o.dilation, 1), groups: o.groups ?? 1, activation: o.activation }, t.residual ?? null),
  maxPool2d: poolOracle('max'),
  avgPool2d: poolOracle('avg'),
  globalAvgPool2d: (t) => globalPoolOracle(t.x, 'avg'),
  globalMaxPool2d: (t) => globalPoolOracle(t.x, 'max'),
  adaptiveAvgPool2d: (t, o) => adaptiveAvgPool2dOracle(t.x, typeof o.size === 'number' ? [o.size, o.size] : o.size),
  linear: (t, o) => linearOracle(t.x, t.w, t.b ?? null, o.activation),
  matmul: (t) => matmulOracle(t.a, t.b),
  relu: act({ kind: 'relu' }),
  sigmoid: act({ kind: 'sigmoid' }),
  tanh: act({ kind: 'tanh' }),
  leakyRelu: (t, o) => activationOracle(t.x, { kind: 'leakyRelu', negativeSlope: o.negativeSlope ?? 0.01 }),
  clip: (t, o) => activationOracle(t.x, { kind: 'clip', min: o.min ?? -Infinity, max: o.max ?? Infinity }),
  softmax: (t, o) => softmaxOracle(t.x, o.dim ?? -1, false),
  logSoftmax: (t, o) => softmaxOracle(t.x, o.dim ?? -1, true),
  add: (t) => broadcastOracle(t.a, t.b, (x, y) => x + y),
  mul: (t) => broadcastOracle(t.a, t.b, (x, y) => x * y),
  concat: (t, o) => concatOracle(o.names.map((n: string) => t[n]), o.dim ?? 0),
  flatten: (t, o) => viewOracle(t.x, flattened(t.x.shape, o)),
  reshape: (t, o) => viewOracle(t.x, reshaped(t.x.shape, o.shape)),
  permute: (t, o) => permuteOracle(t.x, o.dims),
  narrow: (t, o) => narrowOracle(t.x, o.dim, o.start, o.length, false),
  select: (t, o) => narrowOracle(t.x, o.dim, o.index, 1, true),
  dropout: (t) => viewOracle(t.x, t.x.shape),
  batchNorm2d: (t, o) => batchNormOracle(t.x, { weight: t.weight ?? null, bias: t.bias ?? null, runningMean: t.runningMean, runningVar: t.runningVar, eps: o.eps ?? 1e-5 }),
  localResponseNorm: (t, o) => localResponseNormOracle(t.x, { size: o.size, alpha: o.alpha ?? 1e-4, beta: o.beta ?? 0.75, k: o.k ?? 1, window: o.window ?? 'pytorch' }),
  lstm: recurrent('lstm'),
  gru: recurrent('gru'),
  rnn: recurrent('rnn'),
  lstmCell: cell('lstm'),
  gruCell: cell('gru'),
  rnnCell: cell('rnn'),
};

/** A row's input data, the same on every backend and run: one stream seeded by the row's index. */
export function inputData(row: OpCase, index: number): Record<string, { data: Float32Array; shape: number[] }> {
  const rng = new Random(1000 + index);
  const out: Record<string, { data: Float32Array; shape: number[] }> = {};
  for (const [name, spec] of Object.entries(row.inputs)) {
    const { shape, range } = 'shape' in spec ? spec : { shape: spec, range: [-1, 1] as const };
    out[name] = { data: rng.fill(shape.reduce((a, d) => a * d, 1), range[0], range[1]), shape: [...shape] };
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The rows.

const rows: OpCase[] = [];
const add = (...r: OpCase[]) => rows.push(...r);
const rng = new Random(5);
const int = (lo: number, hi: number) => rng.int(lo, hi);

// conv2d: the hand-written shapes (strides, asymmetric padding, dilation, groups, depthwise, 1×1,
// one output pixel, the lecture's LeNet layers), random draws, each fused activation, and the
// workgroup-memory tiles of the GPU tuning (partial tiles in channels, pixels and K).
const conv = (
  x: number[],
  w: number[],
  options: Opts = {},
  { bias = true, note, gpuTuning, residual }: { bias?: boolean; note?: string; gpuTuning?: boolean; residual?: number[] } = {},
): OpCase => ({
  op: 'conv2d',
  inputs: { x, w, ...(bias ? { b: [w[0]] } : {}), ...(residual ? { residual } : {}) },
  options,
  note,
  gpuTuning,
});
add(
  conv([1, 3, 9, 11], [4, 3, 3, 3], { padding: 1 }),
  conv([2, 3, 9, 11], [4, 3, 3, 3], { padding: 1 }),
  conv([2, 5, 13, 7], [6, 5, 3, 3]),
  conv([1, 4, 10, 7], [6, 2, 3, 2], { stride: [2, 1], padding: [0, 2, 1, 0], dilation: [1, 2], groups: 2 }),
  conv([3, 6, 13, 13], [3, 2, 5, 5], { stride: [3, 2], padding: 2, groups: 3 }),
  conv([1, 5, 12, 17], [7, 5, 3, 3], { padding: [2, 1, 0, 3], dilation: [2, 3] }),
  conv([2, 8, 20, 20], [8, 1, 3, 3], { padding: 1, groups: 8 }, { note: 'depthwise' }),
  conv([1, 4, 9, 9], [12, 1, 3, 3], { padding: 1, groups: 4 }, { note: 'depthwise, multiplier 3' }),
  conv([2, 3, 6, 5], [6, 1, 3, 3], { padding: 1, stride: [2, 1], groups: 3 }, { note: 'depthwise, multiplier 2' }),
  // The depthwise kernel (shaders/conv/depthwise_conv2d.wgsl): 3×3 rows written out, rows shifted
  // along the taps with kernels 1 to 7 wide, rows of 1 to 19 pixels; strides and dilations along
  // the rows stay on the register kernel.
  conv([1, 3, 5, 19], [3, 1, 1, 7], { padding: [0, 3, 0, 2], groups: 3 }, { note: 'depthwise, 1×7, row reuse' }),
  conv([2, 4, 9, 1], [4, 1, 5, 1], { padding: [2, 0, 1, 0], groups: 4 }, { bias: false, note: 'depthwise, 5×1, one-pixel rows' }),
  conv([1, 5, 13, 17], [10, 1, 5, 5], { padding: 2, groups: 5 }, { note: 'depthwise 5×5, multiplier 2' }),
  conv([1, 6, 11, 12], [6, 1, 3, 3], { stride: 2, padding: 1, groups: 6 }, { note: 'depthwise, stride 2' }),
  conv([1, 6, 10, 13], [6, 1, 3, 3], { dilation: [1, 2], padding: 'same', groups: 6 }, { note: 'depthwise, dilated row' }),
  conv([1, 6, 28, 28], [6, 1, 2, 2], { stride: 2, groups: 6 }, { note: "depthwise, LeNet's subsampling" }),
  conv([2, 6, 6, 5], [4, 3, 3, 3], { padding: 1, stride: [2, 1], groups: 2 }),
  conv([2, 3, 12, 14], [4, 3, 3, 2], { stride: [1, 2], padding: [1, 2], dilation: [2, 3] }),
  conv([1, 16, 11, 9], [5, 16, 1, 1], {}, { note: '1×1 (the shared GEMM)' }),
  conv([2, 5, 4, 3], [6, 5, 1, 1]),
  conv([2, 9, 7, 5], [17, 9, 1, 1], {}, { bias: false }),
  conv([1, 3, 11, 11], [4, 3, 1, 1], { stride: 2 }, { note: '1×1, strided' }),
  conv([2, 6, 5, 9], [9, 2, 1, 1], { groups: 3 }, { note: '1×1, grouped' }),
  conv([1, 2, 4, 4], [3, 2, 4, 4], {}, { note: 'one output pixel' }),
  conv([1, 3, 17, 19], [5, 3, 2, 2], { stride: 5 }, { note: 'stride larger than the kernel' }),
  conv([1, 3, 10, 9], [4, 3, 4, 3], { padding: 'same' }),
  conv([1, 2, 7, 8], [3, 2, 2, 4], { padding: 'same' }),
  conv([2, 3, 11, 8], [9, 3, 3, 2], { padding: 'same', stride: [2, 3], dilation: [2, 1] }),
  conv([1, 2, 7, 8], [3, 2, 2, 4], { padding: 'valid' }),
  conv([1, 20, 6, 30], [33, 20, 3, 3], { padding: [1, 0, 1, 2] }, { bias: false }),
  conv([1, 1, 28, 28], [6, 1, 5, 5], { padding: 2 }, { note: 'LeNet' }),
  conv([1, 6, 14, 14], [16, 6, 5, 5], {}, { note: 'LeNet' }),
  conv([1, 3, 23, 23], [8, 3, 7, 7], { stride: 2, padding: 3 }),
  conv([0, 3, 5, 5], [4, 3, 3, 3], { padding: 1 }, { note: 'empty batch' }),
);
for (let n = 0; n < 24; n++) {
  const groups = [1, 1, 2, 3][int(0, 3)];
  const [C, O] = [groups * int(1, 4), groups * int(1, 5)];
  const kernel = [int(1, 4), int(1, 4)];
  const dilation = [int(1, 2), int(1, 2)];
  const stride = [int(1, 4), int(1, 4)];
  const padding = rng.next() < 0.2 ? 'same' : [int(0, 2), int(0, 2), int(0, 2), int(0, 2)];
  const H = (kernel[0] - 1) * dilation[0] + 1 + int(0, 12);
  const W = (kernel[1] - 1) * dilation[1] + 1 + int(0, 12);
  add(conv([int(1, 3), C, H, W], [O, C / groups, ...kernel], { stride, padding, dilation, groups }, { bias: rng.next() < 0.7, note: 'random' }));
}
const ACTIVATIONS: Activation[] = [
  { kind: 'relu' },
  { kind: 'sigmoid' },
  { kind: 'tanh' },
  { kind: 'leakyRelu', negativeSlope: 0.1 },
  { kind: 'clip', min: -0.5, max: 0.75 },
  { kind: 'clip', min: -Infinity, max: 0.5 },
];
for (const activation of ACTIVATIONS) add(conv([2, 4, 9, 8], [6, 4, 3, 3], { padding: 1, activation }, { note: 'fused activation' }));
add(
  conv([1, 6, 7, 7], [6, 1, 3, 3], { groups: 6, padding: 'same', activation: ACTIVATIONS[3] }, { bias: false, note: 'fused, depthwise' }),
  conv([1, 8, 5, 6], [4, 8, 1, 1], { activation: ACTIVATIONS[0] }, { note: 'fused, 1×1 GEMM epilogue' }),
  conv([1, 8, 5, 6], [4, 8, 1, 1], { activation: ACTIVATIONS[4] }, { bias: false, note: 'fused, 1×1 GEMM epilogue' }),
  conv([1, 5, 9, 13], [40, 5, 3, 3], { padding: 1 }, { gpuTuning: true, note: 'tiles: K 45, a partial K step' }),
  conv([2, 4, 7, 6], [66, 2, 3, 3], { groups: 2, padding: [0, 2, 1, 0] }, { gpuTuning: true, note: 'tiles: 33 channels per group' }),
  conv([1, 3, 17, 15], [64, 3, 7, 7], { stride: 2, padding: 3 }, { bias: false, gpuTuning: true }),
  conv([3, 6, 8, 9], [32, 6, 2, 3], { padding: 'same', stride: [2, 3], dilation: [2, 1] }, { gpuTuning: true }),
  conv([1, 8, 12, 12], [130, 8, 3, 3], { stride: 3 }, { gpuTuning: true, note: 'tiles: three channel tiles' }),
  conv([1, 4, 6, 6], [32, 4, 3, 3], { padding: 1, activation: { kind: 'leakyRelu', negativeSlope: 0.2 } }, { gpuTuning: true, note: 'tiles, fused' }),
  // A residual (ResNet's skip connection, folded in by the graph) on each kernel: register
  // blocks, workgroup tiles, the 1×1 GEMM (copy, then accumulate), with and without bias.
  conv([2, 4, 9, 8], [6, 4, 3, 3], { padding: 1, activation: ACTIVATIONS[0] }, { residual: [2, 6, 9, 8], note: 'residual, fused ReLU' }),
  conv([1, 3, 7, 9], [5, 3, 3, 3], { stride: 2, padding: 1 }, { bias: false, residual: [1, 5, 4, 5], note: 'residual, strided' }),
  conv([1, 8, 5, 6], [4, 8, 1, 1], { activation: ACTIVATIONS[0] }, { residual: [1, 4, 5, 6], note: 'residual, 1×1 GEMM' }),
  conv([2, 4, 6, 6], [33, 4, 3, 3], { padding: 1, activation: ACTIVATIONS[0] }, { gpuTuning: true, residual: [2, 33, 6, 6], note: 'residual, tiles' }),
  // im2col + GEMM (software adapters, one group, ≥ 16 output channels): the rows above with 32+
  // channels take it by default; these fill its 8 MiB scratch so it goes in chunks — of output
  // rows (28 + 4 of 32), and of whole images (2 + 1) — with a residual and bias on each chunk.
  conv([1, 256, 32, 32], [16, 256, 3, 3], { padding: 1 }, { residual: [1, 16, 32, 32], note: 'im2col in chunks of output rows' }),
  conv([3, 256, 20, 20], [17, 256, 3, 3], { padding: 1, activation: ACTIVATIONS[0] }, { note: 'im2col in chunks of images' }),
  conv([2, 3, 19, 21], [16, 3, 5, 3], { stride: [2, 3], padding: [2, 0, 1, 1], dilation: [1, 2] }, { bias: false, note: 'im2col, strided, dilated' }),
  conv([2, 4, 7, 10], [4, 1, 3, 3], { padding: 1, groups: 4, activation: ACTIVATIONS[4] }, { gpuTuning: true, residual: [2, 4, 7, 10], note: 'residual, depthwise, fused clip' }),
);

// Pooling: the hand-written windows in both ceil modes (and both countIncludePad for the
// average), ceil mode's last window, windows of padding only, random draws; global pooling on
// small planes (an invocation each) and large ones (workgroup reductions); adaptive bins.
const pool = (op: 'maxPool2d' | 'avgPool2d', x: number[], options: Opts, note?: string): OpCase => ({ op, inputs: { x }, options, note });
for (const c of [
  { x: [2, 3, 9, 11], kernelSize: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1], dilation: [1, 1] },
  { x: [1, 2, 10, 7], kernelSize: [2, 3], stride: [3, 1], padding: [0, 1, 1, 0], dilation: [1, 1] },
  { x: [3, 1, 13, 12], kernelSize: [3, 2], stride: [2, 3], padding: [2, 1, 0, 1], dilation: [2, 3] },
  { x: [1, 4, 8, 8], kernelSize: [4, 4], stride: [3, 3], padding: [2, 2, 2, 2], dilation: [1, 1] },
  { x: [1, 2, 7, 9], kernelSize: [3, 3], stride: [2, 2], padding: [0, 0, 0, 0], dilation: [2, 1] },
]) {
  const { x, ...c2 } = c;
  const o = { ...c2, padLimit: 'onnx' }; // the third row pads beyond PyTorch's half kernel, within ONNX's limit
  for (const ceilMode of [false, true]) {
    add(pool('maxPool2d', x, { ...o, ceilMode }));
    for (const countIncludePad of [false, true]) add(pool('avgPool2d', x, { ...o, ceilMode, countIncludePad }));
  }
}
for (const [x, o] of [
  [[1, 2, 4, 4], { kernelSize: 3, stride: 2, padding: 1, ceilMode: true }],
  [[2, 1, 2, 2], { kernelSize: 3, stride: 3, padding: 1, ceilMode: true }],
  [[1, 3, 9, 10], { kernelSize: 2, stride: 3, ceilMode: true }],
  [[1, 1, 7, 7], { kernelSize: [3, 2], stride: [2, 4], padding: [1, 0, 1, 0], ceilMode: true }],
] as [number[], Opts][]) {
  // Windows of padding only are refused (a ShapeError: test/reliability/defects.test.ts, defect 8).
  add(pool('maxPool2d', x, o, "ceil mode's last window"));
  for (const countIncludePad of [true, false]) add(pool('avgPool2d', x, { ...o, countIncludePad }, "ceil mode's last window"));
}
add(pool('maxPool2d', [2, 3, 7, 8], { kernelSize: 2, stride: 1, padding: 'same' }), pool('avgPool2d', [2, 3, 7, 8], { kernelSize: 3, stride: 2, padding: 'same' }));
add(pool('maxPool2d', [0, 3, 6, 6], { kernelSize: 2 }, 'empty batch'), pool('avgPool2d', [2, 0, 6, 6], { kernelSize: 3, stride: 1 }, 'no channels'));
for (let n = 0; n < 40; n++) {
  const x = [int(1, 3), int(1, 4), int(1, 13), int(1, 13)];
  const kernelSize = [int(1, 4), int(1, 4)];
  const stride = [int(1, 5), int(1, 5)];
  const dilation = [int(1, 2), int(1, 3)];
  const paddings = [0, 1, [int(0, 2), int(0, 2)], [int(0, 2), int(0, 1), int(0, 2), int(0, 3)], 'same'];
  const padding = paddings[int(0, paddings.length - 1)];
  const ceilMode = rng.next() < 0.5;
  const countIncludePad = rng.next() < 0.5;
  // Draw again when the dilated kernel is larger than the padded input (a ShapeError).
  const [pt, pl, pb, pr] = padding === 'same' ? samePads([x[2], x[3]], kernelSize as never, stride as never, dilation as never) : paddingAttr(padding as never, 'pool') as Pads;
  if ((kernelSize[0] - 1) * dilation[0] + 1 > x[2] + pt + pb || (kernelSize[1] - 1) * dilation[1] + 1 > x[3] + pl + pr) continue;
  // ... and when a side's padding reaches the kernel (ONNX's limit, wider than PyTorch's half kernel).
  if (pt >= kernelSize[0] || pb >= kernelSize[0] || pl >= kernelSize[1] || pr >= kernelSize[1]) continue;
  const padLimit = 'onnx';
  add(pool('maxPool2d', x, { kernelSize, stride, padding, dilation, ceilMode, padLimit }, 'random'), pool('avgPool2d', x, { kernelSize, stride, padding, dilation, ceilMode, countIncludePad, padLimit }, 'random'));
}
for (const x of [
  [2, 3, 7], [3, 5, 1], [1, 2048, 7, 7], [2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 4, 15, 17], // an invocation per plane
  [1, 3, 16, 16], [1, 3, 40, 40], [2, 2, 4, 16, 17], [1, 1, 1500], [2, 8, 112, 112], [1, 2, 4096], // workgroups of 64, 256
  [0, 3, 4, 4], [2, 0, 4, 4],
]) {
  for (const op of ['globalAvgPool2d', 'globalMaxPool2d'] as const) add({ op, inputs: { x: { shape: x, range: [-5, 5] } } });
}
for (const [x, size] of [
  [[2, 3, 10, 10], 7], // overlapping bins
  [[1, 2, 13, 13], [6, 6]], // AlexNet's 6×6
  [[1, 4, 7, 7], 7], // identity
  [[1, 1, 3, 5], [5, 2]], // output taller than the input
  [[2, 2, 14, 9], [7, 3]], // even split
  [[1, 3, 2, 3], [5, 7]],
  [[3, 2, 11, 6], 1], // the global average
  [[0, 3, 9, 9], [2, 3]],
] as [number[], unknown][]) {
  add({ op: 'adaptiveAvgPool2d', inputs: { x }, options: { size } });
}

// Dense: matmul's NumPy rules (1-D operands, broadcast batches, empty batches, K = 0) and odd
// sizes across the GEMM's blocks; linear at ranks 1-3, with and without bias, fused activations.
const ODD = [1, 3, 17, 33, 65, 129];
for (let n = 0; n < 12; n++) {
  const [m, k, p] = [ODD[int(0, 5)], int(1, 300), ODD[int(0, 5)]];
  add({ op: 'matmul', inputs: { a: [m, k], b: [k, p] }, note: 'random 2-D' });
}
for (const [a, b] of [
  [[5, 7], [7, 3]], [[7], [7, 3]], [[5, 7], [7]], [[7], [7]], [[5], [5, 3]], [[4, 5], [5]], [[5], [2, 5, 3]], [[2, 4, 5], [5]],
  [[2, 3, 5, 7], [7, 4]], [[7], [2, 3, 7, 4]], [[2, 3, 5, 7], [2, 3, 7, 4]], [[2, 1, 5, 7], [1, 3, 7, 4]], [[3, 5, 7], [2, 1, 7, 4]],
  [[1, 5, 7], [3, 7, 4]], [[4, 1, 3, 5, 6], [2, 1, 6, 9]], [[2, 3, 5, 7], [3, 7, 1]], [[2, 1, 3, 4], [5, 4, 6]], [[3, 17, 9], [3, 9, 33]],
  [[4, 3, 5], [5, 7]], [[5, 7], [2, 3, 7, 9]], [[1, 2, 3], [4, 1, 3, 2]], [[3, 1, 2, 3], [4, 3, 2]],
  [[0, 5, 7], [7, 3]], [[5, 0], [0, 3]], [[0, 4], [4, 3]], [[2, 4], [4, 0]], [[3, 2, 4], [0, 1, 4, 3]],
] as [number[], number[]][]) {
  add({ op: 'matmul', inputs: { a, b } });
}
for (const [x, out] of [
  [[17], 33], [[1, 65], 9], [[2, 3, 33], 129], [[5, 300], 17], [[2, 2, 1029], 8],
  [[13], 21], [[4, 13], 21], [[2, 3, 13], 21], [[0, 13], 21], [[2, 0], 3],
] as [number[], number][]) {
  const w = [out, x[x.length - 1]];
  add({ op: 'linear', inputs: { x, w, b: [out] } }, { op: 'linear', inputs: { x, w } });
}
// Two fused activations (each is a pipeline to compile); every activation on every GEMM kernel: test/matmul.gpu.test.ts.
for (const activation of [ACTIVATIONS[0], ACTIVATIONS[3]]) add({ op: 'linear', inputs: { x: [3, 20], w: [30, 20], b: [30] }, options: { activation }, note: 'fused activation' });

// Activations: sizes across the vec4 and 2-D grid paths, inputs past where sigmoid and tanh saturate.
for (const n of [1, 7, 1000, 70000]) {
  const x = { shape: [n], range: [-30, 30] } as const;
  add({ op: 'relu', inputs: { x } }, { op: 'sigmoid', inputs: { x } }, { op: 'tanh', inputs: { x } });
  add({ op: 'leakyRelu', inputs: { x }, options: { negativeSlope: 0.2 } }, { op: 'clip', inputs: { x }, options: { min: -1 } });
}
add({ op: 'leakyRelu', inputs: { x: [2, 3, 4] } }, { op: 'clip', inputs: { x: [2, 3, 4] }, options: { min: -0.5, max: 0.25 } }, { op: 'clip', inputs: { x: [5] }, options: { min: 2, max: 1 } });

// add and mul: NumPy broadcasting both ways round, scalars, empty shapes, equal shapes on the
// scalar and vec4 paths, random broadcastable shapes up to rank 6.
const binary = (a: readonly number[], b: readonly number[], note?: string) => {
  for (const op of ['add', 'mul'] as const) add({ op, inputs: { a: { shape: a, range: [-2, 2] }, b: { shape: b, range: [-2, 2] } }, note });
};
for (const [a, b] of [
  [[2, 3, 4], [4]], [[2, 1, 4], [3, 1]], [[1], [5, 1, 1]], [[2, 3, 4, 5], [3, 1, 1]], [[2, 3, 4, 5], [1, 3, 4, 1]],
  [[7, 1, 5, 1, 3], [1, 6, 1, 4, 1]], [[3, 5, 7], [3, 5, 7]], [[1, 1], [1]], [[0, 3], [3]], [[2, 0, 4], [2, 1, 4]],
  [[1, 3, 1, 1], [2, 3, 4, 5]], [[2, 3, 4], [2, 1, 4]], [[5, 1, 3], [1, 1, 1]], [[1, 4], [4]], [[2, 1], [2, 0]],
]) {
  binary(a, b);
  binary(b, a);
}
for (const other of [[], [1], [7], [2, 3], [4, 1, 5], [2, 0], [4, 0, 2]]) {
  binary([], other, 'scalar');
  binary(other, [], 'scalar');
}
for (const shape of [[7], [3, 5, 7], [4], [2, 6, 10]]) binary(shape, shape, 'equal shapes: scalar and vec4 entry points');
for (let n = 0; n < 40; n++) {
  const out = Array.from({ length: int(0, 6) }, () => 1 + int(0, 4));
  // Each operand: a random suffix of `out` with random axes stretched (1).
  const operand = () => out.slice(int(0, out.length)).map((d) => (rng.next() < 0.4 ? 1 : d));
  binary(operand(), operand(), 'random');
  binary(out, operand(), 'random');
}

// softmax and logSoftmax: every dim (negative ones too), long lines (a workgroup per line),
// values around 10 000 (no overflow), a 0-D tensor, empty lines.
const softmaxes = (x: InputSpec, dim?: number, note?: string) => {
  for (const op of ['softmax', 'logSoftmax'] as const) add({ op, inputs: { x }, options: dim === undefined ? {} : { dim }, note });
};
for (const shape of [[7], [3, 5], [2, 3, 4], [2, 3, 1, 5], [4, 1, 3, 2, 3], [3, 4, 5]]) {
  for (let dim = -shape.length; dim < shape.length; dim++) softmaxes({ shape, range: [-4, 4] }, dim);
}
for (const [shape, dim] of [[[64, 1000], -1], [[3, 1000, 5], 1], [[2, 255], 1], [[2, 256], 1], [[1, 4099], 0], [[2, 300, 3], -2]] as [number[], number][]) {
  softmaxes({ shape, range: [-10, 10] }, dim, 'long lines');
}
softmaxes({ shape: [4, 10], range: [9990, 10010] }, undefined, 'large values');
softmaxes({ shape: [2, 1000], range: [9990, 10010] }, undefined, 'large values');
softmaxes([], undefined, '0-D');
softmaxes([0, 10], undefined, 'empty');
softmaxes([4, 0], 1, 'empty lines');

// Shape ops: concat along every dim (negative too), one input, inputs empty along dim, random
// shapes up to rank 6; permute of every rank-3 order, random rank-4 and rank-5 orders, unit and
// zero-size axes, NCHW → NHWC; the views.
const concat = (shapes: number[][], dim: number, note?: string): OpCase => ({
  op: 'concat',
  inputs: Object.fromEntries(shapes.map((s, i) => [`x${i}`, s])),
  options: { dim, names: shapes.map((_, i) => `x${i}`) },
  note,
});
for (const base of [[2, 3, 4], [3, 4, 5], [2, 3, 4, 5]]) {
  for (let dim = -base.length; dim < base.length; dim++) {
    const axis = dim < 0 ? dim + base.length : dim;
    add(concat([2, 1, 3].map((n) => base.map((d, k) => (k === axis ? n : d))), dim));
  }
}
add(concat([[2, 2], [1, 2]], 0), concat([[2, 3]], 1), concat([[2, 0], [2, 3], [2, 0]], 1), concat([[0, 3], [2, 3]], 0), concat([[0, 3], [0, 2]], 1), concat([[2, 0, 4], [2, 0, 4]], 2));
for (let n = 0; n < 15; n++) {
  const rank = int(1, 6);
  const base = Array.from({ length: rank }, () => int(1, 4));
  const axis = int(0, rank - 1);
  add(concat(Array.from({ length: int(1, 4) }, () => base.map((d, k) => (k === axis ? int(0, 3) : d))), axis - (n % 2) * rank, 'random'));
}
const orders = (n: number): number[][] => (n === 0 ? [[]] : orders(n - 1).flatMap((p) => Array.from({ length: n }, (_, i) => [...p.slice(0, i), n - 1, ...p.slice(i)])));
for (const dims of orders(3)) add({ op: 'permute', inputs: { x: [3, 4, 5] }, options: { dims } }, { op: 'permute', inputs: { x: [2, 3, 4] }, options: { dims } });
for (let n = 0; n < 12; n++) {
  const rank = 4 + (n % 2);
  add({ op: 'permute', inputs: { x: Array.from({ length: rank }, () => int(1, 6)) }, options: { dims: orders(rank)[int(0, 23)] }, note: 'random' });
}
for (const [x, dims] of [
  [[2, 3, 4, 5], [-1, 0, -3, 2]], [[1, 7, 1, 3], [3, 2, 1, 0]], [[4, 1, 5], [1, 0, 2]], [[], []], [[6], [0]], [[3, 0, 2], [2, 0, 1]], [[2, 3], [1, 0]],
  [[8, 64, 56, 56], [0, 2, 3, 1]], // NCHW → NHWC
]) {
  add({ op: 'permute', inputs: { x }, options: { dims } });
}
// narrow and select: every dim of a rank-3 tensor, negative starts and indices, empty and
// whole slices, a rank-5 random set, a sequence's last step.
for (const dim of [0, 1, 2, -1]) {
  add({ op: 'narrow', inputs: { x: [3, 4, 5] }, options: { dim, start: 1, length: 2 } }, { op: 'select', inputs: { x: [3, 4, 5] }, options: { dim, index: -1 } });
}
add(
  { op: 'narrow', inputs: { x: [3, 4, 5] }, options: { dim: 1, start: -4, length: 4 } },
  { op: 'narrow', inputs: { x: [3, 4, 5] }, options: { dim: 2, start: 5, length: 0 } },
  { op: 'select', inputs: { x: [6] }, options: { dim: 0, index: 2 } },
  { op: 'select', inputs: { x: [35, 8, 32] }, options: { dim: 0, index: -1 }, note: 'last step' },
);
for (let n = 0; n < 8; n++) {
  const x = Array.from({ length: 5 }, () => int(1, 4));
  const dim = int(0, 4);
  const start = int(0, x[dim] - 1);
  add(
    { op: 'narrow', inputs: { x }, options: { dim, start, length: int(0, x[dim] - start) }, note: 'random' },
    { op: 'select', inputs: { x }, options: { dim: dim - 5, index: start }, note: 'random' },
  );
}
add(
  { op: 'reshape', inputs: { x: [2, 3, 4] }, options: { shape: [4, -1] } },
  { op: 'reshape', inputs: { x: [2, 3, 4] }, options: { shape: [2, 1, -1, 3] } },
  { op: 'reshape', inputs: { x: [1] }, options: { shape: [] } },
  { op: 'reshape', inputs: { x: [0, 3] }, options: { shape: [3, 0] } },
  { op: 'flatten', inputs: { x: [2, 3, 4, 5] } },
  { op: 'flatten', inputs: { x: [2, 3, 4, 5] }, options: { startDim: 0 } },
  { op: 'flatten', inputs: { x: [2, 3, 4, 5] }, options: { startDim: -3, endDim: -2 } },
  { op: 'flatten', inputs: { x: [] }, options: { startDim: 0 } },
  { op: 'flatten', inputs: { x: [4, 0, 2] } },
  { op: 'dropout', inputs: { x: [2, 3, 4] } },
  { op: 'dropout', inputs: { x: [2, 3, 4] }, options: { p: 0.3 } },
);

// Normalisation: batch norm at ranks 2-5 with each of weight and bias present or not; LRN with
// odd and even sizes, a window wider than the channels, PyTorch's and ONNX's windows.
for (const shape of [[3, 5], [2, 3], [2, 4, 9], [2, 3, 5], [2, 3, 7, 5], [2, 3, 4, 5], [1, 6, 2, 3, 4], [2, 64, 14, 14], [0, 3, 4, 4]]) {
  const C = [shape[1]];
  const stats = { runningMean: C, runningVar: { shape: C, range: [0.05, 3] as const } };
  for (const [affine, eps] of [[0, 1e-5], [1, 1e-3], [2, 0.1], [3, 1e-5]] as const) {
    const inputs: Record<string, InputSpec> = { x: { shape, range: [-3, 3] }, ...stats };
    if (affine === 1 || affine === 3) inputs.weight = { shape: C, range: [-2, 2] };
    if (affine >= 2) inputs.bias = C;
    add({ op: 'batchNorm2d', inputs, options: { eps } });
  }
}
for (const [shape, o] of [
  [[2, 7, 5, 6], { size: 5, alpha: 1e-4, beta: 0.75, k: 2 }], // AlexNet's
  [[1, 6, 9], { size: 2, alpha: 0.5, beta: 0.5, k: 1 }],
  [[2, 5, 3, 4], { size: 4, alpha: 0.2, beta: 1, k: 1.5 }],
  [[1, 3, 2, 2, 3], { size: 3, alpha: 1, beta: 0.75 }],
  [[1, 4, 4, 4], { size: 9, alpha: 0.3 }], // window wider than the channels
  [[2, 8, 3, 3], { size: 1, alpha: 2, beta: 0.6, k: 1 }],
  [[2, 7, 5], { size: 5 }],
  [[1, 6, 3, 4], { size: 4, alpha: 0.5, beta: 0.5, k: 2 }],
  [[0, 3, 2, 2], { size: 3 }],
] as [number[], Opts][]) {
  for (const window of ['pytorch', 'onnx']) add({ op: 'localResponseNorm', inputs: { x: { shape, range: [-3, 3] } }, options: { ...o, window } });
}

// Recurrent: every option of each mode (layers, bidirectional, batchFirst, h0/c0, peepholes, clip,
// no biases, sequence lengths with zeros, both GRU formulas, both RNN nonlinearities), empty
// sequences and batches, and H large enough for every k-split of the step kernel (GPU tuning).
interface Rec {
  T: number;
  N: number;
  I: number;
  H: number;
  layers?: number;
  bidirectional?: boolean;
  batchFirst?: boolean;
  initial?: boolean;
  bias?: boolean;
  peepholes?: boolean;
  clip?: number;
  linearBeforeReset?: boolean;
  nonlinearity?: 'tanh' | 'relu';
  sequenceLengths?: number[];
  gpuTuning?: boolean;
}
const GATES = { lstm: 4, gru: 3, rnn: 1 } as const;
const recurrentRow = (op: 'lstm' | 'gru' | 'rnn', c: Rec): OpCase => {
  const D = c.bidirectional ? 2 : 1;
  const layers = c.layers ?? 1;
  const GH = GATES[op] * c.H;
  const inputs: Record<string, InputSpec> = { x: { shape: c.batchFirst ? [c.N, c.T, c.I] : [c.T, c.N, c.I], range: [-2, 2] } };
  if (c.initial) {
    inputs.h0 = [D * layers, c.N, c.H];
    if (op === 'lstm') inputs.c0 = [D * layers, c.N, c.H];
  }
  for (let l = 0; l < layers; l++) {
    for (let d = 0; d < D; d++) {
      const sfx = `_l${l}${d === 1 ? '_reverse' : ''}`;
      inputs[`weight_ih${sfx}`] = [GH, l === 0 ? c.I : D * c.H];
      inputs[`weight_hh${sfx}`] = [GH, c.H];
      if (c.bias !== false) {
        inputs[`bias_ih${sfx}`] = [GH];
        inputs[`bias_hh${sfx}`] = [GH];
      }
      if (c.peepholes) inputs[`weight_ph${sfx}`] = [3, c.H];
    }
  }
  const options: Record<string, unknown> = { hiddenSize: c.H, numLayers: layers, bidirectional: !!c.bidirectional, batchFirst: !!c.batchFirst };
  for (const k of ['clip', 'linearBeforeReset', 'nonlinearity', 'sequenceLengths'] as const) if (c[k] !== undefined) options[k] = c[k];
  return { op, inputs, options, gpuTuning: c.gpuTuning };
};
add(
  recurrentRow('lstm', { T: 1, N: 1, I: 3, H: 5, gpuTuning: true }),
  recurrentRow('lstm', { T: 7, N: 3, I: 4, H: 6, initial: true, gpuTuning: true }),
  recurrentRow('lstm', { T: 7, N: 3, I: 5, H: 4, layers: 2, bidirectional: true, initial: true, gpuTuning: true }),
  recurrentRow('lstm', { T: 7, N: 3, I: 5, H: 4, layers: 2, bidirectional: true, batchFirst: true, gpuTuning: true }),
  recurrentRow('lstm', { T: 7, N: 1, I: 6, H: 3, peepholes: true, clip: 0.7, initial: true, bidirectional: true, gpuTuning: true }),
  recurrentRow('lstm', { T: 5, N: 3, I: 4, H: 6, bias: false, gpuTuning: true }),
  // stepSplit's 1 and 4 lanes per unit (16 and 32: test/recurrent.gpu.test.ts), H not a multiple of
  // the units per workgroup nor of the 4 k of a loop trip; GRU and RNN rows below run the same step
  // kernel with the GPU tuning.
  recurrentRow('lstm', { T: 7, N: 3, I: 40, H: 37, initial: true, gpuTuning: true }),
  recurrentRow('lstm', { T: 2, N: 5, I: 5, H: 210, initial: true, bidirectional: true, gpuTuning: true }),
  recurrentRow('lstm', { T: 2, N: 1, I: 3, H: 520, peepholes: true, gpuTuning: true }),
  recurrentRow('lstm', { T: 7, N: 3, I: 4, H: 5, bidirectional: true, initial: true, sequenceLengths: [5, 0, 7], gpuTuning: true }),
  recurrentRow('lstm', { T: 7, N: 3, I: 4, H: 5, layers: 2, bidirectional: true, batchFirst: true, peepholes: true, sequenceLengths: [7, 2, 0] }),
  recurrentRow('lstm', { T: 0, N: 2, I: 3, H: 4, initial: true, bidirectional: true }),
);
for (const linearBeforeReset of [true, false]) {
  add(
    recurrentRow('gru', { T: 1, N: 1, I: 3, H: 5, linearBeforeReset }),
    recurrentRow('gru', { T: 7, N: 3, I: 5, H: 4, layers: 2, bidirectional: true, initial: true, linearBeforeReset, gpuTuning: true }),
    recurrentRow('gru', { T: 7, N: 3, I: 4, H: 6, batchFirst: true, clip: 0.5, linearBeforeReset, gpuTuning: true }),
    recurrentRow('gru', { T: 4, N: 2, I: 3, H: 5, bias: false, initial: true, linearBeforeReset }),
    recurrentRow('gru', { T: 2, N: 4, I: 3, H: 300, initial: true, linearBeforeReset, sequenceLengths: [1, 2, 0, 2], gpuTuning: true }),
  );
}
add(
  recurrentRow('gru', { T: 6, N: 3, I: 3, H: 4, bidirectional: true, initial: true, linearBeforeReset: false, sequenceLengths: [0, 3, 6], gpuTuning: true }),
  recurrentRow('gru', { T: 6, N: 3, I: 3, H: 4, bidirectional: true, sequenceLengths: [1, 6, 4] }),
  recurrentRow('gru', { T: 0, N: 2, I: 3, H: 4 }),
  recurrentRow('rnn', { T: 1, N: 1, I: 3, H: 5 }),
  recurrentRow('rnn', { T: 7, N: 3, I: 5, H: 4, layers: 2, bidirectional: true, initial: true, nonlinearity: 'relu', gpuTuning: true }),
  recurrentRow('rnn', { T: 7, N: 3, I: 4, H: 6, batchFirst: true, clip: 0.8, nonlinearity: 'tanh', bias: false, gpuTuning: true }),
  recurrentRow('rnn', { T: 5, N: 3, I: 2, H: 3, bidirectional: true, initial: true, nonlinearity: 'relu', sequenceLengths: [5, 0, 2], gpuTuning: true }),
  recurrentRow('rnn', { T: 3, N: 0, I: 3, H: 4 }),
);
for (const op of ['lstmCell', 'gruCell', 'rnnCell'] as const) {
  const G = GATES[op === 'lstmCell' ? 'lstm' : op === 'gruCell' ? 'gru' : 'rnn'];
  for (const [N, I, H, bias] of [[1, 3, 5, true], [3, 7, 4, false], [2, 9, 40, true]] as const) {
    const inputs: Record<string, InputSpec> = { x: { shape: [N, I], range: [-2, 2] }, h: [N, H], weightIh: [G * H, I], weightHh: [G * H, H] };
    if (op === 'lstmCell') inputs.c = [N, H];
    if (bias) Object.assign(inputs, { biasIh: [G * H], biasHh: [G * H] });
    const variants: Opts[] = op === 'gruCell' ? [{ linearBeforeReset: true }, { linearBeforeReset: false }] : op === 'rnnCell' ? [{ nonlinearity: 'tanh' }, { nonlinearity: 'relu' }] : [{}];
    for (const options of variants) add({ op, inputs, options });
  }
}

export const ROWS: readonly OpCase[] = rows;
