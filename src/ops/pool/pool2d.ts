// 2-D max and average pooling: one op whose `mode` attribute picks the reduction, over the same
// window geometry as convolution (window.ts), applied to each channel on its own.
import poolWgsl from '../../../shaders/pool/pool2d.wgsl?raw';
import { grid, uniforms, type GpuArg, type KernelRecorder } from '../kernel.js';
import { withNanTest } from '../nan.js';
import { ShapeError } from '../../errors.js';
import { formatShape, sizeOf, type Shape } from '../../shape.js';
import type { CpuArg, OpDef, OpRunner } from '../op.js';
import { avgPool2dGradOp } from './avgPool2dGrad.js';
import { maxPool2dGradOp } from './maxPool2dGrad.js';
import {
  paddingAttr,
  positivePair,
  resolveWindow,
  axisTaps,
  type Pads,
  type Pair,
  type PaddingAttr,
  type PaddingOption,
  type PairOption,
  type Window2d,
} from '../window.js';

export interface Pool2dAttrs {
  readonly mode: 'max' | 'avg';
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: PaddingAttr;
  readonly dilation: Pair;
  /** Count the last, partial window along an axis (ceil instead of floor in the output size). */
  readonly ceilMode: boolean;
  /** avg only: divide by the cells of the padded input under the window, not only the real ones. */
  readonly countIncludePad: boolean;
  /** How much padding a side may have (see PadLimitOption); default 'pytorch'. */
  readonly padLimit?: PadLimit;
}

/**
 * 'pytorch' (default): each side's padding at most half the kernel, as torch.nn.MaxPool2d and
 * AvgPool2d require. 'onnx': less than the kernel, as ONNX Runtime requires (the ONNX importer
 * sets this). Either way every window keeps a real input cell, so no output is a bare −∞ or 0/0.
 */
export type PadLimit = 'pytorch' | 'onnx';

export interface MaxPool2dOptions {
  /** Required. */
  kernelSize: PairOption;
  /** Default kernelSize. */
  stride?: PairOption;
  /** Default 0; max ignores padding cells (they act as −∞). */
  padding?: PaddingOption;
  /** Default 1. */
  dilation?: PairOption;
  /** Default false. */
  ceilMode?: boolean;
  /** Default 'pytorch': padding at most half the kernel per side; see PadLimit. */
  padLimit?: PadLimit;
}

export interface AvgPool2dOptions {
  /** Required. */
  kernelSize: PairOption;
  /** Default kernelSize. */
  stride?: PairOption;
  /** Default 0. */
  padding?: PaddingOption;
  /** Default false. */
  ceilMode?: boolean;
  /**
   * Default true (PyTorch): padding cells count in the divisor. The cells that ceil mode adds past
   * the padded input never count. With false, divide by the real input cells under the window.
   */
  countIncludePad?: boolean;
  /** Default 1 (beyond PyTorch: ONNX AveragePool has dilations). */
  dilation?: PairOption;
  /** Default 'pytorch': padding at most half the kernel per side; see PadLimit. */
  padLimit?: PadLimit;
}

const opName = (mode: 'max' | 'avg') => (mode === 'max' ? 'maxPool2d' : 'avgPool2d');

function checkPool(x: Shape | null, attrs: Pool2dAttrs): Window2d {
  if (attrs.mode !== 'max' && attrs.mode !== 'avg') throw new ShapeError(`pool2d: mode must be 'max' or 'avg', got ${String(attrs.mode)}`);
  const name = opName(attrs.mode);
  if (!x || x.length !== 4) throw new ShapeError(`${name}: x must have rank 4 [N, C, H, W], got ${formatShape(x)}`);
  const window = resolveWindow(name, x, attrs.kernel, attrs, attrs.ceilMode);
  const { kernel, pads } = window;
  const onnx = attrs.padLimit === 'onnx';
  pads.forEach((pad, side) => {
    const k = kernel[side % 2];
    if (onnx ? pad >= k : pad > Math.floor(k / 2)) {
      const limit = onnx ? `less than the kernel (${k})` : `at most half the kernel (${k} // 2 = ${Math.floor(k / 2)}), as in PyTorch`;
      throw new ShapeError(`${name}: padding [${pads.join(', ')}] has ${pad} on the ${SIDES[side]} side; it must be ${limit}`);
    }
  });
  return window;
}

const SIDES = ['top', 'left', 'bottom', 'right'];

