// Shape checks shared by the convolution gradients: the forward convolution they differentiate is
// x [N, C, H, W] * w [O, C/groups, kh, kw] -> y [N, O, OH, OW], described by the conv2d attributes
// and the shape of whichever operand the gradient op does not receive.
import { ShapeError } from '../../errors.js';
import { formatShape, type Shape } from '../../shape.js';
import { resolveWindow, type Pair, type PaddingAttr, type Window2d } from '../window.js';

/** The forward convolution's attributes (conv2d's, without a fused activation). */
export interface ConvGradAttrs {
  readonly stride: Pair;
  readonly padding: PaddingAttr;
  readonly dilation: Pair;
  readonly groups: number;
}

/**
 * Checks that x, w and dy fit one convolution and returns its window. `op` names the gradient op
 * in the errors.
 */
export function checkConvGrad(op: string, x: Shape, w: Shape, dy: Shape | null, attrs: ConvGradAttrs): Window2d {
  const shapes = `x ${formatShape(x)}, w ${formatShape(w)}, dy ${formatShape(dy)}`;
  if (x.length !== 4 || w.length !== 4 || !dy || dy.length !== 4) {
    throw new ShapeError(`${op}: x [N, C, H, W], w [O, C/groups, kh, kw] and dy [N, O, OH, OW] must have rank 4, got ${shapes}`);
  }
  const { groups } = attrs;
  if (typeof groups !== 'number' || !Number.isSafeInteger(groups) || groups <= 0) {
    throw new ShapeError(`${op}: groups must be a positive integer, got ${String(groups)}`);
  }
  const [N, C] = x;
  const [O, Cg] = w;
  if (C % groups !== 0 || O % groups !== 0 || Cg !== C / groups) {
    throw new ShapeError(`${op}: groups ${groups} must divide C and O, and w must have C/groups input channels (${shapes})`);
  }
  const win = resolveWindow(op, x, [w[2], w[3]], attrs);
  const want = [N, O, win.output[0], win.output[1]];
  if (dy.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${op}: dy must have the convolution's output shape ${formatShape(want)}, got ${shapes}`);
  }
  return win;
}

/** A stated shape attribute (inputShape, weightShape) as a rank-4 shape of counts. */
export function shapeAttr(op: string, what: string, value: unknown): Shape {
  if (!Array.isArray(value) || value.length !== 4 || !value.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ShapeError(`${op}: ${what} must be four non-negative integers, got ${JSON.stringify(value)}`);
  }
  return value as Shape;
}
