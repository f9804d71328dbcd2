// 2-D convolution (cross-correlation, as in PyTorch and ONNX) with stride, padding, dilation and
// groups (depthwise when groups = C), an optional bias, and two things the graph's fusion passes
// set (graph/passes.ts): an optional fourth input `residual` shaped like the output, added after
// the bias (ResNet's skip connection), and an optional activation applied last:
// y = activation(conv(x, w) + b + residual). The window geometry lives in window.ts.
import { ShapeError, UnsupportedError } from '../../errors.js';
import { formatShape, type Shape } from '../../shape.js';
import { activateInPlace, type Activation } from '../elementwise/activation.js';
import { recordConv2d } from './conv2dGpu.js';
import { referenceKernels } from '../cpuKernels.js';
import type { OpDef, OpRunner } from '../op.js';
import { reduceSum } from '../reduce/reduceSum.js';
import { reshapeTo } from '../shape/reshape.js';
import { conv2dGradInputOp } from './conv2dGradInput.js';
import { conv2dGradWeightOp } from './conv2dGradWeight.js';
import {
  paddingAttr,
  positivePair,
  resolveWindow,
  type Pair,
  type PaddingAttr,
  type PaddingOption,
  type PairOption,
  type Window2d,
} from '../window.js';

export interface Conv2dOptions {
  /** Default 1. */
  stride?: PairOption;
  /** Default 0; any PaddingOption form ('same' puts an uneven extra pixel at bottom/right). */
  padding?: PaddingOption;
  /** Default 1. */
  dilation?: PairOption;
  /** Default 1; must divide both the input and the output channels (depthwise: groups = C). */
  groups?: number;
}

export interface Conv2dAttrs {
  readonly stride: Pair;
  readonly padding: PaddingAttr;
  readonly dilation: Pair;
  readonly groups: number;
  /** Applied after the bias (fused epilogue); absent for a plain convolution. */
  readonly activation?: Activation;
}

/** Options (PyTorch names and defaults) as attributes; layers and the ONNX translator share it. */
export function conv2dAttrs(opts: Conv2dOptions = {}): Conv2dAttrs {
  const groups = opts.groups ?? 1;
  checkGroups(groups);
  return {
    stride: positivePair(opts.stride ?? 1, 'conv2d: stride'),
    padding: paddingAttr(opts.padding ?? 0, 'conv2d: padding'),
    dilation: positivePair(opts.dilation ?? 1, 'conv2d: dilation'),
    groups,
  };
}

function checkGroups(groups: unknown): asserts groups is number {
  if (typeof groups !== 'number' || !Number.isSafeInteger(groups) || groups <= 0) {
    throw new ShapeError(`conv2d: groups must be a positive integer, got ${String(groups)}`);
  }
}

/** The residual input (fused skip connection) must have the output's shape. */
function checkResidual(residual: Shape | null | undefined, y: Shape): void {
  if (residual && formatShape(residual) !== formatShape(y)) {
    throw new ShapeError(`conv2d: the residual input must have the output's shape ${formatShape(y)}, got ${formatShape(residual)}`);
  }
}

/** Checks x [N, C, H, W], w [O, C/groups, kh, kw], b [O] | null against the attributes. */
function checkConv(x: Shape | null, w: Shape | null, b: Shape | null, attrs: Conv2dAttrs): Window2d {
  const shapes = `x ${formatShape(x)}, w ${formatShape(w)}, b ${formatShape(b)}`;
  if (!x || x.length !== 4) throw new ShapeError(`conv2d: x must have rank 4 [N, C, H, W], got ${shapes}`);
  if (!w || w.length !== 4) throw new ShapeError(`conv2d: w must have rank 4 [O, C/groups, kh, kw], got ${shapes}`);
  checkGroups(attrs.groups);
  const { groups } = attrs;
  const [, C] = x;
  const [O, Cg] = w;
  if (C % groups !== 0 || O % groups !== 0) {
    throw new ShapeError(`conv2d: groups ${groups} must divide the input channels ${C} and the output channels ${O} (${shapes})`);
  }
  if (Cg !== C / groups) {
    throw new ShapeError(`conv2d: w needs ${C / groups} input channels per group (C ${C} / groups ${groups}), got ${Cg} (${shapes})`);
  }
  if (b && (b.length !== 1 || b[0] !== O)) throw new ShapeError(`conv2d: b must be [${O}] (one per output channel), got ${shapes}`);
  return resolveWindow('conv2d', x, [w[2], w[3]], attrs);
}

