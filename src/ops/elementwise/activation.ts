// Elementwise activations: relu, sigmoid, tanh, leakyRelu, clip. One op whose attribute says
// which function, because the same descriptor is what convolution and linear fuse into their
// epilogue (graph/passes.ts): a fused activation and a standalone one compute the same thing.
import activationFnWgsl from '../../../shaders/elementwise/activation_fn.wgsl?raw';
import activationWgsl from '../../../shaders/elementwise/activation.wgsl?raw';
import { withNanTest } from '../nan.js';
import { grid, uniforms, type Shader } from '../kernel.js';
import { ShapeError } from '../../errors.js';
import { sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { activationGrad } from './activationGrad.js';
import type { Activation } from './activationKind.js';

export type { Activation } from './activationKind.js';

export interface LeakyReluOptions {
  /** Slope for x < 0 (PyTorch's default 0.01). */
  negativeSlope?: number;
}

export interface ClipOptions {
  /** Lower bound (default −∞). */
  min?: number;
  /** Upper bound (default +∞). As in ONNX, min > max gives max everywhere. */
  max?: number;
}

/** The activation of one value; the CPU reference for every fused epilogue too. */
export function activate(v: number, a: Activation): number {
  switch (a.kind) {
    case 'relu':
      return v < 0 ? 0 : v; // NaN passes through, as in PyTorch
    case 'sigmoid':
      return 1 / (1 + Math.exp(-v));
    case 'tanh':
      return Math.tanh(v);
    case 'leakyRelu':
      return v >= 0 ? v : v * a.negativeSlope;
    case 'clip':
      return Math.min(Math.max(v, a.min), a.max);
  }
}

/** Applies `a` in place to `data` (no-op for undefined), the epilogue of fused kernels. */
export function activateInPlace(data: Float32Array, a: Activation | undefined): void {
  if (!a) return;
  if (a.kind === 'relu') {
    for (let i = 0; i < data.length; i++) if (data[i] < 0) data[i] = 0;
    return;
  }
  for (let i = 0; i < data.length; i++) data[i] = activate(data[i], a);
}

/** What a CpuKernels may add for the standalone activation op: y = a(x) elementwise (the wasm SIMD one). */
export interface ActivationKernels {
  activate(x: Float32Array, y: Float32Array, a: Activation): void;
}

const F32_MAX = 3.4028234663852886e38;
const ACT_KIND: Record<Activation['kind'], number> = { relu: 1, sigmoid: 2, tanh: 3, leakyRelu: 4, clip: 5 };

/** The override constants that select `a` in activation_fn.wgsl (none: ACT_KIND 0). */
export function activationConstants(a: Activation | undefined): Record<string, number> {
  if (!a) return { ACT_KIND: 0 };
  // WGSL has no infinities: an unbounded clip side becomes the largest f32.
  const bound = (v: number) => Math.min(Math.max(v, -F32_MAX), F32_MAX);
  return {
    ACT_KIND: ACT_KIND[a.kind],
    ACT_ALPHA: a.kind === 'leakyRelu' ? a.negativeSlope : 0,
    ACT_MIN: a.kind === 'clip' ? bound(a.min) : 0,
    ACT_MAX: a.kind === 'clip' ? bound(a.max) : 0,
  };
}

/** A shader whose source starts with activation_fn.wgsl, so it can call activate(). */
/* @__NO_SIDE_EFFECTS__ */
export function withActivationFn(label: string, code: string): Shader {
  return withNanTest(label, `${activationFnWgsl}\n${code}`);
}

const activationShader = withActivationFn('activation', activationWgsl);

export const activationOp: OpDef<Activation> = {
  name: 'activation',
  inferShapes([x], a) {
    if (!x) throw new ShapeError(`${a.kind}: input is missing`);
    return [x];
  },
  cpu([x], [y], a, kernels) {
    const fast = (kernels as Partial<ActivationKernels> | undefined)?.activate;
    if (fast) return fast(x!.data, y.data, a);
    y.data.set(x!.data);
    activateInPlace(y.data, a);
  },
  gpu(k, [x], [y], a) {
    const n = sizeOf(y.shape);
    k.dispatch({
      shader: activationShader,
      constants: activationConstants(a),
      uniforms: uniforms().u32(n).bytes(),
      bindings: [x!, y],
      workgroups: grid(n, 256),
    });
  },
  grad: (r, { inputs: [x], outputs: [y], dys: [dy], attrs }) => [activationGrad(r, x!, y, dy!, attrs)],
};

function finite(value: number | undefined, fallback: number, what: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || Number.isNaN(value)) throw new ShapeError(`${what} must be a number, got ${String(value)}`);
  return value;
}

export function leakyReluActivation(opts: LeakyReluOptions = {}): Activation {
  return { kind: 'leakyRelu', negativeSlope: finite(opts.negativeSlope, 0.01, 'leakyRelu: negativeSlope') };
}

export function clipActivation(opts: ClipOptions = {}): Activation {
  return { kind: 'clip', min: finite(opts.min, -Infinity, 'clip: min'), max: finite(opts.max, Infinity, 'clip: max') };
}

type Shaped = { readonly shape: Shape };
const run = <T extends Shaped>(r: OpRunner<T>, x: T, a: Activation): T => r.runOp(activationOp, [x], a)[0];

export const relu = <T extends Shaped>(r: OpRunner<T>, x: T): T => run(r, x, { kind: 'relu' });
export const sigmoid = <T extends Shaped>(r: OpRunner<T>, x: T): T => run(r, x, { kind: 'sigmoid' });
export const tanh = <T extends Shaped>(r: OpRunner<T>, x: T): T => run(r, x, { kind: 'tanh' });
export const leakyRelu = <T extends Shaped>(r: OpRunner<T>, x: T, opts?: LeakyReluOptions): T =>
  run(r, x, leakyReluActivation(opts));
export const clip = <T extends Shaped>(r: OpRunner<T>, x: T, opts?: ClipOptions): T => run(r, x, clipActivation(opts));
