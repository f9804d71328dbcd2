// Helpers for the training-step tests: a training graph run op by op with eager ops (the
// reference for the compiled step), and LeNet batches.
import type { BackendBase } from '../src/backends/backendBase';
import type { Graph } from '../src/graph/ir';
import { Random } from '../src/random';
import type { Tensor } from '../src/tensor';

/**
 * Runs `graph` node by node through `backend`'s eager ops (runOp), as if there were no compiler:
 * returns the outputs by name and the new value of every updated parameter, by parameter name.
 */
export async function runOpByOp(backend: BackendBase, graph: Graph, inputs: Record<string, Tensor>) {
  const values = new Map<number, Tensor>();
  for (const v of graph.values) if (v.kind === 'param') values.set(v.id, backend.tensor(v.data!().slice(), v.shape));
  for (const input of graph.inputs) values.set(input.id, inputs[input.name]);
  for (const node of graph.nodes) {
    const outs = backend.runOp(node.op, node.inputs.map((id) => (id === null ? null : values.get(id)!)), node.attrs);
    node.outputs.forEach((id, k) => values.set(id, outs[k]));
  }
  const outputs = Object.fromEntries(await Promise.all(graph.outputs.map(async (o) => [o.name, await values.get(o.id)!.data()] as const)));
  const updated = Object.fromEntries(
    await Promise.all((graph.updates ?? []).map(async (u) => [graph.values[u.target].name!, await values.get(u.source)!.data()] as const)),
  );
  return { outputs, updated };
}

/** A random batch of 28×28 images and class indices. */
export function lenetBatch(backend: BackendBase, n: number, seed: number): { x: Tensor; t: Tensor } {
  const rng = new Random(seed);
  return { x: backend.tensor(rng.fill(n * 784, -0.5, 2.5), [n, 1, 28, 28]), t: backend.tensor(Float32Array.from({ length: n }, () => rng.int(0, 9)), [n]) };
}
