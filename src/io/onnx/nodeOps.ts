// One ONNX node onto the ops API. This is the only code that knows ONNX's attribute names and
// defaults, its gate orders and layouts (DESIGN.md, "ONNX semantics differ"): everything it
// emits is a call on the public op table, so it runs unchanged on a backend (eager tensors) or
// a graph tracer, and the ONNX importer and the conformance tests execute the same translation.
//
// Inputs arrive either as run-time float32 values ('tensor') or as constants with known elements
// ('constant': initializers, folded values). Integer inputs (Reshape's shape, sequence_lens) and
// the values a translation must rearrange (recurrent weights, Clip's bounds) must be constants.
import { ModelFormatError, ShapeError, UnsupportedError } from '../../errors.js';
import type { Ops } from '../../ops/index.js';
import { samePads, type Pads, type Pair } from '../../ops/window.js';
import { formatShape, normalizeAxis, sizeOf, type Shape } from '../../shape.js';

type Shaped = { readonly shape: Shape };

/** Elements of a constant; the array type follows its ONNX data type (int64 → BigInt64Array, …). */
export type OnnxData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

export interface OnnxConstant {
  readonly kind: 'constant';
  /** ONNX element type in lower case: 'float32', 'int64', 'int32', 'bool', 'uint8', … */
  readonly dtype: string;
  readonly shape: Shape;
  readonly data: OnnxData;
  readonly name?: string;
}

/** A float32 value computed at run time (a graph input or another node's output). */
export interface OnnxTensorInput<T> {
  readonly kind: 'tensor';
  readonly value: T;
  readonly name?: string;
}

export type OnnxInput<T> = OnnxTensorInput<T> | OnnxConstant;

/** INT, FLOAT, STRING, INTS, FLOATS and STRINGS attributes as plain values. */
export type OnnxAttribute = number | string | readonly number[] | readonly string[];

export interface OnnxNode {
  readonly opType: string;
  /** The model's opset for the default domain: the newest version of the op ≤ opset applies. */
  readonly opset: number;
  readonly attributes: Readonly<Record<string, OnnxAttribute>>;
  /** One entry per position of the node's output list: true where the graph uses that output. */
  readonly outputs: readonly boolean[];
  /** The node's name, for messages. */
  readonly name?: string;
}

export interface OnnxContext<T> {
  /**
   * A float32 value holding `data`: weights in the layout the ops API expects, scalars. `name`
   * is the constant input's own name (an initializer's) when `data` is that input's elements
   * unchanged; absent for values the translation made.
   */
  constant(data: Float32Array, shape: Shape, name?: string): T;
  /** Frees a value the translation made for itself and no longer needs (eager backends). */
  release?(value: T): void;
}

/**
 * Runs `node` on `inputs` (one per position of its input list; null for an omitted optional
 * input) through `ops`, and returns one value per output position: null where it is not used.
 * Throws UnsupportedError for ops, dtypes and variants outside the runtime, ModelFormatError for
 * structurally malformed nodes and ShapeError for shapes that do not fit.
 */
export function applyOnnxNode<T extends Shaped>(
  ops: Ops<T>,
  ctx: OnnxContext<T>,
  node: OnnxNode,
  inputs: readonly (OnnxInput<T> | null | undefined)[],
): (T | null)[] {
  // Own keys only: an op type such as 'constructor' must not find Object.prototype's.
  const translate = Object.hasOwn(translations, node.opType) ? translations[node.opType] : undefined;
  if (!translate) {
    const where = node.name ? ` (node '${node.name}')` : '';
    throw new UnsupportedError(`ONNX op ${node.opType}${where} is not supported; supported ops: ${supportedOnnxOps().join(', ')}`);
  }
  const n = new NodeReader(ops, ctx, node, inputs);
  const returned = new Set<T>();
  try {
    const results = translate(n);
    results.forEach((value, i) => {
      if (value !== null && !n.used(i)) n.temp(value); // computed along the way, not wanted
    });
    return node.outputs.map((used, i) => {
      const value = used ? (results[i] ?? null) : null;
      if (used && value === null) throw new UnsupportedError(`${n.what}: output ${i} is not supported`);
      if (value !== null) returned.add(value);
      return value;
    });
  } finally {
    n.releaseTemporaries(returned);
  }
}

/** The ONNX op types applyOnnxNode translates. */
export function supportedOnnxOps(): string[] {
  return Object.keys(translations).sort();
}

// ---------------------------------------------------------------------------------------------
// Reading a node: arity, attributes with their types, inputs as values or constants

class NodeReader<T extends Shaped> {
  readonly what: string;
  readonly opset: number;
  /** Values made here (constants, reshaped views, partial results): released at the end. */
  private readonly temporaries: T[] = [];

