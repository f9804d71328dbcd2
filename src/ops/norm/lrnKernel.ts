// What localResponseNorm and its gradient share: the attributes, their check, and how the
// WebGPU kernel (shaders/norm/lrn.wgsl) is dispatched.
import lrnWgsl from '../../../shaders/norm/lrn.wgsl?raw';
import { ShapeError } from '../../errors.js';
import { formatShape, sizeOf, type Shape } from '../../shape.js';
import { grid, uniforms, type GpuArg, type KernelRecorder } from '../kernel.js';

export interface LocalResponseNormAttrs {
  readonly size: number;
  readonly alpha: number;
  readonly beta: number;
  readonly k: number;
  /** Channels of the window before c; the other size − 1 − before lie after it. */
  readonly before: number;
}

/** Checks x [N, C, ...] and the attributes; returns x's shape. */
export function checkLrn(x: Shape | null, { size, alpha, beta, k, before }: LocalResponseNormAttrs): Shape {
    if (!x || x.length < 3) throw new ShapeError(`localResponseNorm: x must have rank ≥ 3 ([N, C, ...]), got ${formatShape(x)}`);
    if (!Number.isInteger(size) || size < 1) throw new ShapeError(`localResponseNorm: size must be a positive integer, got ${size}`);
    if (!Number.isInteger(before) || before < 0 || before >= size) {
      throw new ShapeError(`localResponseNorm: the window must start 0..${size - 1} channels before c, got ${before}`);
    }
    for (const [what, v] of [['alpha', alpha], ['beta', beta], ['k', k]] as const) {
      if (typeof v !== 'number' || Number.isNaN(v)) throw new ShapeError(`localResponseNorm: ${what} must be a number, got ${String(v)}`);
    }
    return x;
}

const lrnShader = { label: 'lrn', code: lrnWgsl };

/**
 * Records shaders/norm/lrn.wgsl's `main` (bindings [x, y]) or `grad` (bindings [x, dx, dy], for
 * localResponseNormGrad.ts): one invocation per element of x.
 */
export function recordLrn(kr: KernelRecorder, entryPoint: 'main' | 'grad', bindings: readonly GpuArg[], { size, alpha, beta, k, before }: LocalResponseNormAttrs): void {
  const x = bindings[0];
  const count = sizeOf(x.shape);
  kr.dispatch({
    shader: lrnShader,
    entryPoint,
    uniforms: uniforms()
      .u32(count, x.shape[1], sizeOf(x.shape.slice(2)), before, size - 1 - before)
      .f32(alpha / size, beta, k)
      .bytes(),
    bindings,
    workgroups: grid(count, 256),
  });
}
