// The convolution gradients on WebGPU against the CPU reference: random shapes and options, with
// the software adapter's kernels and (tuning 'gpu') the GPU's, plus ResNet- and LeNet-like layers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../../src/backends/webgpu/webgpuBackend';
import * as nn from '../../src/index';
import { conv2dAttrs, conv2dGradBias, type Conv2dOptions } from '../../src/ops/conv/conv2d';
import { conv2dGradInputOp } from '../../src/ops/conv/conv2dGradInput';
import { conv2dGradWeightOp } from '../../src/ops/conv/conv2dGradWeight';
import { resolveWindow, type PaddingOption } from '../../src/ops/window';
import { createGpuBackend } from '../gpu';
import { cpu, expectClose, Random, twinTensors } from '../helpers';

type Shape4 = [number, number, number, number];
interface Case {
  x: Shape4;
  w: Shape4;
  opts: Conv2dOptions;
}

function randomCase(rng: Random): Case {
  for (;;) {
    const groups = [1, 1, 2, 3][rng.int(0, 3)];
    const depthwise = rng.next() < 0.2;
    const C = depthwise ? rng.int(1, 6) : groups * rng.int(1, 5);
    const g = depthwise ? C : groups;
    const x: Shape4 = [rng.int(1, 3), C, rng.int(1, 12), rng.int(1, 12)];
    const w: Shape4 = [g * rng.int(1, 6), C / g, rng.int(1, 5), rng.int(1, 5)];
    const paddings: PaddingOption[] = [0, 1, 2, [rng.int(0, 3), rng.int(0, 1)], [rng.int(0, 2), rng.int(0, 4), rng.int(0, 3), rng.int(0, 2)], 'same'];
    const opts: Conv2dOptions = {
      stride: [rng.int(1, 3), rng.int(1, 3)],
      dilation: [rng.int(1, 2), rng.int(1, 3)],
      padding: paddings[rng.int(0, paddings.length - 1)],
      groups: g,
    };
    try {
      resolveWindow('draw', x, [w[2], w[3]], conv2dAttrs(opts));
      return { x, w, opts };
    } catch (e) {
      if (!(e instanceof nn.ShapeError)) throw e;
    }
  }
}

/**
 * Fixed layers: with tuning 'gpu', ≥ 32 channels per group take the tiled kernel for dx (kernels
 * kept small: SwiftShader runs the GPU variants slowly), and a 1×1 stride-1 layer the GEMM;
 * strided, depthwise and LeNet's layers.
 */
const LAYERS: Case[] = [
  { x: [1, 32, 6, 6], w: [33, 32, 3, 1], opts: { padding: [1, 0] } },
  { x: [1, 32, 7, 7], w: [32, 32, 1, 3], opts: { stride: 2, padding: [0, 1] } },
  { x: [2, 33, 4, 4], w: [40, 33, 1, 1], opts: {} },
  { x: [2, 16, 5, 5], w: [24, 16, 1, 1], opts: { stride: 2 } },
  { x: [1, 32, 8, 8], w: [32, 1, 3, 3], opts: { padding: 1, groups: 32 } },
  { x: [2, 1, 28, 28], w: [6, 1, 5, 5], opts: { padding: 2 } },
  { x: [2, 6, 14, 14], w: [16, 6, 5, 5], opts: {} },
];

describe.each(['auto', 'gpu'] as const)('convolution gradients (WebGPU, tuning %s) vs CPU', (tuning) => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend({ tuning });
  });
  afterAll(() => gpu?.dispose());

  async function check(rng: Random, c: Case): Promise<void> {
    const attrs = conv2dAttrs(c.opts);
    const y = [c.x[0], c.w[0], ...resolveWindow('case', c.x, [c.w[2], c.w[3]], attrs).output];
    const what = `x [${c.x}] w [${c.w}] ${JSON.stringify(c.opts)}`;
    const [dyC, dyG] = twinTensors(rng, y, gpu);
    const [wC, wG] = twinTensors(rng, c.w, gpu);
    const [xC, xG] = twinTensors(rng, c.x, gpu);
    const gradInput = { ...attrs, inputShape: c.x };
    const [dxWant] = cpu.runOp(conv2dGradInputOp, [dyC, wC], gradInput);
    const [dxGot] = gpu.runOp(conv2dGradInputOp, [dyG, wG], gradInput);
    expect(dxGot.shape).toEqual(c.x);
    expectClose(await dxGot.data(), await dxWant.data(), `dx ${what}`);
    const gradWeight = { ...attrs, weightShape: c.w };
    const [dwWant] = cpu.runOp(conv2dGradWeightOp, [xC, dyC], gradWeight);
    const [dwGot] = gpu.runOp(conv2dGradWeightOp, [xG, dyG], gradWeight);
    expectClose(await dwGot.data(), await dwWant.data(), `dw ${what}`);
    const dbWant = conv2dGradBias(cpu, dyC);
    const dbGot = conv2dGradBias(gpu, dyG);
    expectClose(await dbGot.data(), await dbWant.data(), `db ${what}`);
  }

  it('random shapes, strides, dilations, paddings, groups and depthwise', async () => {
    const rng = new Random(tuning === 'auto' ? 91 : 92);
    for (let trial = 0; trial < 10; trial++) await check(rng, randomCase(rng));
  });

  it('ResNet-, MobileNet- and LeNet-like layers', async () => {
    const rng = new Random(93);
    for (const c of LAYERS) await check(rng, c);
  });
});
