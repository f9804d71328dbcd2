// Sliding-window geometry shared by convolution and pooling: the padding option forms, SAME
// padding, output sizes (floor and ceil mode), validation, and the index ranges the CPU kernels
// loop over so that their inner loops need no bounds checks.
import { ShapeError } from '../errors.js';
import { formatShape, type Shape } from '../shape.js';

export type Pair = [number, number];
/** Explicit padding, [top, left, bottom, right]. */
export type Pads = [number, number, number, number];

/** A number or a pair [h, w] (PyTorch's `int or tuple`). */
export type PairOption = number | readonly [number, number];

/**
 * Padding as users write it: a number (all sides), a pair [h, w] (top = bottom = h,
 * left = right = w), four sides [top, left, bottom, right], 'valid' (none) or 'same'
 * (output = ceil(input / stride); an uneven total puts the extra pixel at bottom/right).
 */
export type PaddingOption =
  | number
  | readonly [number, number]
  | readonly [number, number, number, number]
  | 'valid'
  | 'same';

/** Padding as attributes hold it: 'same' is resolved against the input shape at run time. */
export type PaddingAttr = 'same' | Pads;

/** Where SAME puts the extra pixel of an uneven total: ONNX SAME_UPPER (bottom/right) or SAME_LOWER (top/left). */
export type SameMode = 'upper' | 'lower';

/** What conv and pooling attributes share. */
export interface WindowAttrs {
  readonly stride: Pair;
  readonly padding: PaddingAttr;
  readonly dilation: Pair;
}

/** The resolved window of one op call: everything a kernel needs besides the tensors. */
export interface Window2d {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly dilation: Pair;
  readonly pads: Pads;
  /** [OH, OW] */
  readonly output: Pair;
}

const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);

/** A number or a pair of positive integers, as a pair (kernel sizes, strides, dilations). */
export function positivePair(value: unknown, what: string): Pair {
  const v = typeof value === 'number' ? [value, value] : Array.isArray(value) ? value : null;
  if (!v || v.length !== 2 || !v.every((d) => isCount(d) && d > 0)) {
    throw new ShapeError(`${what} must be a positive integer or a pair of positive integers, got ${describe(value)}`);
  }
  return [v[0], v[1]];
}

/** A padding option (any form of PaddingOption) as attributes: 'same' or [top, left, bottom, right]. */
export function paddingAttr(value: unknown, what: string): PaddingAttr {
  if (value === 'same') return 'same';
  if (value === 'valid') return [0, 0, 0, 0];
  let pads: unknown[] | null = null;
  if (typeof value === 'number') pads = [value, value, value, value];
  else if (Array.isArray(value) && value.length === 2) pads = [value[0], value[1], value[0], value[1]];
  else if (Array.isArray(value) && value.length === 4) pads = value;
  if (!pads || !pads.every((p) => isCount(p) && p >= 0)) {
    throw new ShapeError(
      `${what} must be a non-negative integer, a pair [h, w], four sides [top, left, bottom, right], 'valid' or 'same', got ${describe(value)}`,
    );
  }
  return pads as Pads;
}

/**
 * Explicit pads for ONNX's SAME_UPPER / SAME_LOWER, for any stride: the output is
 * ceil(input / stride) and the total padding is what that output needs, never negative.
 */
export function samePads(input: Pair, kernel: Pair, stride: Pair, dilation: Pair, mode: SameMode = 'upper'): Pads {
  const totals = [0, 1].map((i) => {
    const out = Math.ceil(input[i] / stride[i]);
    return Math.max((out - 1) * stride[i] + (kernel[i] - 1) * dilation[i] + 1 - input[i], 0);
  });
  const begin = totals.map((t) => (mode === 'upper' ? Math.floor(t / 2) : Math.ceil(t / 2)));
  return [begin[0], begin[1], totals[0] - begin[0], totals[1] - begin[1]];
}

/**
 * Output length along one axis. With ceilMode the last, partial window counts, unless it would
 * start past the input and the leading padding, i.e. entirely in the trailing padding
 * (PyTorch's and ONNX's rule). Expects a window that fits the padded input.
 */
export function outputSize(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padBegin: number,
  padEnd: number,
  ceilMode: boolean,
): number {
  const span = size + padBegin + padEnd - ((kernel - 1) * dilation + 1);
  let out = (ceilMode ? Math.ceil(span / stride) : Math.floor(span / stride)) + 1;
  if (ceilMode && (out - 1) * stride >= size + padBegin) out--;
  return out;
}

