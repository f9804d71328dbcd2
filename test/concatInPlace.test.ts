// The planner's side of concats written in place (graph/plan.ts): which concats qualify, where
// each slice goes, and that the concat's storage lives from its first slice to its last reader.
import { describe, expect, it } from 'vitest';
import type { Node } from '../src/graph/ir';
import { optimizeGraph } from '../src/graph/passes';
import { planGraph, type PlanOptions } from '../src/graph/plan';
import type { SymbolicTensor } from '../src/graph/tracer';
import * as nn from '../src/index';
import { Module, type ForwardContext } from '../src/layers/module';
import { concatOp } from '../src/ops/shape/concat';
import { conv2dOp } from '../src/ops/conv/conv2d';

const L = nn.layers;
const everywhere: PlanOptions = { writesSlice: () => true };

/** Two convolutions joined along `dim`; with `reuse`, the first branch goes into a second concat too; `pooled` pools the second. */
class Join extends Module {
  readonly type = 'Join';
  readonly a = this.addModule('a', L.conv2d(2, 3, 1));
  readonly b = this.addModule('b', L.conv2d(2, 5, 3, { padding: 1 }));
  constructor(private readonly dim: number, private readonly reuse = false, private readonly pooled = false) {
    super();
  }
  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    const a = ctx.call(this.a, x);
    const b = this.pooled ? ctx.ops.maxPool2d(ctx.call(this.b, x), { kernelSize: 1 }) : ctx.call(this.b, x);
    const y = ctx.ops.concat(this.dim === 1 ? [a, b] : [a, ctx.call(this.a, x)], { dim: this.dim });
    // Reused: a is read by a second concat too.
    return this.reuse ? ctx.ops.concat([y, ctx.ops.relu(a)], { dim: 1 }) : y;
  }
}

const plan = (model: Module, options: PlanOptions, shape = [2, 2, 4, 4]) => {
  const graph = optimizeGraph(model.trace(shape[0], undefined, [{ name: 'input', shape, dynamicDims: { 0: 'N' } }]));
  return { graph, plan: planGraph(graph, [shape], options) };
};

describe('concats written in place (plan)', () => {
  it('gives each branch a slice of the concat: its channel offset, the images a whole output apart, the same slot', () => {
    const { graph, plan: p } = plan(new Join(1), everywhere);
    const concat = graph.nodes.findIndex((n) => n.op === concatOp);
    expect(p.inPlace[concat]).toBe(true);
    const out = graph.nodes[concat].outputs[0];
    const [a, b] = graph.nodes[concat].inputs as number[];
    expect(p.slices[a]).toEqual({ of: out, offset: 0, batchStride: 8 * 16 });
    expect(p.slices[b]).toEqual({ of: out, offset: 3 * 16, batchStride: 8 * 16 });
    expect(p.slotOf[a]).toBe(p.slotOf[out]);
    expect(p.slotOf[b]).toBe(p.slotOf[out]);
    expect(p.slotSizes[p.slotOf[out]]).toBeGreaterThanOrEqual(2 * 8 * 16);
  });

  it('copies where the backend refuses a producer, along other dims, and without plan options', () => {
    const onlyConvsAtZero: PlanOptions = { writesSlice: (producer, byteOffset) => producer.op === conv2dOp && byteOffset === 0 };
    for (const [model, options] of [
      [new Join(1), onlyConvsAtZero],
      [new Join(1, false, true), { writesSlice: (producer: Node) => producer.op === conv2dOp }],
      [new Join(1, true), everywhere],
      [new Join(0), everywhere],
      [new Join(1), {}],
    ] as const) {
      const { graph, plan: p } = plan(model, options);
      expect(p.inPlace[graph.nodes.findIndex((n) => n.op === concatOp)]).toBe(false);
      expect(p.slices.every((s) => s === null)).toBe(true);
    }
  });
});