export const pool2dOp: OpDef<Pool2dAttrs> = {
  name: 'pool2d',
  inferShapes([x], attrs) {
    const { output } = checkPool(x, attrs);
    return [[x![0], x![1], output[0], output[1]]];
  },
  cpu([x], [y], attrs, kernels) {
    // x [N, C, H, W] -> y [N, C, OH, OW]
    const [N, C, H, W] = x!.shape;
    const window = resolveWindow(opName(attrs.mode), x!.shape, attrs.kernel, attrs, attrs.ceilMode);
    const { kernel, stride, dilation, pads, output } = window;
    const [OH, OW] = output;
    // Per output row / column: the taps over real input cells [lo, hi), and how many taps lie in the
    // padded input (padding included, ceil mode's overhang past it excluded) for countIncludePad.
    const rows = axisTaps(OH, stride[0], pads[0], dilation[0], kernel[0], H, pads[2]);
    const cols = axisTaps(OW, stride[1], pads[1], dilation[1], kernel[1], W, pads[3]);
    const fast = (kernels as Partial<PoolKernels> | undefined)?.pool2d;
    if (fast?.(x!, y, window, rows, cols, attrs.mode, attrs.countIncludePad)) return;
    const [dh, dw] = dilation;
    const xd = x!.data;
    const yd = y.data;
    for (let plane = 0; plane < N * C; plane++) {
      const xPlane = plane * H * W;
      const yPlane = plane * OH * OW;
      for (let oy = 0; oy < OH; oy++) {
        const iy0 = oy * stride[0] - pads[0];
        for (let ox = 0; ox < OW; ox++) {
          const ix0 = ox * stride[1] - pads[1];
          let result: number;
          if (attrs.mode === 'max') {
            // A window with no real cell (all padding) gives −∞, the identity of max.
            let max = -Infinity;
            for (let ky = rows.lo[oy]; ky < rows.hi[oy]; ky++) {
              const xRow = xPlane + (iy0 + ky * dh) * W + ix0;
              for (let kx = cols.lo[ox]; kx < cols.hi[ox]; kx++) {
                const v = xd[xRow + kx * dw];
                if (v > max || v !== v) max = v; // NaN wins, as in PyTorch
              }
            }
            result = max;
          } else {
            let sum = 0;
            for (let ky = rows.lo[oy]; ky < rows.hi[oy]; ky++) {
              const xRow = xPlane + (iy0 + ky * dh) * W + ix0;
              for (let kx = cols.lo[ox]; kx < cols.hi[ox]; kx++) sum += xd[xRow + kx * dw];
            }
            const divisor = attrs.countIncludePad
              ? rows.padded[oy] * cols.padded[ox]
              : (rows.hi[oy] - rows.lo[oy]) * (cols.hi[ox] - cols.lo[ox]);
            result = sum / divisor; // 0/0 = NaN for a window with no cell to average
          }
          yd[yPlane + oy * OW + ox] = result;
        }
      }
    }
  },
  gpu(k, [x], [y], attrs) {
    const [, , H, W] = x!.shape;
    const { kernel, stride, dilation, pads, output } = resolveWindow(opName(attrs.mode), x!.shape, attrs.kernel, attrs, attrs.ceilMode);
    const mode = attrs.mode === 'max' ? 0 : 1;
    dispatchPoolWindows(k, x!, y, { mode, countIncludePad: attrs.countIncludePad, input: [H, W], output, kernel, stride, dilation, pads });
  },
  // dx from the backward ops (pool/maxPool2dGrad.ts, pool/avgPool2dGrad.ts).
  grad(r, { inputs: [x], dys: [dy], attrs }) {
    const { mode, countIncludePad, ...window } = attrs;
    if (mode === 'max') return [r.runOp(maxPool2dGradOp, [x!, dy!], window)[0]];
    const inputShape = x!.shape as [number, number, number, number];
    return [r.runOp(avgPool2dGradOp, [dy!], { ...window, countIncludePad, inputShape })[0]];
  },
};

/** Per output row or column of a pooling window: axisTaps' tables. */
export type AxisTaps = ReturnType<typeof axisTaps>;

/**
 * What a CpuKernels may add for pool2d: the same windows, given the op's tap tables (the wasm
 * kernel). It returns false where it cannot run (the caller then runs the reference loops).
 */
export interface PoolKernels {
  pool2d(x: CpuArg, y: CpuArg, window: Window2d, rows: AxisTaps, cols: AxisTaps, mode: 'max' | 'avg', countIncludePad: boolean): boolean;
}

/** The window of shaders/pool/pool2d.wgsl's `main` for one dispatch (sizes of one plane). */
export interface GpuPoolWindow {
  /** 0 max, 1 avg, 2 adaptive avg (bins from the input and output sizes). */
  readonly mode: 0 | 1 | 2;
  readonly countIncludePad: boolean;
  readonly input: Pair;
  readonly output: Pair;
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly dilation: Pair;
  readonly pads: Pads;
}