/**
 * Checks the window attributes and resolves them against the input x [N, C, H, W]: SAME padding
 * becomes explicit pads, and the output size follows. Throws a ShapeError naming `op`.
 */
export function resolveWindow(op: string, x: Shape, kernel: Pair, attrs: WindowAttrs, ceilMode = false): Window2d {
  const pairOk = (p: unknown) => Array.isArray(p) && p.length === 2 && p.every((d) => isCount(d) && d > 0);
  for (const [name, value] of [['kernel size', kernel], ['stride', attrs.stride], ['dilation', attrs.dilation]] as const) {
    if (!pairOk(value)) {
      throw new ShapeError(`${op}: ${name} must be positive integers, got ${describe(value)} (input ${formatShape(x)})`);
    }
  }
  const { stride, dilation } = attrs;
  const input: Pair = [x[2], x[3]];
  let pads: Pads;
  if (attrs.padding === 'same') {
    pads = samePads(input, kernel, stride, dilation, 'upper');
  } else {
    const p = attrs.padding as unknown;
    if (!Array.isArray(p) || p.length !== 4 || !p.every((v) => isCount(v) && v >= 0)) {
      throw new ShapeError(`${op}: padding must be 'same' or four non-negative integers [top, left, bottom, right], got ${describe(p)}`);
    }
    pads = [p[0], p[1], p[2], p[3]];
  }
  const output: Pair = [0, 0];
  for (const i of [0, 1]) {
    const padded = input[i] + pads[i] + pads[i + 2];
    const dilated = (kernel[i] - 1) * dilation[i] + 1;
    if (dilated > padded) {
      throw new ShapeError(
        `${op}: kernel ${kernel.join('×')} (dilated ${[0, 1].map((j) => (kernel[j] - 1) * dilation[j] + 1).join('×')}) ` +
          `is larger than the padded input ${[0, 1].map((j) => input[j] + pads[j] + pads[j + 2]).join('×')} ` +
          `(input ${formatShape(x)}, padding [${pads.join(', ')}])`,
      );
    }
    output[i] = outputSize(input[i], kernel[i], stride[i], dilation[i], pads[i], pads[i + 2], ceilMode);
  }
  return { kernel, stride, dilation, pads, output };
}

/**
 * The taps k in [0, kernel) of a window starting at `start` whose position start + k·dilation
 * lies in [lo, hi), as [first, end) (empty when first = end). Pooling uses it per output.
 */
export function tapRange(start: number, dilation: number, kernel: number, lo: number, hi: number): Pair {
  const first = Math.max(0, Math.ceil((lo - start) / dilation));
  const end = Math.min(kernel, Math.floor((hi - 1 - start) / dilation) + 1);
  return [first, Math.max(first, end)];
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  return String(value);
}

/** The tap ranges of every output along one axis (see pool2dOp.cpu; the pooling gradients share them). */
export function axisTaps(outSize: number, stride: number, padBegin: number, dilation: number, kernel: number, size: number, padEnd: number) {
  const lo = new Int32Array(outSize);
  const hi = new Int32Array(outSize);
  const padded = new Int32Array(outSize);
  for (let o = 0; o < outSize; o++) {
    const start = o * stride - padBegin;
    [lo[o], hi[o]] = tapRange(start, dilation, kernel, 0, size);
    const [first, end] = tapRange(start, dilation, kernel, -padBegin, size + padEnd);
    padded[o] = end - first;
  }
  return { lo, hi, padded };
}

/** PyTorch's bins of an input axis of `size` for `outSize` outputs. */
export function bins(size: number, outSize: number) {
  const start = new Int32Array(outSize);
  const end = new Int32Array(outSize);
  for (let i = 0; i < outSize; i++) {
    start[i] = Math.floor((i * size) / outSize);
    end[i] = Math.ceil(((i + 1) * size) / outSize);
  }
  return { start, end };
}

/** The geometry of one convolution call, as the kernel and the tile table see it. */
export interface ConvGeometry {
  readonly N: number;
  readonly C: number;
  readonly H: number;
  readonly W: number;
  readonly O: number;
  readonly groups: number;
  /** The window; its pads may be negative (the input gradient's window can start inside x). */
  readonly win: Window2d;
}
