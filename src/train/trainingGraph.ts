// The graph of one training step: the model's forward pass in training mode, the loss, the
// gradients (graph/reverse.ts) and the optimizer's updates, as one graph with state updates.
// Training mode differs from inference in two ops: dropout draws a mask (dropoutMask), and
// BatchNorm normalises with the batch's statistics and updates its running ones. No inference
// pass (BatchNorm folding, activation fusion) touches this graph.
import { ShapeError, UnsupportedError } from '../errors.js';
import type { Graph, StateUpdate, ValueId } from '../graph/ir.js';
import { appendGradients } from '../graph/reverse.js';
import { scheduleGraph } from '../graph/schedule.js';
import { Tracer, type SymbolicTensor } from '../graph/tracer.js';
import type { Module } from '../layers/module.js';
import { binaryOp } from '../ops/elementwise/binary.js';
import { dropoutMaskOp } from '../ops/elementwise/dropoutMask.js';
import { clipGradNorm } from '../ops/optim/clipGradNorm.js';
import { crossEntropy } from '../ops/loss/crossEntropy.js';
import { mse } from '../ops/loss/mse.js';
import { viewOp, type ViewAttrs } from '../ops/shape/reshape.js';
import { batchNorm2dOp, batchNormInputs, type BatchNormAttrs } from '../ops/norm/batchNorm2d.js';
import { batchNorm2dTrainOp, batchNorm2dTrainOutputs, type BatchNorm2dTrainAttrs } from '../ops/norm/batchNorm2dTrain.js';
import { formatShape, sizeOf, type Shape } from '../shape.js';
import type { Optimizer } from './optimizers.js';

export type LossName = 'crossEntropy' | 'mse';

export interface TrainingGraph {
  readonly graph: Graph;
  /** The model's parameters and buffers that a step changes, by state_dict key. */
  readonly state: ReadonlyMap<string, ValueId>;
  /** The [step, lr] tensor every update reads. */
  readonly clock: ValueId;
  /** The model's output (the loss's input) as traced: [N, …]. */
  readonly outputShape: Shape;
}

/**
 * The step graph for batches of `batch` examples. The backward ops of convolution and pooling
 * carry their input's shape, batch included, so a step graph serves one batch size.
 */
export function buildTrainingGraph(model: Module, loss: LossName, optimizer: Optimizer, seed: number, batch: number): TrainingGraph {
  const forward = scheduleGraph(model.trace(batch));
  if (forward.outputs.length !== 1) {
    throw new UnsupportedError(`compileTraining: the model has ${forward.outputs.length} outputs (${forward.outputs.map((o) => o.name).join(', ')}); training takes a model with one`);
  }
  const r = Tracer.extending(forward);
  const updates: StateUpdate[] = [];

  const clock = r.param('(training) clock', [2], () => Float32Array.of(0, optimizer.lr));
  const nextClock = r.runOp(binaryOp, [clock, r.constant(Float32Array.of(1, 0), [2])], { kind: 'add' })[0];
  updates.push({ target: clock.id, source: nextClock.id });

  updates.push(...toTrainingMode(r, nextClock, seed));

  const output = r.value(forward.outputs[0].id);
  const targetShape = loss === 'crossEntropy' ? output.shape.slice(0, -1) : output.shape;
  if (loss === 'crossEntropy' && output.shape.length < 1) throw new ShapeError(`compileTraining: crossEntropy needs logits [..., C], the model outputs ${formatShape(output.shape)}`);
  const target = r.input('target', targetShape, { 0: 'N' });
  const lossValue = loss === 'crossEntropy' ? crossEntropy(r, output, target) : mse(r, output, target);

  const params = new Map(model.namedParameters());
  const trainable = forward.values.filter((v) => v.kind === 'param' && v.name !== undefined && params.get(v.name)?.trainable);
  const grads = appendGradients(r, lossValue.id, trainable.map((v) => v.id));

  // The loss may not depend on a parameter: PyTorch leaves such a parameter alone too.
  const trained = trainable.filter((v) => grads.has(v.id));
  if (optimizer.clipGradNorm !== null) {
    const clipped = r.inScope('(clipGradNorm)', () => clipGradNorm(r, trained.map((v) => grads.get(v.id)!), optimizer.clipGradNorm!));
    trained.forEach((v, i) => grads.set(v.id, clipped[i]));
  }

  const state = new Map<string, ValueId>();
  for (const v of trained) {
    const grad = grads.get(v.id)!;
    const states = optimizer.stateNames.map((s) => r.param(`${v.name} (${optimizer.kind} ${s})`, v.shape, () => new Float32Array(sizeOf(v.shape))));
    const next = r.inScope(`${v.name} (${optimizer.kind})`, () => optimizer.update(r, r.value(v.id), grad, states, nextClock));
    updates.push({ target: v.id, source: next.param.id });
    states.forEach((s, i) => updates.push({ target: s.id, source: next.states[i].id }));
  }
  // Everything of the model's state dict that a step changes: trained weights, running statistics.
  for (const { target } of updates) {
    const name = r.values[target].name;
    if (name !== undefined && params.has(name)) state.set(name, target);
  }
  const graph = scheduleGraph({ ...r.finish([{ name: 'loss', value: lossValue }, { name: 'output', value: output }]), updates });
  return { graph, state, clock: clock.id, outputShape: output.shape };
}

/**
 * Rewrites the forward nodes to their training behaviour: dropout draws masks (seeded per layer
 * and step); BatchNorm uses the batch's statistics, and its running statistics (momentum 0.1, as
 * PyTorch's default) become state updates, which it returns.
 */
function toTrainingMode(r: Tracer, clock: SymbolicTensor, seed: number): StateUpdate[] {
  const updates: StateUpdate[] = [];
  r.nodes.forEach((node, i) => {
    if (node.op === batchNorm2dOp) {
      const x = r.values[node.inputs[batchNormInputs.x]!].shape;
      const stat = () => {
        const id = r.values.length;
        r.values.push({ id, kind: 'node', shape: [x[1]] });
        return id;
      };
      const outputs = [node.outputs[0], stat(), stat(), stat(), stat()];
      const attrs: BatchNorm2dTrainAttrs = { eps: (node.attrs as BatchNormAttrs).eps, momentum: 0.1 };
      r.nodes[i] = { ...node, op: batchNorm2dTrainOp as typeof node.op, attrs, outputs };
      for (const [input, output] of [['runningMean', 'runningMean'], ['runningVar', 'runningVar']] as const) {
        const target = node.inputs[batchNormInputs[input]]!;
        if (r.values[target].kind === 'param') updates.push({ target, source: outputs[batchNorm2dTrainOutputs[output]] });
      }
      return;
    }
    if (node.op === viewOp && (node.attrs as ViewAttrs).kind === 'dropout') {
      const { p } = node.attrs as Extract<ViewAttrs, { kind: 'dropout' }>;
      if (p === 0) return;
      r.nodes[i] = { ...node, op: dropoutMaskOp as typeof node.op, attrs: { p, seed: (Math.imul(seed, 0x9e3779b1) + i) >>> 0 }, inputs: [node.inputs[0], clock.id] };
    }
  });
  return updates;
}
