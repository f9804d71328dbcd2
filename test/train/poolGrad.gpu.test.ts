// The pooling gradients on WebGPU against the CPU reference: random windows (with ties, so the
// first-maximum rule is exercised), NaN and −∞ windows, adaptive and global average pooling.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../../src/backends/webgpu/webgpuBackend';
import * as nn from '../../src/index';
import { adaptiveAvgPool2dGradOp } from '../../src/ops/pool/adaptiveAvgPool2dGrad';
import { avgPool2dGradOp } from '../../src/ops/pool/avgPool2dGrad';
import { maxPool2dGradOp } from '../../src/ops/pool/maxPool2dGrad';
import type { PoolGradWindowAttrs } from '../../src/ops/pool/poolGradShapes';
import { paddingAttr, resolveWindow, type PaddingOption } from '../../src/ops/window';
import { createGpuBackend } from '../gpu';
import { cpu, expectClose, Random, twinTensors } from '../helpers';

type Shape4 = [number, number, number, number];

describe('pooling gradients (WebGPU vs CPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('max (values with ties) and avg over random windows, paddings, dilations, ceil mode, countIncludePad', async () => {
    const rng = new Random(94);
    let compared = 0;
    for (let trial = 0; trial < 30; trial++) {
      const x: Shape4 = [rng.int(1, 2), rng.int(1, 3), rng.int(1, 11), rng.int(1, 11)];
      const paddings: PaddingOption[] = [0, 1, [rng.int(0, 1), rng.int(0, 2)], [rng.int(0, 2), rng.int(0, 1), rng.int(0, 2), rng.int(0, 3)], 'same'];
      const attrs: PoolGradWindowAttrs = {
        kernel: [rng.int(1, 4), rng.int(1, 4)],
        stride: [rng.int(1, 4), rng.int(1, 4)],
        padding: paddingAttr(paddings[rng.int(0, paddings.length - 1)], 'padding'),
        dilation: [rng.int(1, 2), rng.int(1, 3)],
        ceilMode: rng.next() < 0.5,
      };
      let output: [number, number];
      try {
        output = resolveWindow('draw', x, attrs.kernel, attrs, attrs.ceilMode).output;
      } catch (e) {
        if (e instanceof nn.ShapeError) continue;
        throw e;
      }
      const what = `x [${x}] ${JSON.stringify(attrs)}`;
      // Few distinct values: most windows have a tied maximum.
      const values = Float32Array.from(rng.fill(x.reduce((a, d) => a * d), 0, 4), Math.floor);
      const [dyC, dyG] = twinTensors(rng, [x[0], x[1], ...output], gpu);
      const [want] = cpu.runOp(maxPool2dGradOp, [cpu.tensor(values, x), dyC], attrs);
      const [got] = gpu.runOp(maxPool2dGradOp, [gpu.tensor(values, x), dyG], attrs);
      expectClose(await got.data(), await want.data(), `max ${what}`);
      for (const countIncludePad of [true, false]) {
        const avg = { ...attrs, countIncludePad, inputShape: x };
        const [wantAvg] = cpu.runOp(avgPool2dGradOp, [dyC], avg);
        const [gotAvg] = gpu.runOp(avgPool2dGradOp, [dyG], avg);
        expectClose(await gotAvg.data(), await wantAvg.data(), `avg ${what} countIncludePad ${countIncludePad}`);
      }
      compared++;
    }
    expect(compared).toBeGreaterThan(15);
  });

  it('max: NaN and −∞ windows as the CPU', async () => {
    const data = [-Infinity, -Infinity, 1, NaN, 2, NaN, 3, 3];
    const attrs: PoolGradWindowAttrs = { kernel: [1, 2], stride: [1, 2], padding: [0, 0, 0, 0], dilation: [1, 1], ceilMode: false };
    const dy = [5, 7, 11, 13];
    const [want] = cpu.runOp(maxPool2dGradOp, [cpu.tensor(data, [1, 1, 4, 2]), cpu.tensor(dy, [1, 1, 4, 1])], attrs);
    const [got] = gpu.runOp(maxPool2dGradOp, [gpu.tensor(data, [1, 1, 4, 2]), gpu.tensor(dy, [1, 1, 4, 1])], attrs);
    expect(Array.from(await got.data())).toEqual(Array.from(await want.data()));
  });

  it('adaptive average pooling (overlapping bins) and global average pooling (1×1)', async () => {
    const rng = new Random(95);
    for (const [x, out] of [
      [[2, 3, 7, 5], [3, 2]],
      [[1, 2, 5, 5], [7, 3]],
      [[2, 4, 6, 6], [6, 6]],
      [[2, 5, 9, 7], [1, 1]],
    ] as [Shape4, [number, number]][]) {
      const [dyC, dyG] = twinTensors(rng, [x[0], x[1], ...out], gpu);
      const [want] = cpu.runOp(adaptiveAvgPool2dGradOp, [dyC], { inputShape: x });
      const [got] = gpu.runOp(adaptiveAvgPool2dGradOp, [dyG], { inputShape: x });
      expectClose(await got.data(), await want.data(), `adaptive x [${x}] -> [${out}]`);
    }
  });
});
