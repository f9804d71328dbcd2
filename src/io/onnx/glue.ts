// The glue PyTorch's exporter writes around the real ops — Constant, Shape, Size, Gather,
// Unsqueeze, Squeeze, Concat, Slice, Expand, ConstantOfShape, Cast, Identity, Reshape, Flatten
// and zero Pad. The importer traces with concrete input shapes, so shape arithmetic is always
// known: these nodes are folded into constants when their inputs are constants, and run as
// ops (reshape, concat, a broadcasting multiply) when one is a run-time tensor.
import { ModelFormatError, ShapeError, UnsupportedError } from '../../errors.js';
import type { Ops } from '../../ops/index.js';
import { broadcastShapes, formatShape, normalizeAxis, sizeOf, stridesOf, type Shape } from '../../shape.js';
import type { OnnxAttribute, OnnxConstant, OnnxData, OnnxInput } from './nodeOps.js';
import { dtypeName, TYPED_ARRAYS } from './tensorProto.js';

/** Largest constant folding may make (elements): a file cannot ask for unbounded memory. */
const MAX_FOLDED_ELEMENTS = 1 << 24;

export interface GlueNode {
  readonly opType: string;
  readonly opset: number;
  readonly attributes: Readonly<Record<string, OnnxAttribute>>;
  /** TENSOR attributes (Constant's value, ConstantOfShape's value). */
  readonly tensors: Readonly<Record<string, OnnxConstant>>;
  readonly what: string;
}

type Shaped = { readonly shape: Shape };

export interface GlueContext<T extends Shaped> {
  readonly ops: Ops<T>;
  constant(data: Float32Array, shape: Shape): T;
}

/** The op types handled here rather than by nodeOps' translations (Concat, Reshape, Flatten, Identity fold here only when constant). */
export const GLUE_OPS = ['Constant', 'Shape', 'Size', 'Gather', 'Unsqueeze', 'Squeeze', 'Slice', 'Expand', 'ConstantOfShape', 'Cast', 'Pad'];
/** Ops of nodeOps that are folded here when every input is a constant. */
const FOLDABLE_TRANSLATIONS = ['Concat', 'Reshape', 'Flatten', 'Identity'];

/** Whether `node` is glue to run here for these inputs (else nodeOps translates it). */
export function isGlue(opType: string, inputs: readonly (OnnxInput<unknown> | null)[]): boolean {
  if (GLUE_OPS.includes(opType)) return true;
  return FOLDABLE_TRANSLATIONS.includes(opType) && inputs.length > 0 && inputs.every((i) => i === null || i.kind === 'constant');
}

/** Runs one glue node: constants in, constants out where possible; run-time tensors through ops. */
export function applyGlue<T extends Shaped>(ctx: GlueContext<T>, node: GlueNode, inputs: readonly (OnnxInput<T> | null)[]): OnnxInput<T> {
  return new Glue(ctx, node, inputs).run();
}

class Glue<T extends Shaped> {
  constructor(
    private readonly ctx: GlueContext<T>,
    private readonly node: GlueNode,
    private readonly inputs: readonly (OnnxInput<T> | null)[],
  ) {}

  get what(): string {
    return this.node.what;
  }

  run(): OnnxInput<T> {
    switch (this.node.opType) {
      case 'Constant':
        return this.constantNode();
      case 'Shape':
        return this.shapeOf();
      case 'Size':
        return int64([], [sizeOf(this.input(0).shape)]);
      case 'Gather':
        return this.gather();
      case 'Unsqueeze':
        return this.unsqueeze();
      case 'Squeeze':
        return this.squeeze();
      case 'Concat':
        return this.concat();
      case 'Slice':
        return this.slice();
      case 'Expand':
        return this.expand();
      case 'ConstantOfShape':
        return this.constantOfShape();
      case 'Cast':
        return this.cast();
      case 'Identity':
        return this.input(0);
      case 'Reshape':
        return this.reshape();
      case 'Flatten':
        return this.flatten();
      case 'Pad':
        return this.pad();
      default:
        throw new UnsupportedError(`${this.what}: not a glue op`);
    }
  }

  // ---- inputs and attributes

