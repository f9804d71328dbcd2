// The oracle of conv2d (see ops/oracle.ts): for every output, the sum over the group's input
// channels and the kernel taps, skipping taps that fall in the padding; then bias, then the
// residual (a fused skip connection) if any, then the fused activation if any.
import { activate, type Activation } from '../elementwise/activation.js';
import type { OracleResult, OracleTensor } from '../oracle.js';
import { samePads, type Pads } from '../window.js';

export interface Conv2dOracleOptions {
  readonly stride: readonly [number, number];
  readonly padding: Pads | 'same';
  readonly dilation: readonly [number, number];
  readonly groups: number;
  readonly activation?: Activation;
}

// x [N, C, H, W], w [O, C/groups, kh, kw], b [O] | null -> y [N, O, OH, OW]
export function conv2dOracle(x: OracleTensor, w: OracleTensor, b: OracleTensor | null, o: Conv2dOracleOptions, residual: OracleTensor | null = null): OracleResult {
  const [N, C, H, W] = x.shape;
  const [O, Cg, kh, kw] = w.shape;
  const [sh, sw] = o.stride;
  const [dh, dw] = o.dilation;
  const [pt, pl, pb, pr] = o.padding === 'same' ? samePads([H, W], [kh, kw], [sh, sw], [dh, dw]) : o.padding;
  const OH = Math.floor((H + pt + pb - (kh - 1) * dh - 1) / sh) + 1;
  const OW = Math.floor((W + pl + pr - (kw - 1) * dw - 1) / sw) + 1;
  const y = new Float64Array(N * O * OH * OW);
  let at = 0;
  for (let n = 0; n < N; n++)
    for (let oc = 0; oc < O; oc++) {
      const g = Math.floor(oc / (O / o.groups));
      for (let oy = 0; oy < OH; oy++)
        for (let ox = 0; ox < OW; ox++) {
          let s = b ? b.data[oc] : 0;
          for (let ci = 0; ci < Cg; ci++)
            for (let ky = 0; ky < kh; ky++)
              for (let kx = 0; kx < kw; kx++) {
                const iy = oy * sh - pt + ky * dh;
                const ix = ox * sw - pl + kx * dw;
                if (iy < 0 || iy >= H || ix < 0 || ix >= W) continue;
                s += x.data[((n * C + g * Cg + ci) * H + iy) * W + ix] * w.data[((oc * Cg + ci) * kh + ky) * kw + kx];
              }
          if (residual) s += residual.data[at];
          y[at++] = o.activation ? activate(s, o.activation) : s;
        }
    }
  return { data: y, shape: [N, O, OH, OW] };
}
