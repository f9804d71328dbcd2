// Builds a graph by running a model's forward functions over symbolic tensors. The tracer is
// an OpRunner like a backend, so layers call the same op table (makeOps) in both worlds; each
// op's shape rule runs as the node is added, and its errors are prefixed with the module name.
import { NNError, ShapeError } from '../errors.js';
import { makeOps, type Ops } from '../ops/index.js';
import type { GradRunner, OpDef } from '../ops/op.js';
import type { Shape } from '../shape.js';
import type { Graph, GraphInput, Node, Value, ValueId, ValueKind } from './ir.js';

/** A tensor inside a graph being traced: a shape and an id, no data. */
export class SymbolicTensor {
  /** @internal */
  constructor(
    readonly tracer: Tracer,
    readonly id: ValueId,
    readonly shape: Shape,
  ) {}
}

export class Tracer implements GradRunner<SymbolicTensor> {
  readonly ops: Ops<SymbolicTensor> = makeOps<SymbolicTensor>(this);
  readonly values: Value[] = [];
  readonly nodes: Node[] = [];
  readonly #params = new Map<string, SymbolicTensor>();
  readonly #scopes: string[] = [];
  readonly inputs: GraphInput[] = [];
  #constants = 0;

  /** A tracer that continues `graph`: new nodes are appended to a copy of its values and nodes. */
  static extending(graph: Graph): Tracer {
    const t = new Tracer();
    t.values.push(...graph.values);
    t.nodes.push(...graph.nodes);
    t.inputs.push(...graph.inputs);
    for (const v of graph.values) if (v.kind === 'param' && v.name !== undefined) t.#params.set(v.name, new SymbolicTensor(t, v.id, v.shape));
    return t;
  }

  /** The symbolic tensor of a value already in the graph. */
  value(id: ValueId): SymbolicTensor {
    const v = this.values[id];
    if (!v) throw new ShapeError(`value ${id} is not in this graph`);
    return new SymbolicTensor(this, id, v.shape);
  }

  /** A fixed tensor of the computation (a scale, a row of ones); not part of any state dict. */
  constant(values: Float32Array, shape: Shape): SymbolicTensor {
    const data = Float32Array.from(values);
    return this.param(`(constant ${this.#constants++})`, shape, () => data);
  }

  get scope(): string {
    return this.#scopes.join('.');
  }

  /** Runs `fn` with `name` appended to the dotted scope (a module call). */
  inScope<R>(name: string, fn: () => R): R {
    if (name) this.#scopes.push(name);
    try {
      return fn();
    } finally {
      if (name) this.#scopes.pop();
    }
  }

  /** A graph input; `dynamicDims` names the dims that may change between runs (default the batch, dim 0). */
  input(name: string, shape: Shape, dynamicDims: Readonly<Record<number, string>> = { 0: 'N' }): SymbolicTensor {
    const t = this.#newValue('input', shape, name);
    this.inputs.push({ name, id: t.id, dynamicDims });
    return t;
  }

  /** The value of a named parameter; one value per name however often it is used. */
  param(name: string, shape: Shape, data: () => Float32Array): SymbolicTensor {
    let t = this.#params.get(name);
    if (!t) {
      t = this.#newValue('param', shape, name, data);
      this.#params.set(name, t);
    }
    return t;
  }

  runOp<A>(op: OpDef<A>, inputs: readonly (SymbolicTensor | null)[], attrs: A): SymbolicTensor[] {
    const where = this.scope ? `${this.scope}: ` : '';
    inputs.forEach((t, i) => {
      if (t !== null && !(t instanceof SymbolicTensor && t.tracer === this)) {
        throw new ShapeError(`${where}${op.name}: input ${i} is not a value of this graph (got ${String(t)}); inside forward, use ctx.ops`);
      }
    });
    let shapes: Shape[];
    try {
      shapes = op.inferShapes(
        inputs.map((t) => t?.shape ?? null),
        attrs,
      );
    } catch (e) {
      // Name the node: the op's own message says what is wrong with which shape.
      if (e instanceof NNError && where) {
        const named = new (e.constructor as new (m: string) => NNError)(`${where}${e.message}`);
        throw named;
      }
      throw e;
    }
    const outs = shapes.map((s) => this.#newValue('node', s));
    this.nodes.push({
      op: op as OpDef<unknown>,
      attrs,
      inputs: inputs.map((t) => t?.id ?? null),
      outputs: outs.map((t) => t.id),
      scope: this.scope,
    });
    return outs;
  }

  finish(outputs: readonly { name: string; value: SymbolicTensor }[]): Graph {
    return {
      values: this.values,
      nodes: this.nodes,
      inputs: this.inputs,
      outputs: outputs.map((o) => ({ name: o.name, id: o.value.id })),
    };
  }

  #newValue(kind: ValueKind, shape: Shape, name?: string, data?: () => Float32Array): SymbolicTensor {
    const id = this.values.length;
    this.values.push({ id, kind, shape, name, data });
    return new SymbolicTensor(this, id, shape);
  }
}