  private input(i: number): OnnxInput<T> & { shape: Shape } {
    const v = this.inputs[i];
    if (v == null) throw new ModelFormatError(`${this.what}: input ${i} is required`);
    return v.kind === 'tensor' ? { ...v, shape: v.value.shape } : v;
  }

  private has(i: number): boolean {
    return this.inputs[i] != null;
  }

  private constantInput(i: number, why: string): OnnxConstant {
    const v = this.input(i);
    if (v.kind !== 'constant') throw new UnsupportedError(`${this.what}: input ${i} must be known when the model is traced (${why})`);
    return v;
  }

  /** An integer input (int64 or int32) as numbers. */
  private integers(i: number, why: string): number[] {
    return integersOf(this.constantInput(i, why), `${this.what}: input ${i}`);
  }

  private intAttr(name: string, fallback: number): number {
    const v = this.node.attributes[name] ?? fallback;
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new ModelFormatError(`${this.what}: attribute ${name} must be an INT, got ${JSON.stringify(v)}`);
    return v;
  }

  private intsAttr(name: string): number[] | undefined {
    const v = this.node.attributes[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || !v.every((d) => typeof d === 'number' && Number.isSafeInteger(d))) {
      throw new ModelFormatError(`${this.what}: attribute ${name} must be INTS, got ${JSON.stringify(v)}`);
    }
    return v as number[];
  }

  /** Axes from the attribute (before `inputOpset`) or the optional input 1. */
  private axes(inputOpset: number): number[] | undefined {
    if (this.node.opset < inputOpset) return this.intsAttr('axes');
    return this.has(1) ? this.integers(1, 'the axes decide the output shape') : undefined;
  }

  /** A run-time tensor under a new shape, or a constant with the same elements. */
  private withShape(x: OnnxInput<T>, shape: Shape): OnnxInput<T> {
    if (sizeOf(shape) !== sizeOf(x.kind === 'tensor' ? x.value.shape : x.shape)) {
      throw new ShapeError(`${this.what}: cannot view ${formatShape(x.kind === 'tensor' ? x.value.shape : x.shape)} as ${formatShape(shape)}`);
    }
    if (x.kind === 'tensor') return { kind: 'tensor', value: this.ctx.ops.reshape(x.value, shape) };
    return { ...x, shape: [...shape], name: undefined };
  }

  /** Refuses an output beyond MAX_FOLDED_ELEMENTS before it is built. */
  private checkSize(shape: Shape): void {
    if (sizeOf(shape) > MAX_FOLDED_ELEMENTS) throw new UnsupportedError(`${this.what}: makes ${formatShape(shape)}, more than ${MAX_FOLDED_ELEMENTS} elements`);
  }

  // ---- the ops

  private constantNode(): OnnxInput<T> {
    const { attributes, tensors } = this.node;
    if (tensors.value) return { ...tensors.value, name: undefined };
    const v = (name: string) => attributes[name];
    if (typeof v('value_float') === 'number') return float32([], [v('value_float') as number]);
    if (Array.isArray(v('value_floats'))) return float32([(v('value_floats') as number[]).length], v('value_floats') as number[]);
    if (typeof v('value_int') === 'number') return int64([], [v('value_int') as number]);
    if (Array.isArray(v('value_ints'))) return int64([(v('value_ints') as number[]).length], v('value_ints') as number[]);
    const given = Object.keys(attributes).join(', ') || 'none';
    throw new UnsupportedError(`${this.what}: only tensor, float and int values are supported (attributes: ${given})`);
  }

  private shapeOf(): OnnxInput<T> {
    const shape = this.input(0).shape;
    const rank = shape.length;
    // Shape-15's start and end select a range of dims, clamped like Slice's.
    const clampIndex = (v: number) => Math.min(rank, Math.max(0, v < 0 ? v + rank : v));
    const start = clampIndex(this.intAttr('start', 0));
    const end = clampIndex(this.intAttr('end', rank));
    const dims = shape.slice(start, Math.max(start, end));
    return int64([dims.length], dims);
  }