  constructor(
    readonly ops: Ops<T>,
    private readonly ctx: OnnxContext<T>,
    private readonly node: OnnxNode,
    private readonly inputs: readonly (OnnxInput<T> | null | undefined)[],
  ) {
    this.what = node.name ? `${node.opType} (node '${node.name}')` : node.opType;
    this.opset = node.opset;
  }

  /** Checks the input count (required ones present, none beyond `max`) and the output count. */
  arity(minInputs: number, maxInputs: number, maxOutputs: number): void {
    if (this.inputs.length > maxInputs) {
      throw new ModelFormatError(`${this.what}: takes at most ${maxInputs} inputs, got ${this.inputs.length}`);
    }
    for (let i = 0; i < minInputs; i++) {
      if (!this.has(i)) throw new ModelFormatError(`${this.what}: input ${i} is required (got ${this.inputs.length} inputs)`);
    }
    const outputs = this.node.outputs.length;
    if (outputs < 1 || outputs > maxOutputs) {
      throw new ModelFormatError(`${this.what}: has ${outputs} outputs, expected 1 to ${maxOutputs}`);
    }
  }

  has(i: number): boolean {
    return this.inputs[i] != null;
  }

  inputCount(): number {
    return this.inputs.length;
  }

  used(output: number): boolean {
    return this.node.outputs[output] === true;
  }

  private describe(i: number): string {
    const name = this.inputs[i]?.name;
    return `input ${i}${name ? ` ('${name}')` : ''}`;
  }

  private input(i: number): OnnxInput<T> {
    const input = this.inputs[i];
    if (input == null) throw new ModelFormatError(`${this.what}: ${this.describe(i)} is required`);
    return input;
  }

  /** Input i as a float32 value; a constant becomes one (released at the end). */
  tensor(i: number): T {
    const input = this.input(i);
    if (input.kind === 'tensor') return input.value;
    return this.temp(this.ctx.constant(this.floatData(i), input.shape, input.name));
  }

  optionalTensor(i: number): T | null {
    return this.has(i) ? this.tensor(i) : null;
  }

  /** Input i as a constant; a run-time value is refused, naming `why` it must be known. */
  constant(i: number, why: string): OnnxConstant {
    const input = this.input(i);
    if (input.kind !== 'constant') {
      throw new UnsupportedError(`${this.what}: ${this.describe(i)} must be a constant (an initializer): ${why}`);
    }
    checkConstant(input, `${this.what}: ${this.describe(i)}`);
    return input;
  }

  /** The elements of a float32 constant. */
  floatData(i: number, why = ''): Float32Array {
    const c = this.constant(i, why);
    if (c.dtype !== 'float32' || !(c.data instanceof Float32Array)) {
      throw new UnsupportedError(
        `${this.what}: ${this.describe(i)} ${formatShape(c.shape)} has dtype ${c.dtype}; computation is float32`,
      );
    }
    return c.data;
  }

  /** The elements of an integer constant (int64 or int32) as numbers. */
  integers(i: number, why: string): number[] {
    const c = this.constant(i, why);
    if (!(c.data instanceof BigInt64Array) && !(c.data instanceof Int32Array)) {
      throw new ModelFormatError(`${this.what}: ${this.describe(i)} must be int64 or int32, got ${c.dtype}`);
    }
    return Array.from(c.data as ArrayLike<number | bigint>, (v) => {
      const value = Number(v);
      if (!Number.isSafeInteger(value)) throw new ShapeError(`${this.what}: ${this.describe(i)} holds ${String(v)}, beyond 2^53`);
      return value;
    });
  }

  // ---- attributes

  private attribute(name: string): OnnxAttribute | undefined {
    return this.node.attributes[name];
  }

  hasAttribute(name: string): boolean {
    return this.attribute(name) !== undefined;
  }