export const conv2dOp: OpDef<Conv2dAttrs> = {
  name: 'conv2d',
  inferShapes([x, w, b, residual], attrs) {
    const { output } = checkConv(x, w, b ?? null, attrs);
    const y = [x![0], w![0], output[0], output[1]];
    checkResidual(residual, y);
    return [y];
  },
  macs([x, w, b], attrs) {
    const [OH, OW] = checkConv(x, w, b ?? null, attrs).output;
    const [O, Cg, kh, kw] = w!;
    return x![0] * O * OH * OW * Cg * kh * kw;
  },
  cpu([x, w, b, residual], [y], attrs, kernels = referenceKernels) {
    // x [N, C, H, W], w [O, C/g, kh, kw], b [O] | null, residual [N, O, OH, OW] | null -> y [N, O, OH, OW] (reference: conv/im2col.ts)
    const win = resolveWindow('conv2d', x!.shape, [w!.shape[2], w!.shape[3]], attrs);
    if (!residual) {
      kernels.conv2d(x!, w!, b ?? null, y, win, attrs.groups, attrs.activation);
      return;
    }
    // The residual goes in before the activation.
    kernels.conv2d(x!, w!, b ?? null, y, win, attrs.groups, undefined);
    for (let i = 0; i < y.data.length; i++) y.data[i] += residual.data[i];
    activateInPlace(y.data, attrs.activation);
  },

  // x [N, C, H, W], w [O, C/g, kh, kw], b [O] | null, residual | null -> y [N, O, OH, OW] (see src/ops/conv/conv2dGpu.ts)
  gpu(k, [x, w, b, residual], [y], attrs) {
    recordConv2d(k, x!, w!, b ?? null, y, attrs, residual ?? null);
  },
  gpuWritesSlices: true,
  // dx and dw from the backward ops (conv/conv2dGradInput.ts, conv2dGradWeight.ts); db a reduceSum.
  grad(r, { inputs: [x, w, b, residual], dys: [dy], needs, attrs }) {
    const { activation, ...conv } = attrs;
    if (activation) throw new UnsupportedError('conv2d: no gradient for a fused activation (training graphs are not fused)');
    const inputShape = x!.shape as [number, number, number, number];
    const weightShape = w!.shape as [number, number, number, number];
    return [
      needs[0] ? r.runOp(conv2dGradInputOp, [dy!, w!], { ...conv, inputShape })[0] : null,
      needs[1] ? r.runOp(conv2dGradWeightOp, [x!, dy!], { ...conv, weightShape })[0] : null,
      b && needs[2] ? conv2dGradBias(r, dy!) : null,
      // The residual is added as it is: its gradient is dy.
      residual && needs[3] ? dy! : null,
    ];
  },
};

type Shaped = { readonly shape: Shape };

/** The gradient of conv2d's bias: db [O] = dy [N, O, OH, OW] summed over N, OH and OW (channel sums, reduce/reduceSum.ts). */
export function conv2dGradBias<T extends Shaped>(r: OpRunner<T>, dy: T): T {
  return reshapeTo(r, reduceSum(r, dy, [0, 2, 3], 1), [dy.shape[1]]);
}

/** Convolution of x [N, C, H, W] with w [O, C/groups, kh, kw] plus b [O] (or none) -> [N, O, OH, OW]. */
export function conv2d<T extends Shaped>(r: OpRunner<T>, x: T, w: T, b: T | null = null, opts: Conv2dOptions = {}): T {
  return r.runOp(conv2dOp, [x, w, b], conv2dAttrs(opts))[0];
}
