// Compiled graphs against the eager ops: the same kernels, the same numbers; the passes (BN
// folding, activation fusion) and the liveness planner change nothing but speed and memory.
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import type { SymbolicTensor } from '../src/graph/tracer';
import { Module, type ForwardContext } from '../src/layers/module';
import { activationOp } from '../src/ops/elementwise/activation';
import { batchNorm2dOp } from '../src/ops/norm/batchNorm2d';
import { scheduleGraph } from '../src/graph/schedule';
import { cpu, expectClose, Random } from './helpers';

const L = nn.layers;

/** Gives every BatchNorm non-trivial statistics, so folding has something to fold. */
function randomizeBatchNorm(model: nn.Module, seed: number): void {
  const rng = new Random(seed);
  for (const [name, p] of model.namedParameters()) {
    if (/running_var$/.test(name)) p.assign(rng.fill(p.size, 0.5, 2));
    else if (/running_mean$|bn.*(weight|bias)$|^\d+\.(weight|bias)$/.test(name) && p.shape.length === 1) p.assign(rng.fill(p.size, -0.5, 0.5));
  }
}

/** The eager reference of conv → BN → ReLU → maxpool → flatten → linear. */
function eagerSmallCnn(model: nn.Module, x: nn.Tensor): nn.Tensor {
  const p = (name: string) => {
    const e = model.stateDict().get(name)!;
    return cpu.tensor(e.data, e.shape as number[]);
  };
  const ops = cpu.ops;
  let y = ops.conv2d(x, p('0.weight'), p('0.bias'), { padding: 1 });
  y = ops.batchNorm2d(y, { weight: p('1.weight'), bias: p('1.bias'), runningMean: p('1.running_mean'), runningVar: p('1.running_var') });
  y = ops.relu(y);
  y = ops.maxPool2d(y, { kernelSize: 2 });
  y = ops.flatten(y);
  return ops.linear(y, p('5.weight'), p('5.bias'));
}

const smallCnn = () =>
  nn.sequential([L.conv2d(2, 4, 3, { padding: 1 }), L.batchNorm2d(4), L.relu(), L.maxPool2d(2), L.flatten(), L.linear(4 * 3 * 3, 5)], {
    inputShape: [2, 6, 6],
    seed: 3,
  });

class ResidualBlock extends Module {
  readonly type = 'ResidualBlock';
  readonly conv1 = this.addModule('conv1', L.conv2d(3, 3, 3, { padding: 1, bias: false }));
  readonly bn1 = this.addModule('bn1', L.batchNorm2d(3));
  readonly conv2 = this.addModule('conv2', L.conv2d(3, 3, 3, { padding: 1, bias: false }));
  readonly bn2 = this.addModule('bn2', L.batchNorm2d(3));

  constructor() {
    super();
    this.inputShapes = { input: [3, 5, 5] };
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    const y = ctx.ops.relu(ctx.call(this.bn1, ctx.call(this.conv1, x)));
    return ctx.ops.relu(ctx.ops.add(ctx.call(this.bn2, ctx.call(this.conv2, y)), x));
  }
}

/** A downsampling block as torchvision traces it: the 1×1 shortcut is computed after conv2. */
class DownsampleBlock extends Module {
  readonly type = 'DownsampleBlock';
  readonly conv1 = this.addModule('conv1', L.conv2d(3, 4, 3, { padding: 1, stride: 2, bias: false }));
  readonly conv2 = this.addModule('conv2', L.conv2d(4, 4, 3, { padding: 1 }));
  readonly bn2 = this.addModule('bn2', L.batchNorm2d(4));
  readonly down = this.addModule('down', L.conv2d(3, 4, 1, { stride: 2 }));

  constructor() {
    super();
    this.inputShapes = { input: [3, 5, 5] };
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    const y = ctx.ops.relu(ctx.call(this.conv1, x));
    const main = ctx.call(this.bn2, ctx.call(this.conv2, y));
    return ctx.ops.relu(ctx.ops.add(main, ctx.call(this.down, x)));
  }
}

