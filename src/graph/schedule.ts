// The execution order of a graph: a topological sort of its nodes (Kahn's algorithm) that keeps
// the given order wherever the dependencies allow, so a traced graph comes out unchanged and a
// graph from elsewhere (an imported model) in a valid order. A value read before anything
// defines it, a value defined twice, or a cycle is a ShapeError naming the nodes.
import { ShapeError } from '../errors.js';
import { describeNode, type Graph, type Node, type ValueId } from './ir.js';

export function scheduleGraph(graph: Graph): Graph {
  const producer = new Map<ValueId, number>();
  graph.nodes.forEach((node, i) => {
    for (const id of node.outputs) {
      if (producer.has(id)) {
        throw new ShapeError(`${describeNode(node)}: value ${id} is also produced by ${describeNode(graph.nodes[producer.get(id)!])}`);
      }
      producer.set(id, i);
    }
  });
  const external = (id: ValueId) => graph.values[id]?.kind === 'input' || graph.values[id]?.kind === 'param';

  // waiting[i]: producers node i still waits for; readers[j]: nodes that read node j's outputs.
  const waiting = graph.nodes.map(() => 0);
  const readers: number[][] = graph.nodes.map(() => []);
  graph.nodes.forEach((node, i) => {
    const from = new Set<number>();
    for (const id of node.inputs) {
      if (id === null || external(id)) continue;
      const p = producer.get(id);
      if (p === undefined) throw new ShapeError(`${describeNode(node)}: reads value ${id}, which no node produces and is not an input or parameter`);
      from.add(p);
    }
    waiting[i] = from.size;
    for (const p of from) readers[p].push(i);
  });

  // Ready nodes, lowest original index first.
  const ready = graph.nodes.map((_, i) => i).filter((i) => waiting[i] === 0);
  const order: Node[] = [];
  while (ready.length > 0) {
    let at = 0;
    for (let k = 1; k < ready.length; k++) if (ready[k] < ready[at]) at = k;
    const i = ready.splice(at, 1)[0];
    order.push(graph.nodes[i]);
    for (const r of readers[i]) if (--waiting[r] === 0) ready.push(r);
  }
  if (order.length < graph.nodes.length) {
    const stuck = graph.nodes.filter((_, i) => waiting[i] > 0).map(describeNode);
    throw new ShapeError(`the graph has a cycle: ${stuck.join(', ')} can never run`);
  }
  for (const out of graph.outputs) {
    if (!external(out.id) && !producer.has(out.id)) throw new ShapeError(`output '${out.name}' is value ${out.id}, which no node produces`);
  }
  return order.every((n, i) => n === graph.nodes[i]) ? graph : { ...graph, nodes: order };
}