  int(name: string, fallback: number): number;
  int(name: string, fallback?: number): number | undefined;
  int(name: string, fallback?: number): number | undefined {
    const v = this.attribute(name);
    if (v === undefined) return fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) this.badAttribute(name, 'an INT', v);
    return v;
  }

  /** A FLOAT attribute, exactly as float32 holds it. */
  float(name: string, fallback: number): number;
  float(name: string, fallback?: number): number | undefined;
  float(name: string, fallback?: number): number | undefined {
    const v = this.attribute(name);
    if (v === undefined) return fallback;
    if (typeof v !== 'number') this.badAttribute(name, 'a FLOAT', v);
    return Math.fround(v);
  }

  string(name: string, fallback: string): string {
    const v = this.attribute(name);
    if (v === undefined) return fallback;
    if (typeof v !== 'string') this.badAttribute(name, 'a STRING', v);
    return v;
  }

  ints(name: string): number[] | undefined {
    const v = this.attribute(name);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((d) => typeof d === 'number' && Number.isSafeInteger(d))) this.badAttribute(name, 'INTS', v);
    return [...(v as number[])];
  }

  strings(name: string): string[] | undefined {
    const v = this.attribute(name);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((d) => typeof d === 'string')) this.badAttribute(name, 'STRINGS', v);
    return [...(v as string[])];
  }

  private badAttribute(name: string, expected: string, got: unknown): never {
    throw new ModelFormatError(`${this.what}: attribute ${name} must be ${expected}, got ${JSON.stringify(got)}`);
  }

  // ---- values made by the translation

  /** Registers a value the translation made and will not return; released at the end. */
  temp(value: T): T {
    this.temporaries.push(value);
    return value;
  }

  /** A float32 constant made here (weights in API layout, scalars), released at the end. */
  constantValue(data: Float32Array, shape: Shape): T {
    return this.temp(this.ctx.constant(data, shape));
  }

  /** The same elements under a new shape, as an intermediate. */
  reshapeTemp(x: T, shape: readonly number[]): T {
    return this.temp(this.ops.reshape(x, shape));
  }

  /** Releases what the translation made, except what it returns (and never the node's inputs). */
  releaseTemporaries(returned: ReadonlySet<T>): void {
    if (!this.ctx.release) return;
    const inputs = new Set(this.inputs.map((input) => (input?.kind === 'tensor' ? input.value : null)));
    for (const value of new Set(this.temporaries)) {
      if (!returned.has(value) && !inputs.has(value)) this.ctx.release(value);
    }
  }
}

function checkConstant(c: OnnxConstant, what: string): void {
  if (!Array.isArray(c.shape) || !c.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ModelFormatError(`${what}: shape ${JSON.stringify(c.shape)} must hold non-negative integers`);
  }
  if (c.data.length !== sizeOf(c.shape)) {
    throw new ModelFormatError(`${what}: shape ${formatShape(c.shape)} needs ${sizeOf(c.shape)} elements, data has ${c.data.length}`);
  }
}

// ---------------------------------------------------------------------------------------------
// The translations, by ONNX op type

type Translation = <T extends Shaped>(n: NodeReader<T>) => (T | null)[];

const translations: Readonly<Record<string, Translation>> = {
  Relu: (n) => unary(n, (x) => n.ops.relu(x)),
  Sigmoid: (n) => unary(n, (x) => n.ops.sigmoid(x)),
  Tanh: (n) => unary(n, (x) => n.ops.tanh(x)),
  LeakyRelu: (n) => unary(n, (x) => n.ops.leakyRelu(x, { negativeSlope: n.float('alpha', 0.01) })),
  Clip: translateClip,
  Softmax: (n) => translateSoftmax(n, false),
  LogSoftmax: (n) => translateSoftmax(n, true),
  Add: (n) => translateBinary(n, (a, b) => n.ops.add(a, b)),
  Mul: (n) => translateBinary(n, (a, b) => n.ops.mul(a, b)),
  MatMul: translateMatMul,
  Gemm: translateGemm,
  Conv: translateConv,
  MaxPool: translateMaxPool,
  AveragePool: translateAveragePool,
  // Global pooling takes any number of spatial dims, as ONNX does.
  GlobalAveragePool: (n) => unary(n, (x) => n.ops.globalAvgPool2d(x)),
  GlobalMaxPool: (n) => unary(n, (x) => n.ops.globalMaxPool2d(x)),
  BatchNormalization: translateBatchNorm,
  LRN: translateLrn,
  Concat: translateConcat,
  Flatten: translateFlatten,
  Reshape: translateReshape,
  Transpose: translateTranspose,
  Identity: (n) => unary(n, (x) => n.ops.reshape(x, x.shape)),
  Dropout: translateDropout,
  LSTM: (n) => translateRecurrent(n, 'lstm'),
  GRU: (n) => translateRecurrent(n, 'gru'),
  RNN: (n) => translateRecurrent(n, 'rnn'),
};

function unary<T extends Shaped>(n: NodeReader<T>, f: (x: T) => T): T[] {
  n.arity(1, 1, 1);
  return [f(n.tensor(0))];
}

// ---- elementwise

