// The graph IR: values (graph inputs, named parameters, node results) and nodes that apply
// an op to values. Graphs are built by tracing a module (graph/tracer.ts), rewritten by the
// passes (graph/passes.ts), planned (graph/plan.ts) and run by a backend.
import type { OpDef } from '../ops/op.js';
import type { Shape } from '../shape.js';

export type ValueId = number;

export type ValueKind = 'input' | 'param' | 'node';

export interface Value {
  readonly id: ValueId;
  readonly kind: ValueKind;
  /** The shape seen when the graph was traced (batch as traced; plans re-infer for others). */
  readonly shape: Shape;
  /** Graph input name, or the parameter's PyTorch state_dict key. */
  readonly name?: string;
  /** For parameters: their elements, read when a session is compiled. */
  readonly data?: () => Float32Array;
}

export interface Node {
  readonly op: OpDef<unknown>;
  readonly attrs: unknown;
  readonly inputs: readonly (ValueId | null)[];
  readonly outputs: readonly ValueId[];
  /** Dotted name of the module that emitted the node ('' at the top), for errors and summaries. */
  readonly scope: string;
}

export interface GraphInput {
  readonly name: string;
  readonly id: ValueId;
  /** Dims that may differ from the traced shape at run time, by name ({ 0: 'N' }; [T, N, I] inputs: { 0: 'T', 1: 'N' }). */
  readonly dynamicDims?: Readonly<Record<number, string>>;
}

/**
 * State the graph changes: once a run has computed every node, the parameter `target` takes
 * the value of `source` (a training step's new weights, optimizer state, BatchNorm running
 * statistics). Parameters stay resident in the backend, so the next run sees the new values.
 */
export interface StateUpdate {
  readonly target: ValueId;
  readonly source: ValueId;
}

export interface Graph {
  readonly values: readonly Value[];
  /** In a valid execution order (tracing emits them so; passes keep it). */
  readonly nodes: readonly Node[];
  readonly inputs: readonly GraphInput[];
  readonly outputs: readonly { readonly name: string; readonly id: ValueId }[];
  /** Parameters overwritten at the end of every run (training graphs); none for inference. */
  readonly updates?: readonly StateUpdate[];
}

/** How many nodes read each value (graph outputs count as a reader). */
export function countReaders(graph: Graph): Map<ValueId, number> {
  const readers = new Map<ValueId, number>();
  const add = (id: ValueId) => readers.set(id, (readers.get(id) ?? 0) + 1);
  for (const node of graph.nodes) for (const id of node.inputs) if (id !== null) add(id);
  for (const out of graph.outputs) add(out.id);
  return readers;
}

/** The node that produces each node value. */
export function producers(graph: Graph): Map<ValueId, Node> {
  const map = new Map<ValueId, Node>();
  for (const node of graph.nodes) for (const id of node.outputs) map.set(id, node);
  return map;
}

/** A short description of a node for error messages: "features.0 (conv2d)". */
export function describeNode(node: Node): string {
  return node.scope ? `${node.scope} (${node.op.name})` : node.op.name;
}

/**
 * Whether two graphs compute the same thing: the same nodes with equal attributes over the same
 * value ids, and parameters with equal elements. Their traced shapes may differ — a graph traced
 * again for new input shapes that is the same computation can be planned for them as it is.
 */
export function sameComputation(a: Graph, b: Graph): boolean {
  const json = (v: unknown) => JSON.stringify(v);
  if (a.values.length !== b.values.length || a.nodes.length !== b.nodes.length) return false;
  if (json(a.inputs.map((i) => [i.name, i.id, i.dynamicDims])) !== json(b.inputs.map((i) => [i.name, i.id, i.dynamicDims]))) return false;
  if (json(a.outputs) !== json(b.outputs)) return false;
  const sameNodes = a.nodes.every((n, i) => {
    const m = b.nodes[i];
    return n.op === m.op && json(n.inputs) === json(m.inputs) && json(n.outputs) === json(m.outputs) && json(n.attrs) === json(m.attrs);
  });
  if (!sameNodes) return false;
  return a.values.every((v, i) => {
    const w = b.values[i];
    if (v.kind !== w.kind || v.name !== w.name) return false;
    if (v.kind !== 'param') return true;
    const x = v.data!();
    const y = w.data!();
    return x === y || (x.length === y.length && x.every((e, k) => Object.is(e, y[k])));
  });
}
