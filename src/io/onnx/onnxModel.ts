// An imported ONNX graph as a model: a Module whose float32 initializers are its named
// parameters (loadWeights/saveWeights use the initializer names) and whose trace interprets the
// ONNX nodes with concrete input shapes — real ops through nodeOps' translations, the shape glue
// folded (glue.ts). Because folding bakes the input shapes in, a model with dynamic dims
// (dim_param) is re-traced for each new input shape (Session caches one plan per shape).
import { ModelFormatError, NNError, ShapeError, UnsupportedError } from '../../errors.js';
import type { Graph } from '../../graph/ir.js';
import { SymbolicTensor, Tracer } from '../../graph/tracer.js';
import { makeSummary, Module, type ForwardResult, type LayerSummary, type ModelSummary } from '../../layers/module.js';
import { formatShape, type Shape } from '../../shape.js';
import { applyGlue, isGlue } from './glue.js';
import { applyOnnxNode, type OnnxConstant, type OnnxContext, type OnnxInput } from './nodeOps.js';
import type { OnnxGraph, OnnxGraphInput } from './onnxGraph.js';

type Value = OnnxInput<SymbolicTensor>;

export interface ImportOnnxOptions {
  /**
   * Input shapes by name to trace the model with (summary, compile's first plan) where the file
   * leaves dims beyond the batch dynamic and 1 does not fit (a LeNet with dynamic height and
   * width); the dims stay dynamic at run time. A dynamic first dim is traced as the batch.
   */
  readonly inputShapes?: Readonly<Record<string, Shape>>;
}

export class OnnxModel extends Module {
  readonly type = 'OnnxModel';
  /** The ONNX graph as read from the file. */
  readonly onnx: OnnxGraph;
  /** Non-float32 initializers (shapes, indices): constants of the graph, not parameters. */
  readonly #constants: OnnxConstant[] = [];

  /** The shapes to trace with, by input (options.inputShapes, checked against the file's dims). */
  readonly #traceShapes: ReadonlyMap<string, Shape>;

  constructor(graph: OnnxGraph, options: ImportOnnxOptions = {}) {
    super();
    this.onnx = graph;
    const given = options.inputShapes ?? {};
    for (const name of Object.keys(given)) {
      if (!graph.inputs.some((i) => i.name === name)) {
        throw new ShapeError(`importOnnx: inputShapes names '${name}', the model's inputs are ${graph.inputs.map((i) => `'${i.name}'`).join(', ')}`);
      }
    }
    this.#traceShapes = new Map(
      graph.inputs.flatMap((input) => {
        const shape = Object.hasOwn(given, input.name) ? given[input.name] : undefined;
        if (!shape) return [];
        if (shape.length !== input.dims.length || input.dims.some((d, k) => !Number.isSafeInteger(shape[k]) || shape[k] < 0 || (typeof d === 'number' && d !== shape[k]))) {
          throw new ShapeError(`importOnnx: inputShapes['${input.name}'] is ${formatShape(shape)}, the model's input is [${input.dims.join(', ')}]`);
        }
        return [[input.name, shape] as const];
      }),
    );
    for (const init of graph.initializers) {
      if (init.dtype === 'float32') {
        const data = init.data as Float32Array;
        this.addParameter(init.name!, init.shape, { kind: 'values', values: () => data });
      } else {
        this.#constants.push(init);
      }
    }
    this.inputShapes = Object.fromEntries(this.#shapesFor(1).map((shape, i) => [graph.inputs[i].name, shape.slice(1)]));
  }

  /** Unused: trace() interprets the ONNX graph directly. */
  forward(): ForwardResult {
    throw new NNError('OnnxModel: forward() is not used; compile the model or call trace()');
  }

  /** The input names and dims, dynamic ones by name: [{ name: 'input', dims: ['N', 1, 28, 28] }]. */
  get inputs(): readonly OnnxGraphInput[] {
    return this.onnx.inputs;
  }

