// The backward ops inside a compiled graph on WebGPU: one traced module chaining them (strided
// input gradient, training BatchNorm with its running statistics, its gradient, the weight
// gradient), run twice with different inputs, against the same graph compiled for the CPU.
// The second run checks that nothing of the first lingers (the zeros of the spread-out dy).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../../src/backends/webgpu/webgpuBackend';
import type { SymbolicTensor } from '../../src/graph/tracer';
import * as nn from '../../src/index';
import { conv2dAttrs } from '../../src/ops/conv/conv2d';
import { conv2dGradInputOp } from '../../src/ops/conv/conv2dGradInput';
import { conv2dGradWeightOp } from '../../src/ops/conv/conv2dGradWeight';
import { batchNorm2dTrainOp } from '../../src/ops/norm/batchNorm2dTrain';
import { batchNorm2dTrainGradOp } from '../../src/ops/norm/batchNorm2dTrainGrad';
import { createGpuBackend } from '../gpu';
import { cpu, expectClose, Random } from '../helpers';

class BackwardChain extends nn.Module {
  readonly type = 'BackwardChain';
  constructor() {
    super();
    this.addParameter('w', [4, 3, 3, 3], { kind: 'uniform', bound: 1 });
    this.addParameter('gamma', [3], { kind: 'uniform', bound: 1 });
    this.addParameter('beta', [3], { kind: 'uniform', bound: 1 });
    this.addParameter('runningMean', [3], { kind: 'uniform', bound: 1 }, false);
    this.addParameter('runningVar', [3], { kind: 'constant', value: 1 }, false);
    this.inputShapes = { input: [4, 5, 5] };
  }

  forward(ctx: nn.ForwardContext, dy: SymbolicTensor) {
    const r = dy.tracer;
    const N = dy.shape[0];
    const conv = conv2dAttrs({ stride: 2, padding: 1 });
    const [dx] = r.runOp(conv2dGradInputOp, [dy, ctx.param('w')], { ...conv, inputShape: [N, 3, 9, 9] });
    const [y, mean, invstd, runningMean, runningVar] = r.runOp(
      batchNorm2dTrainOp,
      [dx, ctx.param('gamma'), ctx.param('beta'), ctx.param('runningMean'), ctx.param('runningVar')],
      { eps: 1e-5, momentum: 0.1 },
    );
    const [dxBn] = r.runOp(batchNorm2dTrainGradOp, [y, dx, ctx.param('gamma'), mean, invstd], {});
    const [dw] = r.runOp(conv2dGradWeightOp, [y, dy], { ...conv, weightShape: [4, 3, 3, 3] });
    return { dxBn, dw, runningMean, runningVar };
  }
}

describe('backward ops in a compiled graph (WebGPU vs CPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it('two runs of one executable match the CPU graph', async () => {
    const model = new BackwardChain();
    const onGpu = await nn.compile(model, gpu);
    const onCpu = await nn.compile(model, cpu);
    const rng = new Random(98);
    for (let run = 0; run < 2; run++) {
      const data = rng.fill(2 * 4 * 5 * 5, -1, 1);
      const got = (await onGpu.run(gpu.tensor(data, [2, 4, 5, 5]))) as Record<string, nn.Tensor>;
      const want = (await onCpu.run(cpu.tensor(data, [2, 4, 5, 5]))) as Record<string, nn.Tensor>;
      expect(Object.keys(got).sort()).toEqual(['dw', 'dxBn', 'runningMean', 'runningVar']);
      for (const name of Object.keys(want)) expectClose(await got[name].data(), await want[name].data(), `run ${run}: ${name}`);
    }
    onGpu.dispose();
    onCpu.dispose();
  });
});
