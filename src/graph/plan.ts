// Planning a graph for concrete input shapes: every value's shape, and a storage slot for
// every intermediate chosen by liveness, so a run reuses a few buffers instead of one per
// value. View ops (reshape, flatten, dropout) alias their input's storage and extend its life.
// A concat along channels whose every input is written by a node the backend lets write a
// slice (PlanOptions.writesSlice: WebGPU convolutions) is done in place: its output gets its
// slot when the first of those nodes runs, each input is a slice of it, and the concat itself
// has nothing left to do (Plan.inPlace).
import { NNError, ShapeError } from '../errors.js';
import { concatOp, type ConcatAttrs } from '../ops/shape/concat.js';
import { formatShape, normalizeAxis, sameShape, sizeOf, type Shape } from '../shape.js';
import { countReaders, describeNode, producers, type Graph, type Node, type ValueId } from './ir.js';

/** What a backend lets the planner do beyond giving every value its own storage. */
export interface PlanOptions {
  /**
   * Whether `producer` may write its output straight into a channel slice of a concat's output,
   * `byteOffset` bytes into that output's buffer. Absent: every concat copies.
   */
  writesSlice?(producer: Node, byteOffset: number): boolean;
}

/** A value stored as a channel slice of another (a concat's output): images `batchStride` elements apart. */
export interface Slice {
  readonly of: ValueId;
  /** Elements from the start of `of` to the slice's first element. */
  readonly offset: number;
  readonly batchStride: number;
}

export interface Plan {
  /** Shape of every value for these inputs. */
  readonly shapes: readonly Shape[];
  /** The value whose storage each value uses (itself, or the source of a chain of views). */
  readonly storageOf: readonly ValueId[];
  /** Slot index for every node value that owns storage; -1 for inputs and parameters. */
  readonly slotOf: readonly number[];
  /** Elements each slot must hold (the largest value assigned to it). */
  readonly slotSizes: readonly number[];
  /** Per value: the concat output it is written into as a slice, else null. */
  readonly slices: readonly (Slice | null)[];
  /** Per node: true for a concat its producers write in place (nothing to run). */
  readonly inPlace: readonly boolean[];
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

export function planGraph(graph: Graph, inputShapes: readonly Shape[], options: PlanOptions = {}): Plan {
  const shapes = inferGraphShapes(graph, inputShapes);
  const storageOf = graph.values.map((v) => v.id);
  const { slices, inPlace } = concatsInPlace(graph, shapes, options);
  slices.forEach((s, id) => s && (storageOf[id] = s.of));
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
      for (const id of node.outputs) {
        // A slice takes its concat's slot, allocated by the first slice written (an in-place concat finds it allocated).
        const root = storageOf[id];
        if (slotOf[root] < 0) slotOf[root] = takeSlot(free, slotSizes, sizeOf(shapes[root]));
        slotOf[id] = slotOf[root];
      }
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
  return { shapes, storageOf, slotOf, slotSizes, slices, inPlace };
}

/**
 * The concats done in place: along dim 1 (channels of [N, C, H, W]; each image's part of an input
 * is one block), every input a distinct node value that only the concat reads (no graph output,
 * no state update), written by a node of one output that `writesSlice` accepts at its offset.
 */
function concatsInPlace(graph: Graph, shapes: readonly Shape[], { writesSlice }: PlanOptions): { slices: (Slice | null)[]; inPlace: boolean[] } {
  const slices: (Slice | null)[] = graph.values.map(() => null);
  const inPlace = graph.nodes.map(() => false);
  if (!writesSlice) return { slices, inPlace };
  const readers = countReaders(graph);
  for (const u of graph.updates ?? []) readers.set(u.source, Infinity);
  const made = producers(graph);
  graph.nodes.forEach((node, i) => {
    if (node.op !== concatOp) return;
    const out = node.outputs[0];
    const y = shapes[out];
    if (y.length < 2 || normalizeAxis((node.attrs as ConcatAttrs).dim, y.length, 'concat') !== 1) return;
    const inner = sizeOf(y.slice(2));
    const ids = node.inputs;
    let channel = 0;
    const planned: [ValueId, Slice][] = [];
    for (const id of ids) {
      if (id === null) return;
      const producer = made.get(id);
      const offset = channel * inner;
      channel += shapes[id][1];
      // Not a concat's output: slices of slices are not planned.
      if (!producer || producer.op.view || producer.op === concatOp || producer.outputs.length !== 1 || readers.get(id) !== 1 || ids.indexOf(id) !== ids.lastIndexOf(id)) return;
      if (!writesSlice(producer, offset * 4)) return;
      planned.push([id, { of: out, offset, batchStride: y[1] * inner }]);
    }
    for (const [id, slice] of planned) slices[id] = slice;
    inPlace[i] = true;
  });
  return { slices, inPlace };
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