  private gather(): OnnxInput<T> {
    const data = this.constantInput(0, 'Gather of a run-time tensor is not supported; only of shapes and constants');
    const indices = this.constantInput(1, 'Gather indices');
    const rank = data.shape.length;
    const axis = normalizeAxis(this.intAttr('axis', 0), rank, this.what);
    const dim = data.shape[axis];
    const idx = integersOf(indices, `${this.what}: indices`).map((i) => {
      if (i < -dim || i >= dim) throw new ShapeError(`${this.what}: index ${i} is out of range for axis ${axis} of ${formatShape(data.shape)}`);
      return i < 0 ? i + dim : i;
    });
    const outer = sizeOf(data.shape.slice(0, axis));
    const inner = sizeOf(data.shape.slice(axis + 1));
    const shape = [...data.shape.slice(0, axis), ...indices.shape, ...data.shape.slice(axis + 1)];
    this.checkSize(shape);
    const picks: number[] = [];
    for (let o = 0; o < outer; o++) for (const i of idx) for (let k = 0; k < inner; k++) picks.push((o * dim + i) * inner + k);
    return { kind: 'constant', dtype: data.dtype, shape, data: take(data.data, picks) };
  }

  private unsqueeze(): OnnxInput<T> {
    const x = this.input(0);
    const axes = this.axes(13);
    if (!axes) throw new ModelFormatError(`${this.what}: axes are required`);
    const rank = x.shape.length + axes.length;
    const at = new Set(axes.map((a) => normalizeAxis(a, rank, this.what)));
    if (at.size !== axes.length) throw new ShapeError(`${this.what}: axes [${axes.join(', ')}] repeat an axis`);
    const shape: number[] = [];
    let k = 0;
    for (let d = 0; d < rank; d++) shape.push(at.has(d) ? 1 : x.shape[k++]);
    return this.withShape(x, shape);
  }