describe('compiled graphs (CPU)', () => {
  it('conv → BN → ReLU → pool → linear equals the eager ops', async () => {
    const model = smallCnn();
    randomizeBatchNorm(model, 1);
    const x = cpu.tensor(new Random(2).fill(2 * 2 * 6 * 6), [2, 2, 6, 6]);
    const session = await nn.compile(model, cpu);
    const y = (await session.run(x)) as nn.Tensor;
    expect(y.shape).toEqual([2, 5]);
    expectClose(await y.data(), await eagerSmallCnn(model, x).data(), 'compiled vs eager');
    session.dispose();
  });

  it('folds BatchNorm into the convolution and fuses the activation, without changing results', async () => {
    const model = smallCnn();
    randomizeBatchNorm(model, 4);
    const optimized = await nn.compile(model, cpu);
    const plain = await nn.compile(model, cpu, { optimize: false });
    const ops = optimized.graph.nodes.map((n) => n.op);
    expect(ops).not.toContain(batchNorm2dOp);
    expect(ops).not.toContain(activationOp);
    expect(plain.graph.nodes.map((n) => n.op)).toContain(batchNorm2dOp);
    const x = cpu.tensor(new Random(5).fill(2 * 6 * 6), [1, 2, 6, 6]);
    expectClose(await ((await optimized.run(x)) as nn.Tensor).data(), await ((await plain.run(x)) as nn.Tensor).data(), 'folded vs plain');
  });

  it('a residual block equals the eager ops', async () => {
    const block = new ResidualBlock();
    randomizeBatchNorm(block, 6);
    const session = await nn.compile(block, cpu);
    const x = cpu.tensor(new Random(7).fill(2 * 3 * 5 * 5), [2, 3, 5, 5]);
    const state = block.stateDict();
    const p = (name: string) => cpu.tensor(state.get(name)!.data, state.get(name)!.shape as number[]);
    const bn = (y: nn.Tensor, k: string) =>
      cpu.ops.batchNorm2d(y, { weight: p(`${k}.weight`), bias: p(`${k}.bias`), runningMean: p(`${k}.running_mean`), runningVar: p(`${k}.running_var`) });
    const ops = cpu.ops;
    const y1 = ops.relu(bn(ops.conv2d(x, p('conv1.weight'), null, { padding: 1 }), 'bn1'));
    const ref = ops.relu(ops.add(bn(ops.conv2d(y1, p('conv2.weight'), null, { padding: 1 }), 'bn2'), x));
    expectClose(await ((await session.run(x)) as nn.Tensor).data(), await ref.data(), 'residual');
  });

  it('folds a residual add and its ReLU into a convolution (also when the other operand is computed after it)', async () => {
    for (const block of [new ResidualBlock(), new DownsampleBlock()]) {
      randomizeBatchNorm(block, 8);
      const optimized = await nn.compile(block, cpu);
      const plain = await nn.compile(block, cpu, { optimize: false });
      const nodes = optimized.graph.nodes;
      expect(nodes.map((n) => n.op.name)).toEqual(block instanceof DownsampleBlock ? ['conv2d', 'conv2d', 'conv2d'] : ['conv2d', 'conv2d']);
      // conv2, last, has the skip connection as its residual input and the ReLU fused.
      const last = nodes[nodes.length - 1];
      expect(last.inputs[3]).not.toBeNull();
      expect((last.attrs as { activation?: unknown }).activation).toEqual({ kind: 'relu' });
      const x = cpu.tensor(new Random(9).fill(2 * 3 * 5 * 5), [2, 3, 5, 5]);
      const [got, want] = [await optimized.run(x), await plain.run(x)] as nn.Tensor[];
      expectClose(await got.data(), await want.data(), `${block.type}: fused vs plain`);
    }
  });

  it('an LSTM followed by a linear layer equals the eager ops', async () => {
    const model = nn.sequential([L.lstm(4, 6, { numLayers: 2, bidirectional: true }), L.linear(12, 3)], { inputShape: [2, 4], seed: 9 });
    const session = await nn.compile(model, cpu);
    const x = cpu.tensor(new Random(8).fill(5 * 2 * 4), [5, 2, 4]);
    const state = model.stateDict();
    const params: Record<string, nn.Tensor> = {};
    for (const [name, e] of state) if (name.startsWith('0.')) params[name.slice(2)] = cpu.tensor(e.data, e.shape as number[]);
    const seq = cpu.ops.lstm(x, params, { hiddenSize: 6, numLayers: 2, bidirectional: true }).output;
    const w = state.get('1.weight')!;
    const b = state.get('1.bias')!;
    const ref = cpu.ops.linear(seq, cpu.tensor(w.data, w.shape as number[]), cpu.tensor(b.data, b.shape as number[]));
    const y = (await session.run(x)) as nn.Tensor;
    expect(y.shape).toEqual([5, 2, 3]);
    expectClose(await y.data(), await ref.data(), 'lstm + linear');
  });

  it('plans intermediates by liveness: a chain needs two buffers, a residual block three', async () => {
    const chain = nn.sequential([L.conv2d(1, 2, 3, { padding: 1 }), L.maxPool2d(2), L.conv2d(2, 2, 3, { padding: 1 }), L.avgPool2d(2), L.flatten(), L.linear(8, 2)], {
      inputShape: [1, 8, 8],
    });
    const chainSession = await nn.compile(chain, cpu);
    const chainExe = await chainSession.executableFor([[1, 1, 8, 8]]);
    expect(chainSession.graph.nodes.length).toBe(6);
    expect(chainExe.stats.buffers).toBe(2);

    const block = await nn.compile(new ResidualBlock(), cpu);
    // conv1 → y1, conv2(y1) → y2, add(y2, x) → y3: x is the input, so two slots ping-pong plus one for the sum.
    expect((await block.executableFor([[1, 3, 5, 5]])).stats.buffers).toBeLessThanOrEqual(3);
  });

  it('re-plans once for a new batch size; batch rows match single runs; outputs survive later runs', async () => {
    const model = smallCnn();
    const session = await nn.compile(model, cpu);
    const rng = new Random(11);
    const a = rng.fill(72);
    const b = rng.fill(72);
    const ya = (await session.run(cpu.tensor(a, [1, 2, 6, 6]))) as nn.Tensor;
    const yb = (await session.run(cpu.tensor(b, [1, 2, 6, 6]))) as nn.Tensor;
    const both = new Float32Array(144);
    both.set(a);
    both.set(b, 72);
    const y2 = (await session.run(cpu.tensor(both, [2, 2, 6, 6]))) as nn.Tensor;
    const d2 = await y2.data();
    expectClose(d2.subarray(0, 5), await ya.data(), 'row 0');
    expectClose(d2.subarray(5), await yb.data(), 'row 1');
    expect(await session.executableFor([[2, 2, 6, 6]])).toBe(await session.executableFor([[2, 2, 6, 6]]));
  });

  it('names the node in shape errors and rejects wrong inputs with typed errors', async () => {
    const bad = nn.sequential([L.linear(10, 5), L.linear(6, 2)], { inputShape: [10] });
    await expect(nn.compile(bad, cpu)).rejects.toThrow(nn.ShapeError);
    await expect(nn.compile(bad, cpu)).rejects.toThrow(/^1: .*linear/);
    expect(() => bad.summary()).toThrow(/1: /);

    const session = await nn.compile(smallCnn(), cpu);
    await expect(session.run(cpu.tensor(new Float32Array(50), [1, 2, 5, 5]))).rejects.toThrow(/expects \[N, 2, 6, 6\]/);
    const other = await nn.createBackend('cpu');
    await expect(session.run(other.tensor(new Float32Array(72), [1, 2, 6, 6]))).rejects.toThrow(nn.ShapeError);
    await expect(session.run({ nope: cpu.zeros([1, 2, 6, 6]) } as never)).rejects.toThrow(/unknown input/);
    session.dispose();
    await expect(session.run(cpu.zeros([1, 2, 6, 6]))).rejects.toThrow(/disposed/);
    expect(() => nn.sequential([L.relu()]).summary()).toThrow(/no input shape/);
  });

  it('summary() lists leaf layers with shapes, parameters and MACs, and allocates nothing', () => {
    const model = smallCnn();
    const s = model.summary();
    expect(s.layers.map((l) => [l.name, l.type])).toEqual([
      ['0', 'Conv2d'],
      ['1', 'BatchNorm2d'],
      ['2', 'ReLU'],
      ['3', 'MaxPool2d'],
      ['4', 'Flatten'],
      ['5', 'Linear'],
    ]);
    expect(s.layers[0].outputShape).toEqual([1, 4, 6, 6]);
    expect(s.layers[0].params).toBe(4 * 2 * 9 + 4);
    expect(s.layers[0].macs).toBe(4 * 6 * 6 * 2 * 9);
    expect(s.layers[1].params).toBe(8); // running statistics are buffers, not parameters
    expect(s.totalParams).toBe(76 + 8 + 36 * 5 + 5);
    expect(s.totalMacs).toBe(4 * 6 * 6 * 2 * 9 + 36 * 5);
    expect(String(s)).toMatch(/Conv2d\s+\[1, 4, 6, 6\]\s+76\s+2,592/);
    expect(model.namedParameters().some(([, p]) => p.isMaterialized)).toBe(false);
  });
});

describe('scheduling', () => {
  it('orders shuffled nodes topologically, keeps a valid order as it is, and rejects cycles and undefined values', async () => {
    const block = new ResidualBlock();
    const traced = block.trace(1);
    expect(scheduleGraph(traced)).toBe(traced);
    const shuffled = { ...traced, nodes: [...traced.nodes].reverse() };
    const scheduled = scheduleGraph(shuffled);
    expect(scheduled.nodes).toEqual(traced.nodes);

    const [first, second] = traced.nodes;
    const cycle = { ...traced, nodes: [{ ...first, inputs: [second.outputs[0], ...first.inputs.slice(1)] }, ...traced.nodes.slice(1)] };
    expect(() => scheduleGraph(cycle)).toThrow(/cycle: conv1 \(conv2d\), .* can never run/);
    const dangling = { ...traced, nodes: [{ ...first, inputs: [9999, ...first.inputs.slice(1)] }, ...traced.nodes.slice(1)] };
    expect(() => scheduleGraph(dangling)).toThrow(/reads value 9999, which no node produces/);
  });
});