function translateClip<T extends Shaped>(n: NodeReader<T>): T[] {
  if (n.opset < 11) {
    // Clip-1 and Clip-6: the bounds are attributes.
    n.arity(1, 1, 1);
    return [n.ops.clip(n.tensor(0), { min: n.float('min'), max: n.float('max') })];
  }
  n.arity(1, 3, 1);
  const x = n.tensor(0);
  const bound = (i: number): number | undefined => {
    if (!n.has(i)) return undefined;
    const data = n.floatData(i, 'the bounds are options of clip');
    if (data.length !== 1) throw new ShapeError(`${n.what}: input ${i} must be a scalar, got ${data.length} elements`);
    return data[0];
  };
  return [n.ops.clip(x, { min: bound(1), max: bound(2) })];
}

function translateSoftmax<T extends Shaped>(n: NodeReader<T>, log: boolean): T[] {
  n.arity(1, 1, 1);
  const x = n.tensor(0);
  const run = (v: T, dim: number): T => (log ? n.ops.logSoftmax(v, { dim }) : n.ops.softmax(v, { dim }));
  if (n.opset >= 13) return [run(x, n.int('axis', -1))];
  // Before opset 13 the input is seen as 2-D [prod(d < axis), prod(d ≥ axis)] and normalised
  // over its second dim; with axis = rank − 1 that is plain softmax over the last dim.
  const rank = x.shape.length;
  const axis = normalizeAxis(n.int('axis', 1), rank, n.what);
  if (axis === rank - 1) return [run(x, -1)];
  const flat = n.reshapeTemp(x, [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))]);
  return [n.ops.reshape(n.temp(run(flat, 1)), x.shape)];
}

function translateBinary<T extends Shaped>(n: NodeReader<T>, f: (a: T, b: T) => T): T[] {
  n.arity(2, 2, 1);
  const a = n.tensor(0);
  let b = n.tensor(1);
  // Before opset 7, broadcasting was opt-in (broadcast = 1) and B could be aligned at `axis`
  // of A instead of at its end: trailing 1s give the same alignment under NumPy's rule.
  if (n.opset < 7 && n.int('broadcast', 0) !== 0 && n.hasAttribute('axis')) {
    const axis = normalizeAxis(n.int('axis', 0), a.shape.length, n.what);
    const trailing = a.shape.length - axis - b.shape.length;
    if (trailing < 0) throw new ShapeError(`${n.what}: B ${formatShape(b.shape)} does not fit A ${formatShape(a.shape)} at axis ${axis}`);
    b = n.reshapeTemp(b, [...b.shape, ...new Array<number>(trailing).fill(1)]);
  }
  return [f(a, b)];
}

// ---- matrix products

function translateMatMul<T extends Shaped>(n: NodeReader<T>): T[] {
  n.arity(2, 2, 1);
  // The API's matmul already follows NumPy, as ONNX does: batching, broadcasting, 1-D sides.
  return [n.ops.matmul(n.tensor(0), n.tensor(1))];
}

function translateGemm<T extends Shaped>(n: NodeReader<T>): T[] {
  n.arity(2, 3, 1);
  const alpha = n.float('alpha', 1);
  const beta = n.float('beta', 1);
  const transA = n.int('transA', 0) !== 0;
  const transB = n.int('transB', 0) !== 0;
  const a = n.tensor(0);
  const b = n.tensor(1);
  const c = n.optionalTensor(2);
  for (const [name, t] of [['A', a], ['B', b]] as const) {
    if (t.shape.length !== 2) throw new ShapeError(`${n.what}: ${name} must be 2-D, got ${formatShape(t.shape)}`);
  }
  // The dense layer as PyTorch exports it (x · wᵀ + b) is exactly linear.
  if (!transA && transB && alpha === 1 && beta === 1 && (!c || (c.shape.length === 1 && c.shape[0] === b.shape[0]))) {
    return [n.ops.linear(a, b, c)];
  }
  const aa = transA ? n.temp(n.ops.permute(a, [1, 0])) : a;
  const bb = transB ? n.temp(n.ops.permute(b, [1, 0])) : b;
  let y = n.ops.matmul(aa, bb);
  if (alpha !== 1) y = n.ops.mul(n.temp(y), n.constantValue(Float32Array.of(alpha), []));
  if (c && beta !== 0) {
    const scaled = beta === 1 ? c : n.temp(n.ops.mul(c, n.constantValue(Float32Array.of(beta), [])));
    y = n.ops.add(n.temp(y), scaled);
  }
  return [y];
}

// ---- convolution and pooling

/** Conv and pooling run 1-D inputs [N, C, L] as 2-D [N, C, 1, L]; 3-D (5-D tensors) is refused. */
function spatialDims<T extends Shaped>(n: NodeReader<T>, x: Shape): 1 | 2 {
  if (x.length === 3) return 1;
  if (x.length === 4) return 2;
  if (x.length === 5) {
    throw new UnsupportedError(`${n.what}: 3-D input ${formatShape(x)} is not supported (1-D [N, C, L] and 2-D [N, C, H, W] are)`);
  }
  throw new ShapeError(`${n.what}: input must be [N, C, L] or [N, C, H, W], got ${formatShape(x)}`);
}

