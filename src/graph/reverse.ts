// Reverse mode over the graph IR (as in tinygrad and JAX): gradient nodes are appended to the
// same graph, so a training step is one graph that the liveness planner and the backends treat
// like any other. Walking the nodes backwards from the loss, each op's gradient rule
// (OpDef.grad) turns the gradients of its outputs into gradients of its inputs, emitting
// ordinary nodes; a value read several times sums the gradients of its readers.
import { NNError, UnsupportedError } from '../errors.js';
import { binaryOp } from '../ops/elementwise/binary.js';
import { formatShape, sameShape } from '../shape.js';
import { describeNode, type Node, type ValueId } from './ir.js';
import type { SymbolicTensor, Tracer } from './tracer.js';

/**
 * Appends to `tracer` the nodes computing d loss / d v for every value in `wrt`, where `loss` is
 * a scalar value of the graph. Returns each gradient (absent where the loss does not depend on
 * the value). Throws UnsupportedError naming the first node on the way whose op has no rule.
 */
export function appendGradients(tracer: Tracer, loss: ValueId, wrt: readonly ValueId[]): Map<ValueId, SymbolicTensor> {
  const forward = [...tracer.nodes];
  // Values that depend on something in `wrt`: only they need gradients.
  const needed = new Set(wrt);
  for (const node of forward) {
    if (node.inputs.some((id) => id !== null && needed.has(id))) for (const id of node.outputs) needed.add(id);
  }
  const grads = new Map<ValueId, SymbolicTensor>();
  if (!needed.has(loss)) return grads;
  keepForGradients(tracer, forward, needed);
  const lossShape = tracer.values[loss].shape;
  if (lossShape.length !== 0) throw new NNError(`gradients: the loss must be a scalar [], got ${formatShape(lossShape)}`);
  grads.set(loss, tracer.constant(Float32Array.of(1), []));

  for (let i = forward.length - 1; i >= 0; i--) {
    const node = forward[i];
    const dys = node.outputs.map((id) => grads.get(id) ?? null);
    const needs = node.inputs.map((id) => id !== null && needed.has(id));
    if (dys.every((d) => d === null) || !needs.some(Boolean)) continue;
    if (!node.op.grad) {
      throw new UnsupportedError(`${describeNode(node)}: ${node.op.name} has no gradient rule, so the model cannot be trained through it`);
    }
    const inputs = node.inputs.map((id) => (id === null ? null : tracer.value(id)));
    const outputs = node.outputs.map((id) => tracer.value(id));
    const dxs = tracer.inScope(node.scope, () => node.op.grad!(tracer, { inputs, outputs, dys, needs, attrs: node.attrs }));
    node.inputs.forEach((id, k) => {
      const dx = dxs[k];
      if (id === null || !needs[k] || !dx) return;
      const shape = tracer.values[id].shape;
      if (!sameShape(dx.shape, shape)) {
        throw new NNError(`${describeNode(node)}: the gradient rule of ${node.op.name} gave ${formatShape(dx.shape)} for input ${k} of shape ${formatShape(shape)}`);
      }
      const sum = grads.get(id);
      grads.set(id, sum ? tracer.runOp(binaryOp, [sum, dx], { kind: 'add' })[0] : dx);
    });
  }
  return new Map(wrt.flatMap((id) => (grads.has(id) ? [[id, grads.get(id)!] as const] : [])));
}

/**
 * Switches the nodes on the gradient's way whose op keeps values for its backward (OpDef.keepForGrad)
 * to those attributes: their extra outputs become new values of the graph (in `forward` too).
 */
function keepForGradients(tracer: Tracer, forward: Node[], needed: ReadonlySet<ValueId>): void {
  forward.forEach((node, i) => {
    const keep = node.op.keepForGrad;
    if (!keep || !node.inputs.some((id) => id !== null && needed.has(id))) return;
    const attrs = keep(node.attrs);
    const shapes = node.op.inferShapes(node.inputs.map((id) => (id === null ? null : tracer.values[id].shape)), attrs);
    const extra = shapes.slice(node.outputs.length).map((shape) => {
      const id = tracer.values.length;
      tracer.values.push({ id, kind: 'node', shape });
      return id;
    });
    const index = tracer.nodes.indexOf(node);
    forward[i] = { ...node, attrs, outputs: [...node.outputs, ...extra] };
    tracer.nodes[index] = forward[i];
  });
}
