// The gradient of conv2d with respect to its input: dx = conv2dᵀ(dy, w). Every output pixel
// (n, o, oy, ox) scatters dy·w back onto the input cells its window read, so dx is a convolution
// of dy with the weights flipped in space and transposed per group, over dy spread out by the
// stride. Both backends run it as exactly that convolution, through conv2d's kernels (the CPU
// one, conv2dGpu.ts); with a stride s the spread-out dy holds s² − 1 zeros per cell, multiplied
// like any other (sub-pixel decomposition would skip them, at the price of s² convolutions).
// The tests check it against finite differences of a plain convolution (test/train/).
import { sizeOf, type Shape } from '../../shape.js';
import type { OpDef } from '../op.js';
import { recordStridedCopy } from '../shape/stridedCopyGpu.js';
import type { ConvGeometry } from '../window.js';
import { recordConvolution } from './conv2dGpu.js';
import { checkConvGrad, shapeAttr, type ConvGradAttrs } from './convGradShapes.js';
import { convolveCpu } from './im2col.js';
import { resolveWindow } from '../window.js';

export interface Conv2dGradInputAttrs extends ConvGradAttrs {
  /**
   * The forward input's shape [N, C, H, W] (the stride may leave its last rows unread, so dy
   * does not tell H and W). The batch N is dy's whatever dim 0 says, so that a graph traced at
   * one batch size runs at others.
   */
  readonly inputShape: readonly [number, number, number, number];
}

const name = 'conv2dGradInput';

/** dx's shape: the stated input shape with dy's batch. */
function inputOf(dy: Shape | null, attrs: Conv2dGradInputAttrs): Shape {
  const x = shapeAttr(name, 'inputShape', attrs.inputShape);
  return [dy && dy.length === 4 ? dy[0] : x[0], x[1], x[2], x[3]];
}

export const conv2dGradInputOp: OpDef<Conv2dGradInputAttrs> = {
  name,
  // dy [N, O, OH, OW], w [O, C/g, kh, kw] -> dx [N, C, H, W]
  inferShapes([dy, w], attrs) {
    const x = inputOf(dy, attrs);
    checkConvGrad(name, x, w ?? [], dy, attrs);
    return [x];
  },
  macs([dy, w]) {
    return dy![0] * dy![2] * dy![3] * w![0] * w![1] * w![2] * w![3];
  },
  cpu([dy, w], [dx], attrs) {
    // As on the GPU, conv2d's own kernel does the work: dy spread out by the stride onto a grid
    // padded so that a whole window lands on every cell of dx (cells that would fall outside it
    // reach no cell of dx and are dropped), convolved with the flipped, transposed weights.
    const [N, C, H, W] = dx.shape;
    const [O, Cg, kh, kw] = w!.shape;
    const { groups } = attrs;
    const Og = O / groups;
    const win = checkConvGrad(name, dx.shape, w!.shape, dy!.shape, attrs);
    const [OH, OW] = win.output;
    const [sh, sw] = win.stride;
    const [dh, dw] = win.dilation;
    const PH = H + (kh - 1) * dh;
    const PW = W + (kw - 1) * dw;
    const top = (kh - 1) * dh - win.pads[0];
    const left = (kw - 1) * dw - win.pads[1];
    const grid = new Float32Array(N * O * PH * PW);
    for (let plane = 0; plane < N * O; plane++) {
      for (let oy = 0; oy < OH; oy++) {
        const t = oy * sh + top;
        if (t < 0 || t >= PH) continue;
        for (let ox = 0; ox < OW; ox++) {
          const u = ox * sw + left;
          if (u >= 0 && u < PW) grid[(plane * PH + t) * PW + u] = dy!.data[(plane * OH + oy) * OW + ox];
        }
      }
    }
    // wT [C, O/g, kh, kw]: per group the channels swapped, each kernel turned by 180°.
    const flipped = new Float32Array(w!.data.length);
    for (let g = 0; g < groups; g++) {
      for (let o = 0; o < Og; o++) {
        for (let ci = 0; ci < Cg; ci++) {
          for (let ky = 0; ky < kh; ky++) {
            for (let kx = 0; kx < kw; kx++) {
              flipped[(((g * Cg + ci) * Og + o) * kh + kh - 1 - ky) * kw + kw - 1 - kx] = w!.data[(((g * Og + o) * Cg + ci) * kh + ky) * kw + kx];
            }
          }
        }
      }
    }
    const stride1 = { stride: [1, 1] as [number, number], padding: [0, 0, 0, 0] as [number, number, number, number], dilation: win.dilation };
    const gridWindow = resolveWindow(name, [N, O, PH, PW], [kh, kw], stride1);
    convolveCpu({ data: grid, shape: [N, O, PH, PW] }, { data: flipped, shape: [C, Og, kh, kw] }, null, dx, gridWindow, groups);
  },
  gpu(k, [dy, w], [dx], attrs) {
    if (sizeOf(dx.shape) === 0) return;
    const [N, C, H, W] = dx.shape;
    const [O, Cg, kh, kw] = w!.shape;
    const { groups } = attrs;
    const Og = O / groups;
    const win = checkConvGrad(name, dx.shape, w!.shape, dy!.shape, attrs);
    const [OH, OW] = win.output;
    const [dh, dw] = win.dilation;
    // The weights of the transposed convolution, wT [C, O/g, kh, kw]: per group the input and
    // output channels swapped and each kernel turned by 180°. The copy walks w in order and
    // writes each kernel backwards (negative strides, which the u32 offset arithmetic wraps).
    const flipped = { ...k.scratch(sizeOf(w!.shape) * 4), shape: [C, Og, kh, kw] };
    const taps = kh * kw;
    recordStridedCopy(k, {
      from: w!,
      to: flipped,
      shape: [groups, Og, Cg, kh, kw],
      toStrides: [Cg * Og * taps, taps, Og * taps, -kw, -1],
      toOffset: taps - 1,
    }, name);
    // With a stride, dy is first spread out onto the grid the forward windows started on: cell
    // (oy, ox) at (oy·sh, ox·sw), zeros between (scratch buffers start zeroed and the copy never
    // writes there). Then dx[iy] gathers that grid at iy + padTop − ky·dh, a stride-1 convolution
    // with the flipped kernel and padTop' = (kh − 1)·dh − padTop, negative when the padding is
    // wider than the kernel reaches (the window then starts inside the grid).
    const [sh, sw] = win.stride;
    const grid: [number, number] = [(OH - 1) * sh + 1, (OW - 1) * sw + 1];
    let spread = dy!;
    if (sh > 1 || sw > 1) {
      spread = { ...k.scratch(N * O * grid[0] * grid[1] * 4), shape: [N, O, ...grid] };
      recordStridedCopy(k, { from: dy!, to: spread, shape: [N * O, OH, OW], toStrides: [grid[0] * grid[1], sh * grid[1], sw] }, name);
    }
    const top = (kh - 1) * dh - win.pads[0];
    const left = (kw - 1) * dw - win.pads[1];
    const geo: ConvGeometry = {
      N, C: O, H: grid[0], W: grid[1], O: C, groups,
      win: {
        kernel: [kh, kw],
        stride: [1, 1],
        dilation: win.dilation,
        pads: [top, left, H - grid[0] - top + (kh - 1) * dh, W - grid[1] - left + (kw - 1) * dw],
        output: [H, W],
      },
    };
    recordConvolution(k, spread, flipped, null, dx, geo);
  },
};
