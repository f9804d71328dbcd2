// dropoutMask: dropout in training. Each element is kept with probability 1 − p and scaled by
// 1 / (1 − p), else zeroed (torch.nn.Dropout). The mask is a hash of the element's index, the
// training step (clock[0]) and a seed, so it is drawn afresh every step, identically on the CPU
// and in WGSL, and never stored: the gradient is the same op applied to dy.
import dropoutWgsl from '../../../shaders/elementwise/dropout_mask.wgsl?raw';
import { grid, uniforms } from '../kernel.js';
import { ShapeError } from '../../errors.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../../shape.js';
import type { OpDef, OpRunner } from '../op.js';

export interface DropoutMaskAttrs {
  readonly p: number;
  /** Distinguishes the dropout layers of one model (and models from each other). */
  readonly seed: number;
}

/** Chris Wellons' lowbias32 integer hash (u32 → u32), the same in dropout_mask.wgsl. */
function hash(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x7feb352d);
  x ^= x >>> 15;
  x = Math.imul(x, 0x846ca68b);
  x ^= x >>> 16;
  return x >>> 0;
}

/** Whether element i is kept at `step`: a uniform 24-bit draw in [0, 1) compared with p. */
export function keeps(i: number, step: number, seed: number, p: number): boolean {
  const h = hash((i ^ hash((step >>> 0) ^ hash(seed >>> 0))) >>> 0);
  return (h >>> 8) / 16777216 >= Math.fround(p); // p as the shader holds it
}

export const dropoutMaskOp: OpDef<DropoutMaskAttrs> = {
  name: 'dropoutMask',
  inferShapes([x, clock], { p }) {
    if (!x || !clock || !sameShape(clock, [2])) throw new ShapeError(`dropout: needs x and the training clock [2], got ${formatShape(x)}, ${formatShape(clock)}`);
    if (!(p >= 0 && p <= 1)) throw new ShapeError(`dropout: p must be in [0, 1], got ${p}`);
    return [x];
  },
  // x [...], clock [step, lr] -> y [...]
  cpu([x, clock], [y], { p, seed }) {
    const step = clock!.data[0];
    const scale = p < 1 ? 1 / (1 - p) : 0;
    for (let i = 0; i < y.data.length; i++) y.data[i] = keeps(i, step, seed, p) ? x!.data[i] * scale : 0;
  },
  gpu(k, [x, clock], [y], { p, seed }) {
    const n = sizeOf(y.shape);
    k.dispatch({
      shader: { label: 'dropout_mask', code: dropoutWgsl },
      uniforms: uniforms().u32(n, seed >>> 0).f32(p, p < 1 ? 1 / (1 - p) : 0).bytes(),
      bindings: [x!, clock!, y],
      workgroups: grid(n, 256),
    });
  },
  // Linear in x with the same mask: dx = dropoutMask(dy).
  grad: (r, { inputs: [, clock], dys: [dy], attrs }) => [r.runOp(dropoutMaskOp, [dy!, clock], attrs)[0], null],
};

type Shaped = { readonly shape: Shape };

export const dropoutMask = <T extends Shaped>(r: OpRunner<T>, x: T, clock: T, attrs: DropoutMaskAttrs): T => r.runOp(dropoutMaskOp, [x, clock], attrs)[0];
