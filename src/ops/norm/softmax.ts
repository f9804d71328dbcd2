// softmax and logSoftmax over one axis (ONNX opset 13 / torch.softmax semantics). One op: the
// two share the max-shifted, float64 reduction and differ only in the last step.
import softmaxWgsl from '../../../shaders/norm/softmax.wgsl?raw';
import { grid, uniforms } from '../kernel.js';
import { ShapeError } from '../../errors.js';
import { normalizeAxis, sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { softmaxGrad } from './softmaxGrad.js';

export interface SoftmaxAttrs {
  /** The axis reduced over, as given (negative counts from the end). */
  readonly dim: number;
  /** True for logSoftmax. */
  readonly log: boolean;
}

export interface SoftmaxOptions {
  /** The axis to normalise over (default −1, the last). */
  dim?: number;
}

const opName = (log: boolean): string => (log ? 'logSoftmax' : 'softmax');

/** The shape viewed as [outer, n, inner] around the reduced axis. A 0-D tensor is one element. */
function splitAtAxis(shape: Shape, dim: number, log: boolean): { outer: number; n: number; inner: number } {
  // As in PyTorch, a 0-D tensor accepts dim 0 or −1 and behaves as shape [1].
  const dims = shape.length === 0 ? [1] : shape;
  const axis = normalizeAxis(dim, dims.length, opName(log));
  return { outer: sizeOf(dims.slice(0, axis)), n: dims[axis], inner: sizeOf(dims.slice(axis + 1)) };
}

export const softmaxOp: OpDef<SoftmaxAttrs> = {
  name: 'softmax',
  inferShapes([x], { dim, log }) {
    if (!x) throw new ShapeError(`${opName(log)}: input is missing`);
    splitAtAxis(x, dim, log);
    return [x];
  },
  // x [outer, n, inner] -> y [outer, n, inner], normalised along n
  cpu([x], [y], { dim, log }) {
    const { outer, n, inner } = splitAtAxis(x!.shape, dim, log);
    const xs = x!.data;
    const ys = y.data;
    // Per-row running max and sum for the `inner` rows of one outer slice, so every sweep
    // reads memory contiguously (k outer, j inner) instead of striding by `inner`.
    const max = new Float64Array(inner);
    const sum = new Float64Array(inner);
    for (let o = 0; o < outer; o++) {
      const base = o * n * inner;
      max.fill(-Infinity);
      sum.fill(0);
      for (let k = 0; k < n; k++) {
        const row = base + k * inner;
        for (let j = 0; j < inner; j++) max[j] = Math.max(max[j], xs[row + j]); // NaN propagates
      }
      // Shifting by the max keeps exp() from overflowing (inputs like 10000).
      for (let k = 0; k < n; k++) {
        const row = base + k * inner;
        for (let j = 0; j < inner; j++) sum[j] += Math.exp(xs[row + j] - max[j]);
      }
      // logSoftmax: y = x − (max + log Σ); softmax: y = exp(x − max) / Σ.
      for (let j = 0; j < inner; j++) sum[j] = log ? max[j] + Math.log(sum[j]) : 1 / sum[j];
      for (let k = 0; k < n; k++) {
        const row = base + k * inner;
        for (let j = 0; j < inner; j++) {
          ys[row + j] = log ? xs[row + j] - sum[j] : Math.exp(xs[row + j] - max[j]) * sum[j];
        }
      }
    }
  },
  gpu(k, [x], [y], { dim, log }) {
    const { outer, n, inner } = splitAtAxis(x!.shape, dim, log);
    const lines = outer * inner;
    if (lines === 0 || n === 0) return;
    const perWorkgroup = n >= WORKGROUP_LINE_MIN;
    k.dispatch({
      shader: softmaxShader,
      entryPoint: perWorkgroup ? 'per_workgroup' : 'main',
      constants: perWorkgroup ? { LOG: log ? 1 : 0, WG: n >= WIDE_LINE_MIN ? 256 : 64 } : { LOG: log ? 1 : 0 },
      uniforms: uniforms().u32(lines, n, inner).bytes(),
      bindings: [x!, y],
      workgroups: perWorkgroup ? grid(lines, 1) : grid(lines, 64),
    });
  },
  grad: (r, { outputs: [y], dys: [dy], attrs }) => [softmaxGrad(r, y, dy!, attrs)],
};

const softmaxShader = { label: 'softmax', code: softmaxWgsl };
/**
 * Lines of at least WORKGROUP_LINE_MIN elements get a workgroup each (softmax.wgsl per_workgroup),
 * 256 wide from WIDE_LINE_MIN on; shorter lines an invocation each (main). Measured in
 * bench/lab/pool (ms; an H200 through Dawn/Vulkan | SwiftShader, where a workgroup with barriers
 * costs ~0.2–5 ms however little it does):
 *   [64, 1000]   invocation per line 0.36, workgroup of 64 0.012 (256 wide: 0.008) | 27 vs 63 (460)
 *   [256, 128]   0.057 vs 0.0067                                               | 12 vs 208
 *   [8, 32768]   10.3 vs 0.19 (256 wide: 0.052)                                 | 163 vs 105
 * The GPU favours a workgroup from ~64 elements on; SwiftShader favours an invocation per line,
 * so the switch sits at 256, where the GPU's gain is large and a classifier's 1000 classes fall.
 */
const WORKGROUP_LINE_MIN = 256;
const WIDE_LINE_MIN = 4096;

function softmaxAttrs(opts: SoftmaxOptions, log: boolean): SoftmaxAttrs {
  const dim = opts?.dim ?? -1;
  if (typeof dim !== 'number' || !Number.isInteger(dim)) {
    throw new ShapeError(`${opName(log)}: dim must be an integer, got ${String(dim)}`);
  }
  return { dim, log };
}

type Shaped = { readonly shape: Shape };

/** exp(x) / Σ exp(x) along `dim` (default −1). */
export const softmax = <T extends Shaped>(r: OpRunner<T>, x: T, opts: SoftmaxOptions = {}): T =>
  r.runOp(softmaxOp, [x], softmaxAttrs(opts, false))[0];
/** log(softmax(x)) along `dim` (default −1), computed without forming softmax. */
export const logSoftmax = <T extends Shaped>(r: OpRunner<T>, x: T, opts: SoftmaxOptions = {}): T =>
  r.runOp(softmaxOp, [x], softmaxAttrs(opts, true))[0];