  /** The traced shapes for `batch`: a dynamic first dim is `batch`, other dynamic dims come from inputShapes or are 1. */
  #shapesFor(batch: number): Shape[] {
    return this.onnx.inputs.map((input) => {
      const given = this.#traceShapes.get(input.name);
      return input.dims.map((d, i) => (typeof d === 'number' ? d : i === 0 ? batch : (given?.[i] ?? 1)));
    });
  }

  /** @internal */
  override trace(batch = 1): Graph {
    return this.#build(this.#shapesFor(batch)).graph;
  }

  /** @internal */
  override traceForShapes(shapes: readonly Shape[]): Graph | null {
    if (!this.onnx.inputs.some((i) => i.dims.some((d) => typeof d === 'string'))) return null;
    this.#checkShapes(shapes);
    return this.#build(shapes).graph;
  }

  /** One row per ONNX node that computes (folded glue is not a layer), named as in the file. */
  override summary(): ModelSummary {
    const { graph, layers } = this.#build(this.#shapesFor(1));
    const macsByScope = new Map<string, number>();
    let totalMacs = 0;
    for (const node of graph.nodes) {
      const macs = node.op.macs?.(node.inputs.map((id) => (id === null ? null : graph.values[id].shape)), node.attrs) ?? 0;
      macsByScope.set(node.scope, (macsByScope.get(node.scope) ?? 0) + macs);
      totalMacs += macs;
    }
    const rows = layers.map((l) => ({ ...l, macs: macsByScope.get(l.name) ?? 0 }));
    return makeSummary(rows, this.parameterCount(), totalMacs);
  }

  #checkShapes(shapes: readonly Shape[]): void {
    const inputs = this.onnx.inputs;
    if (shapes.length !== inputs.length) throw new ShapeError(`run: the model takes ${inputs.length} input(s), got ${shapes.length}`);
    inputs.forEach((input, i) => {
      const s = shapes[i];
      if (s.length !== input.dims.length || input.dims.some((d, k) => typeof d === 'number' && d !== s[k])) {
        throw new ShapeError(`run: input '${input.name}' has shape ${formatShape(s)}, the model expects [${input.dims.join(', ')}]`);
      }
    });
  }

  /** Interprets the ONNX graph for these input shapes. */
  #build(shapes: readonly Shape[]): { graph: Graph; layers: LayerSummary[] } {
    this.#checkShapes(shapes);
    const tracer = new Tracer();
    const env = new Map<string, Value>();
    this.onnx.inputs.forEach((input, i) => {
      const dynamic = Object.fromEntries(input.dims.flatMap((d, k) => (typeof d === 'string' ? [[k, d]] : [])));
      env.set(input.name, { kind: 'tensor', value: tracer.input(input.name, shapes[i], dynamic), name: input.name });
    });
    const params = new Map(this.ownParameters());
    const paramData = new Map<string, Float32Array>();
    for (const [name, p] of params) {
      const data = p.value(this.seed, name);
      paramData.set(name, data);
      env.set(name, { kind: 'constant', dtype: 'float32', shape: p.shape, data, name });
    }
    for (const c of this.#constants) env.set(c.name!, c);

    const used = new Set<string>([...this.onnx.nodes.flatMap((n) => n.inputs), ...this.onnx.outputs]);
    const layers: LayerSummary[] = [];
    const counted = new Set<string>();
    let made = 0;
    for (const node of this.onnx.nodes) {
      const what = `ONNX node '${node.name}' (${node.opType})`;
      const inputs = node.inputs.map((name) => (name === '' ? null : env.get(name)!));
      const ctx: OnnxContext<SymbolicTensor> = {
        // An initializer used as it is stays its named parameter; anything the translation made
        // (reordered recurrent weights, scalars, folded values) is a constant of the graph.
        constant: (data, shape, name) =>
          name !== undefined && paramData.get(name) === data
            ? tracer.param(name, shape, () => data)
            : tracer.param(`${node.name}:constant${made++}`, shape, () => data),
      };
      const results = tracer.inScope(node.name, (): (Value | null)[] => {
        try {
          if (isGlue(node.opType, inputs)) {
            if (node.outputs.length !== 1) throw new ModelFormatError(`${what}: has ${node.outputs.length} outputs, expected 1`);
            return [applyGlue({ ops: tracer.ops, constant: ctx.constant }, { ...node, opset: this.onnx.opset, what }, inputs)];
          }
          const outputs = applyOnnxNode(tracer.ops, ctx, { ...node, opset: this.onnx.opset, outputs: node.outputs.map((o) => o !== '' && used.has(o)) }, inputs);
          return outputs.map((t) => (t === null ? null : { kind: 'tensor', value: t }));
        } catch (e) {
          if (e instanceof NNError && !e.message.includes(node.name)) throw new (e.constructor as new (m: string) => NNError)(`${what}: ${e.message}`);
          throw e;
        }
      });
      node.outputs.forEach((name, i) => {
        const value = results[i];
        if (name !== '' && value) env.set(name, { ...value, name });
      });
      const first = results[0];
      if (first?.kind === 'tensor') {
        const own = node.inputs.filter((n) => params.has(n) && !counted.has(n));
        own.forEach((n) => counted.add(n));
        layers.push({ name: node.name, type: node.opType, outputShape: first.value.shape, params: own.reduce((s, n) => s + params.get(n)!.trainableSize, 0), macs: 0 });
      }
    }
    const outputs = this.onnx.outputs.map((name) => {
      const value = env.get(name)!;
      if (value.kind !== 'tensor') throw new UnsupportedError(`ONNX: graph output '${name}' is a constant (folded at import); only computed outputs are supported`);
      return { name: this.onnx.outputs.length === 1 ? 'output' : name, value: value.value };
    });
    return { graph: tracer.finish(outputs), layers };
  }
}
