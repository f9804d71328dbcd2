// reduceSum: sums over some axes, keeping them as extent 1, and can drop leading axes. It is how
// a gradient that was broadcast forward (a bias added to every row, b [1, C, 1, 1] added to
// x [N, C, H, W]) flows back to its operand's shape: `sumTo(r, dy, shape)`. The attributes name
// axes, not extents, so a graph planned for another batch size still sums the right axes.
// Where the kept axes are one run of neighbouring dims (x seen as [outer, C, inner]: conv2d's
// bias gradient, a bias [1, C, 1, 1], a full sum), the sum is per channel; on WebGPU it is then
// one workgroup per channel (BatchNorm's channel sums) rather than one invocation per output.
import reduceSumWgsl from '../../../shaders/reduce/reduce_sum.wgsl?raw';
import { grid, uniforms } from '../kernel.js';
import { recordChannelSums } from '../norm/batchNorm2dTrainGrad.js';
import { ShapeError, UnsupportedError } from '../../errors.js';
import { broadcastStrides, formatShape, sizeOf, stridesOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';

export interface ReduceSumAttrs {
  /** Axes of the input that are summed (each becomes extent 1). */
  readonly axes: readonly number[];
  /** Leading axes removed from the result; each must be one of `axes`. */
  readonly dropLeading: number;
}

/** Axes a merged layout may have on each side (kept and summed) in the WebGPU kernel. */
const MAX_GPU_AXES = 8;

/**
 * Values summed per output below which WebGPU keeps one invocation per output: a workgroup per
 * channel only pays off when each has enough to sum.
 */
const MIN_CHANNEL_SUM = 64;

/**
 * x as [outer, C, inner] when the kept axes of extent > 1 are neighbours (C is their product,
 * 1 for a full sum): y[c] = Σ over outer and inner. null when summed axes lie between kept ones.
 */
function channelLayout(x: Shape, axes: readonly number[]): [number, number, number] | null {
  const kept = x.map((d, i) => d > 1 && !axes.includes(i));
  const first = kept.indexOf(true);
  const last = kept.lastIndexOf(true);
  if (first < 0) return [sizeOf(x), 1, 1];
  for (let i = first; i <= last; i++) if (!kept[i] && x[i] > 1) return null;
  return [sizeOf(x.slice(0, first)), sizeOf(x.slice(first, last + 1)), sizeOf(x.slice(last + 1))];
}

function check(x: Shape, { axes, dropLeading }: ReduceSumAttrs): void {
  const bad = axes.some((a) => !Number.isInteger(a) || a < 0 || a >= x.length);
  if (bad || !(Number.isInteger(dropLeading) && dropLeading >= 0 && dropLeading <= x.length)) {
    throw new ShapeError(`reduceSum: axes ${formatShape(axes)} and dropLeading ${dropLeading} do not fit x ${formatShape(x)}`);
  }
  for (let d = 0; d < dropLeading; d++) {
    if (!axes.includes(d) && x[d] !== 1) throw new ShapeError(`reduceSum: leading axis ${d} of x ${formatShape(x)} is dropped but not summed`);
  }
}

/** x's shape with the summed axes set to 1 (before dropping leading axes). */
const keptShape = (x: Shape, axes: readonly number[]): number[] => x.map((d, i) => (axes.includes(i) ? 1 : d));

export const reduceSumOp: OpDef<ReduceSumAttrs> = {
  name: 'reduceSum',
  inferShapes([x], attrs) {
    if (!x) throw new ShapeError('reduceSum: input is missing');
    check(x, attrs);
    return [keptShape(x, attrs.axes).slice(attrs.dropLeading)];
  },
  // x [...] -> y [...] with the summed axes 1 (leading ones dropped); sums in float64
  cpu([x], [y], { axes }) {
    const shape = x!.shape;
    const n = x!.data.length;
    const sums = new Float64Array(y.data.length);
    const layout = channelLayout(shape, axes);
    if (layout && n > 0) {
      const [outer, C, inner] = layout;
      for (let c = 0; c < C; c++) {
        let sum = 0;
        for (let o = 0; o < outer; o++) {
          const start = (o * C + c) * inner;
          for (let i = start; i < start + inner; i++) sum += x!.data[i];
        }
        sums[c] = sum;
      }
    } else if (n > 0) {
      // Walk x row-major; the output offset moves by the kept shape's strides (0 on summed axes).
      const yStrides = broadcastStrides(keptShape(shape, axes), shape);
      const rank = shape.length;
      const index = new Array<number>(rank).fill(0);
      let at = 0;
      for (let i = 0; i < n; i++) {
        sums[at] += x!.data[i];
        for (let d = rank - 1; d >= 0; d--) {
          at += yStrides[d];
          if (++index[d] < shape[d]) break;
          at -= yStrides[d] * shape[d];
          index[d] = 0;
        }
      }
    }
    y.data.set(sums);
  },
  // One workgroup per channel (see channelLayout), else one invocation per output element,
  // looping over the elements it sums (reduce_sum.wgsl).
  gpu(k, [x], [y], { axes }) {
    const count = sizeOf(y.shape);
    if (count === 0) return;
    const layout = channelLayout(x!.shape, axes);
    if (layout && layout[0] * layout[2] >= MIN_CHANNEL_SUM) return recordChannelSums(k, { ...x!, shape: layout }, y);
    const kept = splitAxes(x!.shape, axes, false);
    const summed = splitAxes(x!.shape, axes, true);
    if (kept.shape.length > MAX_GPU_AXES || summed.shape.length > MAX_GPU_AXES) {
      throw new UnsupportedError(`reduceSum: x ${formatShape(x!.shape)} summed over ${formatShape(axes)} needs more than ${MAX_GPU_AXES} axes on one side`);
    }
    const u = uniforms().u32(count, sizeOf(summed.shape), kept.shape.length, summed.shape.length);
    for (const list of [kept.shape, kept.strides, summed.shape, summed.strides]) {
      // Innermost axis first, unused slots 1 (never reached: the ranks bound the loops).
      for (let s = 0; s < MAX_GPU_AXES; s++) u.u32(s < list.length ? list[list.length - 1 - s] : 1);
    }
    k.dispatch({
      shader: { label: 'reduce_sum', code: reduceSumWgsl },
      uniforms: u.bytes(),
      bindings: [x!, y],
      workgroups: grid(count, 64),
    });
  },
};

/** The kept (or summed) axes of x with their strides in x, unit axes dropped and contiguous neighbours merged. */
function splitAxes(x: Shape, axes: readonly number[], summed: boolean): { shape: number[]; strides: number[] } {
  const strides = stridesOf(x);
  const shape: number[] = [];
  const out: number[] = [];
  x.forEach((extent, d) => {
    if (axes.includes(d) !== summed || extent === 1) return;
    const last = shape.length - 1;
    if (last >= 0 && out[last] === strides[d] * extent) {
      shape[last] *= extent;
      out[last] = strides[d];
    } else {
      shape.push(extent);
      out.push(strides[d]);
    }
  });
  return { shape, strides: out };
}

type Shaped = { readonly shape: Shape };

/** Sums `x` over the given axes (kept as extent 1), dropping `dropLeading` leading axes. */
export const reduceSum = <T extends Shaped>(r: OpRunner<T>, x: T, axes: readonly number[], dropLeading = 0): T =>
  r.runOp(reduceSumOp, [x], { axes: [...axes], dropLeading })[0];

/**
 * The gradient of a tensor of shape `target` that was broadcast to dy's shape: dy summed over
 * the axes broadcasting stretched (where `target` has 1 or no axis and dy more than 1), so the
 * result has `target`'s shape. dy itself when nothing was stretched.
 */
export function sumTo<T extends Shaped>(r: OpRunner<T>, dy: T, target: Shape): T {
  const lead = dy.shape.length - target.length;
  if (lead < 0) throw new ShapeError(`sumTo: cannot sum ${formatShape(dy.shape)} to the larger rank of ${formatShape(target)}`);
  const axes: number[] = [];
  dy.shape.forEach((d, i) => {
    const t = i < lead ? 1 : target[i - lead];
    if (t === 1 && (d !== 1 || i < lead)) axes.push(i);
    else if (t !== d) throw new ShapeError(`sumTo: ${formatShape(target)} does not broadcast to ${formatShape(dy.shape)}`);
  });
  if (axes.length === 0 && lead === 0) return dy;
  return reduceSum(r, dy, axes, lead);
}
