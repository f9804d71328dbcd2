// Elementwise add and mul with NumPy broadcasting. One op whose attribute says which, because
// both share the shape rule and the kernel structure (residual adds, per-channel scales).
import binaryWgsl from '../../../shaders/elementwise/binary.wgsl?raw';
import { grid } from '../kernel.js';
import { ShapeError, UnsupportedError } from '../../errors.js';
import { broadcastShapes, broadcastStrides, formatShape, sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';
import { sumTo } from '../reduce/reduceSum.js';
import { MAX_GPU_AXES, mergeAxes, stridedUniforms, withStridedOffsets } from '../shape/stridedCopyGpu.js';

export interface BinaryAttrs {
  readonly kind: 'add' | 'mul';
}

const addValues = (x: number, y: number): number => x + y;
const mulValues = (x: number, y: number): number => x * y;

/**
 * When `small` broadcasts onto `out` by repeating whole blocks — a scalar, a per-channel vector
 * ([C, 1, 1] against [N, C, H, W]) or a trailing vector ([F] against [N, F]) — returns the
 * sizes of the loop nest y[outer, block, inner] in which `small` is indexed by `block` alone.
 * Otherwise (its elements are not one contiguous run of `out`'s axes) returns null.
 */
function blockBroadcast(small: Shape, out: Shape): { outer: number; block: number; inner: number } | null {
  const offset = out.length - small.length;
  // An axis is "kept" when small runs along it; axes of extent 1 in the output are neutral.
  const kept = out.map((d, i) => d !== 1 && i >= offset && small[i - offset] !== 1);
  const first = kept.indexOf(true);
  if (first < 0) return { outer: 1, block: 1, inner: sizeOf(out) };
  const last = kept.lastIndexOf(true);
  for (let i = first; i <= last; i++) if (out[i] !== 1 && !kept[i]) return null;
  return { outer: sizeOf(out.slice(0, first)), block: sizeOf(out.slice(first, last + 1)), inner: sizeOf(out.slice(last + 1)) };
}

const binaryShader = withStridedOffsets('binary', binaryWgsl);

export const binaryOp: OpDef<BinaryAttrs> = {
  name: 'binary',
  inferShapes([a, b], { kind }) {
    if (!a || !b) throw new ShapeError(`${kind}: needs two tensors, got ${formatShape(a)} and ${formatShape(b)}`);
    return [broadcastShapes(a, b, kind)];
  },
  // a [...], b [...] broadcast to y [...]
  cpu([a, b], [y], { kind }) {
    const f = kind === 'add' ? addValues : mulValues;
    const out = y.shape;
    const n = y.data.length;
    if (n === 0) return;
    // add and mul commute, so the operand with the output's size can always play `full`.
    const [full, small] = sizeOf(a!.shape) === n ? [a!, b!] : [b!, a!];
    const [fd, sd, yd] = [full.data, small.data, y.data];
    if (fd.length === n) {
      if (sd.length === n) {
        for (let i = 0; i < n; i++) yd[i] = f(fd[i], sd[i]);
        return;
      }
      const blocks = blockBroadcast(small.shape, out);
      if (blocks) {
        const { outer, block, inner } = blocks;
        let i = 0;
        for (let o = 0; o < outer; o++) {
          for (let c = 0; c < block; c++) {
            const s = sd[c];
            for (let j = 0; j < inner; j++, i++) yd[i] = f(fd[i], s);
          }
        }
        return;
      }
    }
    broadcastByStrides(a!.data, broadcastStrides(a!.shape, out), b!.data, broadcastStrides(b!.shape, out), y.data, out, f);
  },
  // Broadcast strides over y's shape, axes merged: equal layouts take `same4` (vec4s) or `same`
  // (no index arithmetic), everything else `broadcast` (binary.wgsl).
  gpu(k, [a, b], [y], { kind }) {
    const n = sizeOf(y.shape);
    if (n === 0) return;
    const merged = mergeAxes(y.shape, [broadcastStrides(a!.shape, y.shape), broadcastStrides(b!.shape, y.shape)]);
    const [aStrides, bStrides] = merged.strides;
    const rank = merged.shape.length;
    if (rank > MAX_GPU_AXES) {
      throw new UnsupportedError(
        `${kind}: broadcasting ${formatShape(a!.shape)} with ${formatShape(b!.shape)} to ${formatShape(y.shape)} runs over ${rank} axes that cannot be merged; the WebGPU kernel handles at most ${MAX_GPU_AXES}`,
      );
    }
    const same = rank === 0 || (rank === 1 && aStrides[0] === 1 && bStrides[0] === 1);
    const entryPoint = !same ? 'broadcast' : n % 4 === 0 ? 'same4' : 'same';
    const invocations = entryPoint === 'same4' ? n / 4 : n;
    k.dispatch({
      shader: binaryShader,
      entryPoint,
      constants: same ? { OP: kind === 'mul' ? 1 : 0 } : { OP: kind === 'mul' ? 1 : 0, RANK: rank },
      uniforms: stridedUniforms({ count: invocations, shape: merged.shape, strides0: aStrides, strides1: bStrides }),
      bindings: [a!, b!, y],
      workgroups: grid(invocations, 256),
    });
  },
  // Each operand's gradient is dy (times the other operand for mul), summed back over the axes
  // broadcasting stretched.
  grad(r, { inputs: [a, b], dys: [dy], needs, attrs: { kind } }) {
    const other = (t: typeof a) => (kind === 'add' ? dy! : r.runOp(binaryOp, [dy!, t], { kind: 'mul' })[0]);
    return [needs[0] ? sumTo(r, other(b), a!.shape) : null, needs[1] ? sumTo(r, other(a), b!.shape) : null];
  },
};

/** The general case: walks y row-major, stepping each operand's offset by its broadcast strides. */
function broadcastByStrides(
  a: Float32Array,
  aStrides: number[],
  b: Float32Array,
  bStrides: number[],
  y: Float32Array,
  out: Shape,
  f: (x: number, y: number) => number,
): void {
  const rank = out.length;
  const last = rank - 1;
  const inner = out[last];
  const aStep = aStrides[last];
  const bStep = bStrides[last];
  const index = new Array<number>(rank).fill(0);
  let aOffset = 0;
  let bOffset = 0;
  for (let i = 0; i < y.length; i += inner) {
    for (let j = 0; j < inner; j++) y[i + j] = f(a[aOffset + j * aStep], b[bOffset + j * bStep]);
    // Advance the odometer over the outer axes.
    for (let d = last - 1; d >= 0; d--) {
      aOffset += aStrides[d];
      bOffset += bStrides[d];
      if (++index[d] < out[d]) break;
      aOffset -= aStrides[d] * out[d];
      bOffset -= bStrides[d] * out[d];
      index[d] = 0;
    }
  }
}

type Shaped = { readonly shape: Shape };

/** a + b, broadcasting as NumPy does. */
export const add = <T extends Shaped>(r: OpRunner<T>, a: T, b: T): T => r.runOp(binaryOp, [a, b], { kind: 'add' })[0];
/** a · b elementwise, broadcasting as NumPy does. */
export const mul = <T extends Shaped>(r: OpRunner<T>, a: T, b: T): T => r.runOp(binaryOp, [a, b], { kind: 'mul' })[0];
