// 2-D convolution (cross-correlation, as in PyTorch and ONNX) with stride, padding, dilation and
// groups (depthwise when groups = C), an optional bias and an optional fused activation that the
// graph's fusion pass sets (graph/passes.ts); the window geometry lives in window.ts.
import { ShapeError } from '../../errors.js';
import { formatShape, type Shape } from '../../shape.js';
import { activateInPlace, type Activation } from '../elementwise/activation.js';
import { recordConv2d } from './conv2dGpu.js';
import type { OpDef, OpRunner } from '../op.js';
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
  inferShapes([x, w, b], attrs) {
    const { output } = checkConv(x, w, b ?? null, attrs);
    return [[x![0], w![0], output[0], output[1]]];
  },
  macs([x, w, b], attrs) {
    const [OH, OW] = checkConv(x, w, b ?? null, attrs).output;
    const [O, Cg, kh, kw] = w!;
    return x![0] * O * OH * OW * Cg * kh * kw;
  },
  cpu([x, w, b], [y], attrs) {
    // x [N, C, H, W], w [O, C/g, kh, kw], b [O] | null -> y [N, O, OH, OW]
    // Per image and group g this is a matrix product y_g [O/g, OH·OW] = w_g [O/g, K] · patches [K, OH·OW],
    // K = C/g·kh·kw. The patches (im2col) are gathered TILE output pixels at a time, and each block of
    // 2 output channels × 4 pixels accumulates in float64 locals, so every loaded value is used 2 or 4 times.
    const [N, C, H, W] = x!.shape;
    const [O, Cg, kh, kw] = w!.shape;
    const win = resolveWindow('conv2d', x!.shape, [kh, kw], attrs);
    const pixels = win.output[0] * win.output[1];
    const { groups } = attrs;
    const outPerGroup = O / groups;
    const K = Cg * kh * kw;
    // Weight rows in float64, with a zero row after each group of odd size so that blocks of two
    // rows need no remainder case.
    const rowsPerGroup = outPerGroup + (outPerGroup % 2);
    const wRows = new Float64Array(groups * rowsPerGroup * K);
    for (let g = 0; g < groups; g++) {
      for (let o = 0; o < outPerGroup; o++) {
        const src = (g * outPerGroup + o) * K;
        wRows.set(w!.data.subarray(src, src + K), (g * rowsPerGroup + o) * K);
      }
    }
    const patches = new Float64Array(K * TILE);
    const tileOut = new Float64Array(rowsPerGroup * TILE);
    for (let n = 0; n < N; n++) {
      for (let g = 0; g < groups; g++) {
        for (let p0 = 0; p0 < pixels; p0 += TILE) {
          const count = Math.min(TILE, pixels - p0);
          gatherPatches(patches, x!.data, (n * C + g * Cg) * H * W, [Cg, H, W], win, p0, count);
          for (let o = 0; o < outPerGroup; o += 2) {
            const w0 = (g * rowsPerGroup + o) * K;
            const w1 = w0 + K;
            // Past `count` the patch columns hold stale values: their sums land in tileOut unread.
            for (let j = 0; j < count; j += 4) {
              let a00 = 0, a01 = 0, a02 = 0, a03 = 0, a10 = 0, a11 = 0, a12 = 0, a13 = 0;
              for (let k = 0, pk = j; k < K; k++, pk += TILE) {
                const p0v = patches[pk], p1v = patches[pk + 1], p2v = patches[pk + 2], p3v = patches[pk + 3];
                const u = wRows[w0 + k], v = wRows[w1 + k];
                a00 += u * p0v; a01 += u * p1v; a02 += u * p2v; a03 += u * p3v;
                a10 += v * p0v; a11 += v * p1v; a12 += v * p2v; a13 += v * p3v;
              }
              const t0 = o * TILE + j;
              const t1 = t0 + TILE;
              tileOut[t0] = a00; tileOut[t0 + 1] = a01; tileOut[t0 + 2] = a02; tileOut[t0 + 3] = a03;
              tileOut[t1] = a10; tileOut[t1 + 1] = a11; tileOut[t1 + 2] = a12; tileOut[t1 + 3] = a13;
            }
          }
          for (let o = 0; o < outPerGroup; o++) {
            const oc = g * outPerGroup + o;
            const bias = b ? b.data[oc] : 0;
            const dst = (n * O + oc) * pixels + p0;
            for (let j = 0; j < count; j++) y.data[dst + j] = tileOut[o * TILE + j] + bias;
          }
        }
      }
    }
    activateInPlace(y.data, attrs.activation);
  },
  // x [N, C, H, W], w [O, C/g, kh, kw], b [O] | null -> y [N, O, OH, OW] (see src/ops/conv/conv2dGpu.ts)
  gpu(k, [x, w, b], [y], attrs) {
    recordConv2d(k, x!, w!, b ?? null, y, attrs);
  },
};

/** Output pixels per gathered tile (a multiple of 4, the pixel block of the product). */
const TILE = 64;

/**
 * im2col for one tile: patches[k·TILE + j] = the input under kernel tap k = (ci, ky, kx) for output
 * pixel p0 + j (row-major over [OH, OW]), 0 where the tap falls in the padding. `xBase` is the
 * offset of the group's first input channel in x.
 */
function gatherPatches(
  patches: Float64Array,
  x: Float32Array,
  xBase: number,
  [Cg, H, W]: readonly number[],
  win: Window2d,
  p0: number,
  count: number,
): void {
  const [kh, kw] = win.kernel;
  const [sh, sw] = win.stride;
  const [dh, dw] = win.dilation;
  const [pt, pl] = win.pads;
  const OW = win.output[1];
  let row = 0;
  for (let ci = 0; ci < Cg; ci++) {
    const plane = xBase + ci * H * W;
    for (let ky = 0; ky < kh; ky++) {
      for (let kx = 0; kx < kw; kx++, row += TILE) {
        let oy = Math.floor(p0 / OW);
        let ox = p0 - oy * OW;
        for (let j = 0; j < count; j++) {
          const iy = oy * sh + ky * dh - pt;
          const ix = ox * sw + kx * dw - pl;
          patches[row + j] = iy >= 0 && iy < H && ix >= 0 && ix < W ? x[plane + iy * W + ix] : 0;
          if (++ox === OW) {
            ox = 0;
            oy++;
          }
        }
      }
    }
  }
}

type Shaped = { readonly shape: Shape };

/** Convolution of x [N, C, H, W] with w [O, C/groups, kh, kw] plus b [O] (or none) -> [N, O, OH, OW]. */
export function conv2d<T extends Shaped>(r: OpRunner<T>, x: T, w: T, b: T | null = null, opts: Conv2dOptions = {}): T {
  return r.runOp(conv2dOp, [x, w, b], conv2dAttrs(opts))[0];
}