const poolShader = withNanTest('pool2d', poolWgsl);
/** Invocations per workgroup of pool2d.wgsl's `main`. */
const POOL_WORKGROUP = 256;

/** The uniform block of pool2d.wgsl: `count` outputs (main) or planes (reduce_plane). */
function poolUniforms(count: number, w: GpuPoolWindow): ArrayBuffer {
  return uniforms()
    .u32(count, w.input[0], w.input[1], w.output[0], w.output[1])
    .i32(...w.kernel, ...w.stride, ...w.dilation, ...w.pads)
    .f32(w.mode === 0 ? -Infinity : NaN)
    .bytes();
}

/** One invocation per output of y [planes, OH, OW] over x [planes, H, W]; pooling, adaptive and small global pooling. */
export function dispatchPoolWindows(k: KernelRecorder, x: GpuArg, y: GpuArg, w: GpuPoolWindow): void {
  const outputs = sizeOf(y.shape);
  k.dispatch({
    shader: poolShader,
    constants: { MODE: w.mode, COUNT_INCLUDE_PAD: w.countIncludePad ? 1 : 0 },
    uniforms: poolUniforms(outputs, w),
    bindings: [x, y],
    workgroups: grid(outputs, POOL_WORKGROUP),
  });
}

/** Global pooling as a window: a plane of `area` positions viewed as [1, area], pooled to [1, 1]. */
export function wholePlaneWindow(mode: 'max' | 'avg', area: number): GpuPoolWindow {
  return {
    mode: mode === 'max' ? 0 : 1,
    countIncludePad: false,
    input: [1, area],
    output: [1, 1],
    kernel: [1, area],
    stride: [1, 1],
    dilation: [1, 1],
    pads: [0, 0, 0, 0],
  };
}

/**
 * One workgroup of `workgroupSize` (a power of two) per plane of x [planes, area] reducing it to
 * y [planes]: global pooling of large planes.
 */
export function dispatchPlaneReduction(
  k: KernelRecorder,
  x: GpuArg,
  y: GpuArg,
  mode: 'max' | 'avg',
  planes: number,
  area: number,
  workgroupSize: number,
): void {
  const w = wholePlaneWindow(mode, area);
  k.dispatch({
    shader: poolShader,
    entryPoint: 'reduce_plane',
    constants: { MODE: w.mode, REDUCE_WG: workgroupSize },
    uniforms: poolUniforms(planes, w),
    bindings: [x, y],
    workgroups: grid(planes, 1),
  });
}


function poolAttrs(
  mode: 'max' | 'avg',
  opts: { kernelSize?: PairOption; stride?: PairOption; padding?: PaddingOption; dilation?: PairOption; ceilMode?: boolean; padLimit?: PadLimit },
  countIncludePad: boolean,
): Pool2dAttrs {
  const name = opName(mode);
  if (typeof opts !== 'object' || opts === null || opts.kernelSize === undefined) {
    throw new ShapeError(`${name}: options must give kernelSize`);
  }
  const kernel = positivePair(opts.kernelSize, `${name}: kernelSize`);
  return {
    mode,
    kernel,
    stride: opts.stride === undefined ? kernel : positivePair(opts.stride, `${name}: stride`),
    padding: paddingAttr(opts.padding ?? 0, `${name}: padding`),
    dilation: positivePair(opts.dilation ?? 1, `${name}: dilation`),
    ceilMode: flag(opts.ceilMode, false, `${name}: ceilMode`),
    countIncludePad,
    padLimit: padLimitOption(opts.padLimit, name),
  };
}

function padLimitOption(value: unknown, name: string): PadLimit {
  if (value === undefined) return 'pytorch';
  if (value !== 'pytorch' && value !== 'onnx') throw new ShapeError(`${name}: padLimit must be 'pytorch' or 'onnx', got ${String(value)}`);
  return value;
}

function flag(value: unknown, fallback: boolean, what: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') throw new ShapeError(`${what} must be true or false, got ${String(value)}`);
  return value;
}

type Shaped = { readonly shape: Shape };

/** Max pooling of x [N, C, H, W] -> [N, C, OH, OW]. */
export function maxPool2d<T extends Shaped>(r: OpRunner<T>, x: T, opts: MaxPool2dOptions): T {
  return r.runOp(pool2dOp, [x], poolAttrs('max', opts, false))[0];
}

/** Average pooling of x [N, C, H, W] -> [N, C, OH, OW]. */
export function avgPool2d<T extends Shaped>(r: OpRunner<T>, x: T, opts: AvgPool2dOptions): T {
  const countIncludePad = flag(opts?.countIncludePad, true, 'avgPool2d: countIncludePad');
  return r.runOp(pool2dOp, [x], poolAttrs('avg', opts, countIncludePad))[0];
}