/** [N, C, L] → [N, C, 1, L]; 4-D values pass through. */
function as2d<T extends Shaped>(n: NodeReader<T>, x: T): T {
  return x.shape.length === 3 ? n.reshapeTemp(x, [x.shape[0], x.shape[1], 1, x.shape[2]]) : x;
}

/** The output of a 2-D op back to the input's rank: [N, C, 1, L] → [N, C, L]. */
function from2d<T extends Shaped>(n: NodeReader<T>, y: T, dims: 1 | 2): T {
  return dims === 1 ? n.ops.reshape(n.temp(y), [y.shape[0], y.shape[1], y.shape[3]]) : y;
}

interface Window {
  kernel: Pair;
  stride: Pair;
  dilation: Pair;
  pads: Pads;
}

/**
 * kernel_shape, strides, dilations, pads and auto_pad as 2-D window options. ONNX orders pads
 * [x1_begin, x2_begin, x1_end, x2_end], which for 2-D is [top, left, bottom, right] as ours.
 */
function windowOf<T extends Shaped>(n: NodeReader<T>, x: Shape, kernel: readonly number[]): Window {
  const dims = x.length - 2;
  const perAxis = (name: string, fallback: number, count = dims): number[] => {
    const v = n.ints(name) ?? new Array<number>(count).fill(fallback);
    if (v.length !== count) throw new ModelFormatError(`${n.what}: attribute ${name} must have ${count} entries, got [${v.join(', ')}]`);
    return v;
  };
  if (kernel.length !== dims) {
    throw new ModelFormatError(`${n.what}: kernel_shape [${kernel.join(', ')}] must have ${dims} entries for input ${formatShape(x)}`);
  }
  const strides = perAxis('strides', 1);
  const dilations = perAxis('dilations', 1);
  const lift = (v: readonly number[]): Pair => (dims === 1 ? [1, v[0]] : [v[0], v[1]]);
  const window = { kernel: lift(kernel), stride: lift(strides), dilation: lift(dilations) };
  const autoPad = n.string('auto_pad', 'NOTSET');
  if (autoPad !== 'NOTSET' && n.hasAttribute('pads')) {
    throw new ModelFormatError(`${n.what}: pads cannot be given with auto_pad ${autoPad}`);
  }
  let pads: Pads;
  switch (autoPad) {
    case 'NOTSET': {
      const p = perAxis('pads', 0, 2 * dims);
      if (p.some((v) => v < 0)) throw new ShapeError(`${n.what}: pads [${p.join(', ')}] must not be negative`);
      pads = dims === 1 ? [0, p[0], 0, p[1]] : [p[0], p[1], p[2], p[3]];
      break;
    }
    case 'VALID':
      pads = [0, 0, 0, 0];
      break;
    case 'SAME_UPPER':
    case 'SAME_LOWER': {
      const input: Pair = dims === 1 ? [1, x[2]] : [x[2], x[3]];
      pads = samePads(input, window.kernel, window.stride, window.dilation, autoPad === 'SAME_UPPER' ? 'upper' : 'lower');
      break;
    }
    default:
      throw new ModelFormatError(`${n.what}: auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got '${autoPad}'`);
  }
  return { ...window, pads };
}

function translateConv<T extends Shaped>(n: NodeReader<T>): T[] {
  n.arity(2, 3, 1);
  const x = n.tensor(0);
  const w = n.tensor(1);
  const b = n.optionalTensor(2);
  const dims = spatialDims(n, x.shape);
  if (w.shape.length !== x.shape.length) {
    throw new ShapeError(`${n.what}: W ${formatShape(w.shape)} must have the rank of X ${formatShape(x.shape)}`);
  }
  const kernel = n.ints('kernel_shape') ?? w.shape.slice(2);
  if (kernel.length !== dims || kernel.some((k, i) => k !== w.shape[2 + i])) {
    throw new ShapeError(`${n.what}: kernel_shape [${kernel.join(', ')}] does not match W ${formatShape(w.shape)}`);
  }
  const { stride, pads, dilation } = windowOf(n, x.shape, kernel);
  const y = n.ops.conv2d(as2d(n, x), as2d(n, w), b, { stride, padding: pads, dilation, groups: n.int('group', 1) });
  return [from2d(n, y, dims)];
}