  private squeeze(): OnnxInput<T> {
    const x = this.input(0);
    const axes = this.axes(13);
    const rank = x.shape.length;
    const at = axes ? new Set(axes.map((a) => normalizeAxis(a, rank, this.what))) : new Set(x.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
    for (const a of at) if (x.shape[a] !== 1) throw new ShapeError(`${this.what}: cannot squeeze axis ${a} of ${formatShape(x.shape)} (not 1)`);
    return this.withShape(x, x.shape.filter((_, i) => !at.has(i)));
  }

  private concat(): OnnxInput<T> {
    const parts = this.inputs.map((_, i) => this.constantInput(i, 'folding'));
    if (parts.length === 0) throw new ModelFormatError(`${this.what}: needs at least one input`);
    const first = parts[0];
    const rank = first.shape.length;
    const axis = normalizeAxis(this.intAttr('axis', 0), rank, this.what);
    for (const p of parts) {
      if (p.dtype !== first.dtype) throw new ShapeError(`${this.what}: inputs mix ${first.dtype} and ${p.dtype}`);
      if (p.shape.length !== rank || p.shape.some((d, i) => i !== axis && d !== first.shape[i])) {
        throw new ShapeError(`${this.what}: cannot concatenate ${parts.map((q) => formatShape(q.shape)).join(' and ')} along axis ${axis}`);
      }
    }
    const outer = sizeOf(first.shape.slice(0, axis));
    const inner = sizeOf(first.shape.slice(axis + 1));
    const shape = [...first.shape];
    shape[axis] = parts.reduce((n, p) => n + p.shape[axis], 0);
    this.checkSize(shape);
    const out = newLike(first.data, sizeOf(shape));
    let at = 0;
    for (let o = 0; o < outer; o++) {
      for (const p of parts) {
        const n = p.shape[axis] * inner;
        copyInto(out, at, p.data, o * n, n);
        at += n;
      }
    }
    return { kind: 'constant', dtype: first.dtype, shape, data: out };
  }

  private slice(): OnnxInput<T> {
    const data = this.constantInput(0, 'Slice of a run-time tensor is not supported; only of shapes and constants');
    const rank = data.shape.length;
    let starts: number[], ends: number[], axes: number[] | undefined, steps: number[] | undefined;
    if (this.node.opset < 10) {
      starts = this.intsAttr('starts') ?? [];
      ends = this.intsAttr('ends') ?? [];
      axes = this.intsAttr('axes');
    } else {
      const why = 'slice bounds decide the output shape';
      starts = this.integers(1, why);
      ends = this.integers(2, why);
      axes = this.has(3) ? this.integers(3, why) : undefined;
      steps = this.has(4) ? this.integers(4, why) : undefined;
    }
    axes ??= starts.map((_, i) => i);
    steps ??= starts.map(() => 1);
    if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length) {
      throw new ModelFormatError(`${this.what}: starts, ends, axes and steps must have the same length`);
    }
    // Per axis: first index, step and count, clamped as the ONNX spec says.
    const first = data.shape.map(() => 0);
    const step = data.shape.map(() => 1);
    const count = [...data.shape];
    axes.forEach((a, i) => {
      const axis = normalizeAxis(a, rank, this.what);
      const dim = data.shape[axis];
      const s = steps![i];
      if (s === 0) throw new ShapeError(`${this.what}: step 0`);
      const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v < 0 ? v + dim : v));
      const start = s > 0 ? clamp(starts[i], 0, dim) : clamp(starts[i], -1, dim - 1);
      const end = s > 0 ? clamp(ends[i], 0, dim) : clamp(ends[i], -1, dim - 1);
      first[axis] = start;
      step[axis] = s;
      count[axis] = Math.max(0, Math.ceil((end - start) / s));
    });
    const strides = stridesOf(data.shape);
    const picks: number[] = [];
    const index = count.map(() => 0);
    const total = sizeOf(count);
    for (let n = 0; n < total; n++) {
      let offset = 0;
      for (let d = 0; d < rank; d++) offset += (first[d] + index[d] * step[d]) * strides[d];
      picks.push(offset);
      for (let d = rank - 1; d >= 0; d--) {
        if (++index[d] < count[d]) break;
        index[d] = 0;
      }
    }
    return { kind: 'constant', dtype: data.dtype, shape: count, data: take(data.data, picks) };
  }

  private expand(): OnnxInput<T> {
    const x = this.input(0);
    const target = this.integers(1, 'the target shape decides the output shape');
    const shape = broadcastShapes(x.shape, target, this.what);
    this.checkSize(shape);
    if (x.kind === 'tensor') {
      if (shape.length === x.shape.length && shape.every((d, i) => d === x.shape[i])) return x;
      // Broadcasting multiply by ones: exact for every value, NaN and ±∞ included.
      const ones = this.ctx.constant(new Float32Array(sizeOf(shape)).fill(1), shape);
      return { kind: 'tensor', value: this.ctx.ops.mul(x.value, ones) };
    }
    const strides = stridesOf(x.shape);
    const picks: number[] = [];
    const index = shape.map(() => 0);
    const lead = shape.length - x.shape.length;
    for (let n = 0; n < sizeOf(shape); n++) {
      let offset = 0;
      for (let d = 0; d < x.shape.length; d++) offset += (x.shape[d] === 1 ? 0 : index[lead + d]) * strides[d];
      picks.push(offset);
      for (let d = shape.length - 1; d >= 0; d--) {
        if (++index[d] < shape[d]) break;
        index[d] = 0;
      }
    }
    return { kind: 'constant', dtype: x.dtype, shape, data: take(x.data, picks) };
  }

  private constantOfShape(): OnnxInput<T> {
    const shape = this.integers(0, 'the shape decides the output shape');
    if (shape.some((d) => d < 0)) throw new ShapeError(`${this.what}: shape [${shape.join(', ')}] must not be negative`);
    this.checkSize(shape);
    const size = sizeOf(shape);
    const value = this.node.tensors.value ?? float32([1], [0]);
    if (value.data.length !== 1) throw new ModelFormatError(`${this.what}: value must have one element, got ${formatShape(value.shape)}`);
    const data = newLike(value.data, size);
    for (let i = 0; i < size; i++) copyInto(data, i, value.data, 0, 1);
    return { kind: 'constant', dtype: value.dtype, shape, data };
  }

  private cast(): OnnxInput<T> {
    const x = this.input(0);
    const to = dtypeName(this.intAttr('to', 0));
    if (x.kind === 'tensor') {
      if (to !== 'float32') throw new UnsupportedError(`${this.what}: cast of a run-time tensor to ${to}; computation is float32`);
      return x;
    }
    return { kind: 'constant', dtype: to, shape: x.shape, data: convert(x.data, to, this.what) };
  }

  private reshape(): OnnxInput<T> {
    const x = this.constantInput(0, 'folding');
    let target = this.node.opset < 5 ? (this.intsAttr('shape') ?? []) : this.integers(1, 'the target shape');
    if (this.intAttr('allowzero', 0) === 0) target = target.map((d, i) => (d === 0 ? (x.shape[i] ?? 0) : d));
    const known = target.filter((d) => d !== -1).reduce((n, d) => n * d, 1);
    const shape = target.map((d) => (d === -1 ? (known === 0 ? 0 : sizeOf(x.shape) / known) : d));
    if (target.filter((d) => d === -1).length > 1 || shape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new ShapeError(`${this.what}: cannot reshape ${formatShape(x.shape)} to [${target.join(', ')}]`);
    }
    return this.withShape(x, shape);
  }

  private flatten(): OnnxInput<T> {
    const x = this.constantInput(0, 'folding');
    const rank = x.shape.length;
    const given = this.intAttr('axis', 1);
    const axis = given < 0 ? given + rank : given;
    if (axis < 0 || axis > rank) throw new ShapeError(`${this.what}: axis ${given} is out of range for ${formatShape(x.shape)}`);
    return this.withShape(x, [sizeOf(x.shape.slice(0, axis)), sizeOf(x.shape.slice(axis))]);
  }

  /** Pad with all-zero pads (PyTorch's avg_pool export writes one) is the identity; others are refused. */
  private pad(): OnnxInput<T> {
    const x = this.input(0);
    const pads = this.node.opset < 11 ? (this.intsAttr('pads') ?? []) : this.integers(1, 'the pads decide the output shape');
    if (pads.some((p) => p !== 0)) throw new UnsupportedError(`${this.what}: non-zero pads [${pads.join(', ')}] are not supported (zero pads are)`);
    return x;
  }
}

