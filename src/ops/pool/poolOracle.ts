// The oracles of pooling (see ops/oracle.ts): windows one tap at a time, global pooling as a
// reduction over every position after dim 1, adaptive pooling over PyTorch's bins.
import type { OracleResult, OracleTensor } from '../oracle.js';
import { count } from '../oracle.js';
import { samePads, type Pads } from '../window.js';

export interface Pool2dOracleOptions {
  readonly mode: 'max' | 'avg';
  readonly kernel: readonly [number, number];
  readonly stride: readonly [number, number];
  readonly padding: Pads | 'same';
  readonly dilation: readonly [number, number];
  readonly ceilMode: boolean;
  readonly countIncludePad: boolean;
}

/**
 * x [N, C, H, W] -> y [N, C, OH, OW]. A tap inside the input is a real cell; one in the padding
 * counts for countIncludePad only; one past the padding (ceil mode's overhang) never does.
 * A window with no real cell gives −∞ (max) or 0/0 (avg without padding cells), as PyTorch.
 */
export function pool2dOracle(x: OracleTensor, o: Pool2dOracleOptions): OracleResult {
  const [N, C, H, W] = x.shape;
  const [kh, kw] = o.kernel;
  const [sh, sw] = o.stride;
  const [dh, dw] = o.dilation;
  const [pt, pl, pb, pr] = o.padding === 'same' ? samePads([H, W], [kh, kw], [sh, sw], [dh, dw]) : o.padding;
  const size = (n: number, k: number, s: number, d: number, before: number, after: number) => {
    const span = n + before + after - (k - 1) * d - 1;
    let out = (o.ceilMode ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    if (o.ceilMode && (out - 1) * s >= n + before) out--; // a last window may not start in the trailing padding
    return out;
  };
  const OH = size(H, kh, sh, dh, pt, pb);
  const OW = size(W, kw, sw, dw, pl, pr);
  const y = new Float64Array(N * C * OH * OW);
  let at = 0;
  for (let plane = 0; plane < N * C; plane++)
    for (let oy = 0; oy < OH; oy++)
      for (let ox = 0; ox < OW; ox++) {
        let max = -Infinity;
        let sum = 0;
        let real = 0;
        let padded = 0;
        for (let ky = 0; ky < kh; ky++)
          for (let kx = 0; kx < kw; kx++) {
            const iy = oy * sh - pt + ky * dh;
            const ix = ox * sw - pl + kx * dw;
            if (iy >= 0 && iy < H && ix >= 0 && ix < W) {
              const v = x.data[(plane * H + iy) * W + ix];
              max = v > max || Number.isNaN(v) ? v : max;
              sum += v;
              real++;
            }
            if (iy >= -pt && iy < H + pb && ix >= -pl && ix < W + pr) padded++;
          }
        y[at++] = o.mode === 'max' ? max : sum / (o.countIncludePad ? padded : real);
      }
  return { data: y, shape: [N, C, OH, OW] };
}

/** x [N, C, …] -> y [N, C, 1, …]: the mean or max of each (sample, channel). */
export function globalPoolOracle(x: OracleTensor, mode: 'max' | 'avg'): OracleResult {
  const [N, C] = x.shape;
  const area = count(x.shape.slice(2));
  const y = new Float64Array(N * C);
  for (let p = 0; p < N * C; p++) {
    let max = -Infinity;
    let sum = 0;
    for (let i = 0; i < area; i++) {
      const v = x.data[p * area + i];
      max = v > max || Number.isNaN(v) ? v : max;
      sum += v;
    }
    y[p] = mode === 'max' ? max : sum / area;
  }
  return { data: y, shape: [N, C, ...x.shape.slice(2).map(() => 1)] };
}

/** x [N, C, H, W] -> y [N, C, OH, OW]: output i averages input [floor(i·n/out), ceil((i+1)·n/out)). */
export function adaptiveAvgPool2dOracle(x: OracleTensor, [OH, OW]: readonly [number, number]): OracleResult {
  const [N, C, H, W] = x.shape;
  const y = new Float64Array(N * C * OH * OW);
  let at = 0;
  for (let p = 0; p < N * C; p++)
    for (let i = 0; i < OH; i++)
      for (let j = 0; j < OW; j++) {
        const [y0, y1] = [Math.floor((i * H) / OH), Math.ceil(((i + 1) * H) / OH)];
        const [x0, x1] = [Math.floor((j * W) / OW), Math.ceil(((j + 1) * W) / OW)];
        let sum = 0;
        for (let r = y0; r < y1; r++) for (let c = x0; c < x1; c++) sum += x.data[(p * H + r) * W + c];
        y[at++] = sum / ((y1 - y0) * (x1 - x0));
      }
  return { data: y, shape: [N, C, OH, OW] };
}