function poolKernel<T extends Shaped>(n: NodeReader<T>): number[] {
  const kernel = n.ints('kernel_shape');
  if (!kernel) throw new ModelFormatError(`${n.what}: attribute kernel_shape is required`);
  return kernel;
}

function translateMaxPool<T extends Shaped>(n: NodeReader<T>): T[] {
  n.arity(1, 1, 2);
  if (n.used(1)) throw new UnsupportedError(`${n.what}: the Indices output is not supported (only the pooled values)`);
  const x = n.tensor(0);
  const dims = spatialDims(n, x.shape);
  const { kernel, stride, pads, dilation } = windowOf(n, x.shape, poolKernel(n));
  const ceilMode = n.int('ceil_mode', 0) !== 0;
  const y = n.ops.maxPool2d(as2d(n, x), { kernelSize: kernel, stride, padding: pads, dilation, ceilMode });
  return [from2d(n, y, dims)];
}

function translateAveragePool<T extends Shaped>(n: NodeReader<T>): T[] {
  n.arity(1, 1, 1);
  const x = n.tensor(0);
  const dims = spatialDims(n, x.shape);
  const { kernel, stride, pads, dilation } = windowOf(n, x.shape, poolKernel(n));
  const ceilMode = n.int('ceil_mode', 0) !== 0;
  // ONNX averages over the input elements only unless count_include_pad = 1 (PyTorch's default
  // is the opposite).
  const countIncludePad = n.int('count_include_pad', 0) !== 0;
  const y = n.ops.avgPool2d(as2d(n, x), { kernelSize: kernel, stride, padding: pads, dilation, ceilMode, countIncludePad });
  return [from2d(n, y, dims)];
}

// ---- normalisation

function translateBatchNorm<T extends Shaped>(n: NodeReader<T>): T[] {
  n.arity(5, 5, 5);
  if (n.int('training_mode', 0) !== 0) {
    throw new UnsupportedError(
      `${n.what}: training_mode = 1 (batch statistics) is not supported; inference uses the running mean and variance`,
    );
  }
  if (n.opset < 9 && n.int('spatial', 1) === 0) {
    throw new UnsupportedError(`${n.what}: spatial = 0 (per-activation statistics) is not supported`);
  }
  for (let i = 1; i < 5; i++) {
    if (n.used(i)) throw new UnsupportedError(`${n.what}: output ${i} (a training statistic) is not supported; inference has one output`);
  }
  // momentum and the old is_test only matter for training; inference output ignores them.
  const x = n.tensor(0);
  return [
    n.ops.batchNorm2d(x, {
      weight: n.tensor(1),
      bias: n.tensor(2),
      runningMean: n.tensor(3),
      runningVar: n.tensor(4),
      eps: n.float('epsilon', 1e-5),
    }),
  ];
}

function translateLrn<T extends Shaped>(n: NodeReader<T>): T[] {
  n.arity(1, 1, 1);
  const size = n.int('size');
  if (size === undefined) throw new ModelFormatError(`${n.what}: attribute size is required`);
  // For even sizes ONNX's window reaches one channel further ahead than PyTorch's (the API's).
  if (size % 2 === 0) throw new UnsupportedError(`${n.what}: even size ${size} is not supported (ONNX and PyTorch windows differ)`);
  const opts = { size, alpha: n.float('alpha', 1e-4), beta: n.float('beta', 0.75), k: n.float('bias', 1) };
  return [n.ops.localResponseNorm(n.tensor(0), opts)];
}

// ---- shape and layout

function translateConcat<T extends Shaped>(n: NodeReader<T>): T[] {
  n.arity(1, Infinity, 1);
  const axis = n.opset < 4 ? n.int('axis', 1) : n.int('axis');
  if (axis === undefined) throw new ModelFormatError(`${n.what}: attribute axis is required`);
  const xs: T[] = [];
  for (let i = 0; i < n.inputCount(); i++) xs.push(n.tensor(i));
  return [n.ops.concat(xs, { dim: axis })];
}

function translateFlatten<T extends Shaped>(n: NodeReader<T>): T[] {
  n.arity(1, 1, 1);
  const x = n.tensor(0);
  const rank = x.shape.length;
  // ONNX's axis may equal the rank, and the output is always 2-D.
  const given = n.int('axis', 1);
  const axis = given < 0 ? given + rank : given;
  if (axis < 0 || axis > rank) throw new ShapeError(`${n.what}: axis ${given} is out of range for input ${formatShape(x.shape)}`);
  return [n.ops.reshape(x, [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))])];
}

