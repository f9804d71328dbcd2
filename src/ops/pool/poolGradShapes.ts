// Shape checks shared by the pooling gradients: the forward pooling x [N, C, H, W] ->
// y [N, C, OH, OW] they differentiate, from its window attributes.
import { ShapeError } from '../../errors.js';
import { formatShape, type Shape } from '../../shape.js';
import { resolveWindow, type Pair, type PaddingAttr, type Window2d } from '../window.js';

/** The forward pooling's window (pool2d's attributes without mode and countIncludePad). */
export interface PoolGradWindowAttrs {
  readonly kernel: Pair;
  readonly stride: Pair;
  readonly padding: PaddingAttr;
  readonly dilation: Pair;
  readonly ceilMode: boolean;
}

/** Checks x [N, C, H, W] and dy [N, C, OH, OW] against the window; returns the window. */
export function checkPoolGrad(op: string, x: Shape | null, dy: Shape | null, attrs: PoolGradWindowAttrs): Window2d {
  if (!x || x.length !== 4 || !dy || dy.length !== 4) {
    throw new ShapeError(`${op}: x [N, C, H, W] and dy [N, C, OH, OW] must have rank 4, got x ${formatShape(x)}, dy ${formatShape(dy)}`);
  }
  if (typeof attrs.ceilMode !== 'boolean') throw new ShapeError(`${op}: ceilMode must be true or false, got ${String(attrs.ceilMode)}`);
  const win = resolveWindow(op, x, attrs.kernel, attrs, attrs.ceilMode);
  const want = [x[0], x[1], ...win.output];
  if (dy.some((d, i) => d !== want[i])) {
    throw new ShapeError(`${op}: dy must have the pooling's output shape ${formatShape(want)} for x ${formatShape(x)}, got ${formatShape(dy)}`);
  }
  return win;
}

/** The stated input shape attribute, with dy's batch (a graph traced at one batch size runs at others). */
export function inputShapeAttr(op: string, value: unknown, dy: Shape | null): Shape {
  if (!Array.isArray(value) || value.length !== 4 || !value.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new ShapeError(`${op}: inputShape must be four non-negative integers [N, C, H, W], got ${JSON.stringify(value)}`);
  }
  return [dy && dy.length === 4 ? dy[0] : value[0], value[1], value[2], value[3]];
}