// ---- constants

function float32(shape: Shape, values: readonly number[]): OnnxConstant {
  return { kind: 'constant', dtype: 'float32', shape, data: Float32Array.from(values) };
}

function int64(shape: Shape, values: readonly number[]): OnnxConstant {
  return { kind: 'constant', dtype: 'int64', shape, data: BigInt64Array.from(values, (v) => BigInt(v)) };
}

/** An integer constant's elements as numbers (int64 beyond 2^53 is clamped: only slice bounds use such values). */
function integersOf(c: OnnxConstant, what: string): number[] {
  if (!(c.data instanceof BigInt64Array) && !(c.data instanceof Int32Array)) throw new ModelFormatError(`${what} must be int64 or int32, got ${c.dtype}`);
  return Array.from(c.data as ArrayLike<number | bigint>, (v) => {
    const n = Number(v);
    return Number.isSafeInteger(n) ? n : n > 0 ? Number.MAX_SAFE_INTEGER : Number.MIN_SAFE_INTEGER;
  });
}

function newLike(data: OnnxData, length: number): OnnxData {
  return new (data.constructor as new (n: number) => OnnxData)(length);
}

function take(data: OnnxData, picks: readonly number[]): OnnxData {
  const out = newLike(data, picks.length);
  picks.forEach((p, i) => copyInto(out, i, data, p, 1));
  return out;
}

function copyInto(out: OnnxData, at: number, src: OnnxData, from: number, n: number): void {
  (out as Float32Array).set((src as Float32Array).subarray(from, from + n), at);
}

function convert(data: OnnxData, to: string, what: string): OnnxData {
  const Target = TYPED_ARRAYS[to];
  if (!Target) throw new UnsupportedError(`${what}: cast to ${to} is not supported`);
  const out = new Target(data.length);
  const big = out instanceof BigInt64Array || out instanceof BigUint64Array;
  for (let i = 0; i < data.length; i++) {
    const v = Number(data[i]);
    if (to === 'bool') out[i] = v !== 0 ? 1 : 0;
    else if (big) {
      if (!Number.isFinite(v)) throw new UnsupportedError(`${what}: cannot cast ${v} to ${to}`);
      out[i] = BigInt(Math.trunc(v)) as never;
    } else out[i] = (Number.isInteger(v) || to.startsWith('float') ? v : Math.trunc(v)) as never;
  }
  return out;
}