function translateReshape<T extends Shaped>(n: NodeReader<T>): T[] {
  let target: number[];
  if (n.opset < 5) {
    n.arity(1, 1, 1);
    const shape = n.ints('shape');
    if (!shape) throw new ModelFormatError(`${n.what}: attribute shape is required`);
    target = shape;
  } else {
    n.arity(2, 2, 1);
    target = n.integers(1, 'the target shape decides the output shape');
  }
  const x = n.tensor(0);
  // Unless allowzero = 1, a 0 copies the input's dim at that position (the API's 0 is literal).
  if (n.int('allowzero', 0) === 0) {
    target = target.map((d, i) => {
      if (d !== 0) return d;
      if (i >= x.shape.length) {
        throw new ShapeError(`${n.what}: shape [${target.join(', ')}] copies dim ${i}, but the input is ${formatShape(x.shape)}`);
      }
      return x.shape[i];
    });
  }
  return [n.ops.reshape(x, target)];
}

function translateTranspose<T extends Shaped>(n: NodeReader<T>): T[] {
  n.arity(1, 1, 1);
  const x = n.tensor(0);
  const perm = n.ints('perm') ?? x.shape.map((_, i) => x.shape.length - 1 - i);
  return [n.ops.permute(x, perm)];
}

function translateDropout<T extends Shaped>(n: NodeReader<T>): T[] {
  n.arity(1, 3, 2);
  if (n.used(1)) {
    throw new UnsupportedError(`${n.what}: the mask output is not supported (training-mode masks are outside the float32 runtime)`);
  }
  if (n.has(2)) {
    const c = n.constant(2, 'training mode must be known');
    if (c.data.length !== 1) throw new ShapeError(`${n.what}: training_mode must be a scalar, got ${formatShape(c.shape)}`);
    if (Number(c.data[0]) !== 0) throw new UnsupportedError(`${n.what}: training_mode = true is not supported (inference only)`);
  }
  // Inference: output = input, whatever the ratio.
  return [n.ops.dropout(n.tensor(0))];
}

// ---- recurrent

type RecurrentMode = 'lstm' | 'gru' | 'rnn';

/**
 * Per mode: gate count; for each API gate (LSTM i, f, g, o; GRU r, z, n) the ONNX gate block
 * it comes from (ONNX: LSTM i, o, f, c; GRU z, r, h); the default activations.
 */
const RECURRENT = {
  lstm: { gates: 4, fromOnnx: [0, 2, 3, 1], activations: ['sigmoid', 'tanh', 'tanh'], maxInputs: 8, maxOutputs: 3 },
  gru: { gates: 3, fromOnnx: [1, 0, 2], activations: ['sigmoid', 'tanh'], maxInputs: 6, maxOutputs: 2 },
  rnn: { gates: 1, fromOnnx: [0], activations: ['tanh'], maxInputs: 6, maxOutputs: 2 },
} as const;

/** Peepholes: the API's i, f, o from ONNX's P rows i, o, f. */
const PEEPHOLES_FROM_ONNX = [0, 2, 1];

/** The blocks of `size` values at `offset` in `data`, in the order `from` (block indices). */
function reorderBlocks(data: Float32Array, offset: number, size: number, from: readonly number[]): Float32Array {
  const out = new Float32Array(from.length * size);
  from.forEach((src, dst) => out.set(data.subarray(offset + src * size, offset + (src + 1) * size), dst * size));
  return out;
}

