// Planning a graph for concrete input shapes: every value's shape, and a storage slot for
// every intermediate chosen by liveness, so a run reuses a few buffers instead of one per
// value. View ops (reshape, flatten, dropout) alias their input's storage and extend its life.
import { NNError, ShapeError } from '../errors.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../shape.js';
import { describeNode, type Graph, type Node, type ValueId } from './ir.js';

export interface Plan {
  /** Shape of every value for these inputs. */
  readonly shapes: readonly Shape[];
  /** The value whose storage each value uses (itself, or the source of a chain of views). */
  readonly storageOf: readonly ValueId[];
  /** Slot index for every node value that owns storage; -1 for inputs and parameters. */
  readonly slotOf: readonly number[];
  /** Elements each slot must hold (the largest value assigned to it). */
  readonly slotSizes: readonly number[];
}

/** Re-infers every shape for `inputShapes` (one per graph input, in order). */
export function inferGraphShapes(graph: Graph, inputShapes: readonly Shape[]): Shape[] {
  if (inputShapes.length !== graph.inputs.length) {
    throw new ShapeError(`run: the model takes ${graph.inputs.length} input(s), got ${inputShapes.length}`);
  }
  const shapes: Shape[] = graph.values.map((v) => v.shape);
  graph.inputs.forEach((input, i) => {
    const traced = graph.values[input.id].shape;
    const given = inputShapes[i];
    const dynamic = input.dynamicDims ?? { 0: 'N' };
    const fixed = (shape: Shape) => shape.filter((_, k) => !(k in dynamic));
    if (given.length !== traced.length || !sameShape(fixed(given), fixed(traced))) {
      const expected = traced.map((d, k) => dynamic[k] ?? d).join(', ');
      throw new ShapeError(`run: input '${input.name}' has shape ${formatShape(given)}, the model expects [${expected}]`);
    }
    shapes[input.id] = given;
  });
  for (const node of graph.nodes) {
    let outs: Shape[];
    try {
      outs = node.op.inferShapes(
        node.inputs.map((id) => (id === null ? null : shapes[id])),
        node.attrs,
      );
    } catch (e) {
      if (e instanceof NNError) throw new (e.constructor as new (m: string) => NNError)(`${describeNode(node)}: ${e.message}`);
      throw e;
    }
    node.outputs.forEach((id, k) => (shapes[id] = outs[k]));
  }
  return shapes;
}

export function planGraph(graph: Graph, inputShapes: readonly Shape[]): Plan {
  const shapes = inferGraphShapes(graph, inputShapes);
  const storageOf = graph.values.map((v) => v.id);
  for (const node of graph.nodes) {
    if (node.op.view) storageOf[node.outputs[0]] = storageOf[node.inputs[0]!];
  }

  // Last node index that reads each storage; graph outputs live to the end.
  const lastUse = new Map<ValueId, number>();
  graph.nodes.forEach((node: Node, i) => {
    for (const id of node.inputs) if (id !== null) lastUse.set(storageOf[id], i);
  });
  for (const out of graph.outputs) lastUse.set(storageOf[out.id], Infinity);
  for (const u of graph.updates ?? []) lastUse.set(storageOf[u.source], Infinity);

  const slotOf = graph.values.map(() => -1);
  const slotSizes: number[] = [];
  const free: number[] = [];
  graph.nodes.forEach((node, i) => {
    if (!node.op.view) {
      for (const id of node.outputs) slotOf[id] = takeSlot(free, slotSizes, sizeOf(shapes[id]));
    }
    // Release after allocating, so a node never writes into a buffer it reads.
    for (const id of new Set([...node.inputs, ...node.outputs])) {
      if (id === null) continue;
      const root = storageOf[id];
      if (graph.values[root].kind === 'node' && (lastUse.get(root) ?? i) <= i && slotOf[root] >= 0 && !free.includes(slotOf[root])) {
        free.push(slotOf[root]);
      }
    }
  });
  for (const node of graph.nodes) if (node.op.view) slotOf[node.outputs[0]] = slotOf[storageOf[node.outputs[0]]];
  return { shapes, storageOf, slotOf, slotSizes };
}

/** Best fit: the smallest free slot that holds `size`, else the largest free one (grown), else a new one. */
function takeSlot(free: number[], sizes: number[], size: number): number {
  let best = -1;
  for (const s of free) {
    const fits = sizes[s] >= size;
    if (best < 0) best = s;
    else if (fits && (sizes[best] < size || sizes[s] < sizes[best])) best = s;
    else if (!fits && sizes[best] < size && sizes[s] > sizes[best]) best = s;
  }
  if (best < 0) {
    sizes.push(size);
    return sizes.length - 1;
  }
  free.splice(free.indexOf(best), 1);
  sizes[best] = Math.max(sizes[best], size);
  return best;
}