function translateRecurrent<T extends Shaped>(n: NodeReader<T>, mode: RecurrentMode): (T | null)[] {
  const spec = RECURRENT[mode];
  n.arity(3, spec.maxInputs, spec.maxOutputs);
  const direction = n.string('direction', 'forward');
  if (direction === 'reverse') {
    throw new UnsupportedError(`${n.what}: direction 'reverse' is not supported (forward and bidirectional are)`);
  }
  if (direction !== 'forward' && direction !== 'bidirectional') {
    throw new ModelFormatError(`${n.what}: direction must be forward, reverse or bidirectional, got '${direction}'`);
  }
  const D = direction === 'bidirectional' ? 2 : 1;
  const layout = n.int('layout', 0);
  if (layout !== 0 && layout !== 1) throw new ModelFormatError(`${n.what}: layout must be 0 or 1, got ${layout}`);
  const batchFirst = layout === 1;

  // Activations: the defaults are what the API computes (RNN may also use Relu).
  let nonlinearity: 'tanh' | 'relu' = 'tanh';
  const activations = n.strings('activations');
  if (activations) {
    const wanted = activations.map((a) => a.toLowerCase());
    const perDirection = spec.activations.length;
    const isDefault = wanted.length === D * perDirection && wanted.every((a, i) => a === spec.activations[i % perDirection]);
    const isRelu = mode === 'rnn' && wanted.length === D && wanted.every((a) => a === 'relu');
    if (isRelu) nonlinearity = 'relu';
    else if (!isDefault) {
      const allowed = mode === 'rnn' ? 'the defaults or Relu' : 'the defaults';
      throw new UnsupportedError(`${n.what}: activations [${activations.join(', ')}] are not supported (only ${allowed})`);
    }
  }
  if (mode === 'lstm' && n.int('input_forget', 0) !== 0) throw new UnsupportedError(`${n.what}: input_forget = 1 is not supported`);

  const x = n.tensor(0);
  if (x.shape.length !== 3) throw new ShapeError(`${n.what}: X must be 3-D, got ${formatShape(x.shape)}`);
  const why = 'its gates are reordered into the API layout';
  const W = n.constant(1, why);
  const R = n.constant(2, why);
  const G = spec.gates;
  const H = n.int('hidden_size') ?? (R.shape.length === 3 ? R.shape[2] : 0);
  const I = x.shape[2];
  const expect = (what: string, shape: Shape, want: number[]) => {
    if (shape.length !== want.length || shape.some((d, i) => d !== want[i])) {
      const context = `direction ${direction}, hidden_size ${H}, X ${formatShape(x.shape)}`;
      throw new ShapeError(`${n.what}: ${what} must be ${formatShape(want)} (${context}), got ${formatShape(shape)}`);
    }
  };
  expect('W', W.shape, [D, G * H, I]);
  expect('R', R.shape, [D, G * H, H]);
  const wData = n.floatData(1);
  const rData = n.floatData(2);
  const bData = n.has(3) ? n.floatData(3, why) : null;
  if (n.has(3)) expect('B', n.constant(3, why).shape, [D, 2 * G * H]);
  const pData = mode === 'lstm' && n.has(7) ? n.floatData(7, why) : null;
  if (pData) expect('P', n.constant(7, why).shape, [D, 3 * H]);

  const params: Record<string, T> = {};
  for (let d = 0; d < D; d++) {
    const suffix = d === 1 ? '_l0_reverse' : '_l0';
    const gates = (data: Float32Array, offset: number, width: number, shape: number[]) =>
      n.constantValue(reorderBlocks(data, offset, H * width, spec.fromOnnx), shape);
    params[`weight_ih${suffix}`] = gates(wData, d * G * H * I, I, [G * H, I]);
    params[`weight_hh${suffix}`] = gates(rData, d * G * H * H, H, [G * H, H]);
    if (bData) {
      // ONNX's B [D, 2·G·H] is W_b then R_b.
      params[`bias_ih${suffix}`] = gates(bData, d * 2 * G * H, 1, [G * H]);
      params[`bias_hh${suffix}`] = gates(bData, d * 2 * G * H + G * H, 1, [G * H]);
    }
    if (pData) params[`weight_ph${suffix}`] = n.constantValue(reorderBlocks(pData, d * 3 * H, H, PEEPHOLES_FROM_ONNX), [3, H]);
  }

  const sequenceLengths = n.has(4) ? n.integers(4, 'sequence lengths are options of the op') : null;
  // Initial states: ONNX's [D, N, H], or [N, D, H] with layout 1; the API's [D, N, H].
  const state = (i: number): T | null => {
    const s = n.optionalTensor(i);
    return s && batchFirst ? n.temp(n.ops.permute(s, [1, 0, 2])) : s;
  };
  const common = {
    hiddenSize: H,
    bidirectional: D === 2,
    batchFirst,
    h0: state(5),
    clip: n.float('clip') ?? null,
    sequenceLengths,
  };
  let result: { output: T; h: T; c?: T };
  if (mode === 'lstm') result = n.ops.lstm(x, params, { ...common, c0: state(6) });
  else if (mode === 'gru') result = n.ops.gru(x, params, { ...common, linearBeforeReset: n.int('linear_before_reset', 0) !== 0 });
  else result = n.ops.rnn(x, params, { ...common, nonlinearity });

  // Y: the API's [T, N, D·H] → ONNX's [T, D, N, H]; with layout 1, [N, T, D·H] → [N, T, D, H].
  let y: T | null = null;
  n.temp(result.output);
  if (n.used(0)) {
    const [a, b] = result.output.shape;
    const split = n.ops.reshape(result.output, [a, b, D, H]);
    y = batchFirst ? split : n.ops.permute(n.temp(split), [0, 2, 1, 3]);
  }
  // Y_h, Y_c: [D, N, H] as the API's, or [N, D, H] with layout 1.
  const finalState = (s: T | undefined): T | null => (s && batchFirst ? n.ops.permute(n.temp(s), [1, 0, 2]) : (s ?? null));
  return [y, finalState(result.h), finalState(result.c)];
}
