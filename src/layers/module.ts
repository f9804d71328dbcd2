// Modules: PyTorch-like building blocks that own named parameters and describe their forward
// computation over symbolic tensors. A module tree is traced into a graph (graph/ir.ts) for
// compile() and summary(); parameter names are the dotted PyTorch state_dict keys.
import { ShapeError, WeightsError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { SymbolicTensor, Tracer } from '../graph/tracer.js';
import { fetchBytes, type BytesSource, type FetchBytesOptions } from '../io/fetchBytes.js';
import { Tensor } from '../tensor.js';
import { FLOAT_DTYPES, float32Tensor, quoteName, readSafetensors, toFloat32, writeSafetensors } from '../io/safetensors.js';
import type { Ops } from '../ops/index.js';
import { Random } from '../random.js';
import { checkShape, formatShape, sameShape, sizeOf, type Shape } from '../shape.js';

/** How a parameter's default (seeded) values are drawn. */
export type Init =
  | { readonly kind: 'uniform'; readonly bound: number }
  | { readonly kind: 'constant'; readonly value: number }
  | { readonly kind: 'values'; readonly values: (rng: Random) => Float32Array };

export class Parameter {
  /** The elements; allocated on first use (summary() allocates nothing). */
  #data: Float32Array | undefined;

  constructor(
    readonly shape: Shape,
    readonly init: Init,
    /** False for buffers such as BatchNorm's running statistics (not counted by summary). */
    readonly trainable = true,
    /**
     * For a sparsely connected weight (LeNet-5's C3): 1 where an element is a real connection. The
     * others are fixed zeros that the module's forward masks out; summary() does not count them.
     */
    readonly mask?: Uint8Array,
  ) {}

  get size(): number {
    return sizeOf(this.shape);
  }

  /** The elements summary() counts: none for a buffer, the real connections of a masked weight. */
  get trainableSize(): number {
    if (!this.trainable) return 0;
    return this.mask ? this.mask.reduce((n, m) => n + (m ? 1 : 0), 0) : this.size;
  }

  get isMaterialized(): boolean {
    return this.#data !== undefined;
  }

  /** The elements, drawing the seeded defaults the first time. */
  value(seed: number, fullName: string): Float32Array {
    if (!this.#data) this.#data = initialValues(this, seed, fullName);
    return this.#data;
  }

  /** Replaces the elements (loadWeights); the caller has checked the length. */
  assign(data: Float32Array): void {
    this.#data = data;
  }
}

function initialValues(p: Parameter, seed: number, fullName: string): Float32Array {
  const n = p.size;
  switch (p.init.kind) {
    case 'constant':
      return new Float32Array(n).fill(p.init.value);
    case 'uniform':
      return new Random(seedFor(seed, fullName)).fill(n, -p.init.bound, p.init.bound);
    case 'values':
      return p.init.values(new Random(seedFor(seed, fullName)));
  }
}

/** A per-parameter seed, so one parameter's defaults do not depend on which others exist. */
function seedFor(seed: number, name: string): number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619);
  return h >>> 0;
}

export type ForwardResult = SymbolicTensor | SymbolicTensor[] | { [name: string]: SymbolicTensor };

/** What a module's forward sees: the op table over symbolic tensors, its parameters, its children. */
export interface ForwardContext {
  readonly ops: Ops<SymbolicTensor>;
  /** The module's own parameter (or buffer) `name` as a graph value. */
  param(name: string): SymbolicTensor;
  /**
   * Calls a child module registered with addModule. A child whose forward returns a record
   * (a recurrent layer with `returnState`) gives that record; any other child one tensor.
   */
  call<R extends { readonly [name: string]: SymbolicTensor | undefined }>(
    child: Module & { forward(ctx: ForwardContext, ...inputs: SymbolicTensor[]): R },
    ...inputs: SymbolicTensor[]
  ): R;
  call(child: Module, ...inputs: SymbolicTensor[]): SymbolicTensor;
  /** The parameter `name` if the module has one, else null (optional biases). */
  optionalParam(name: string): SymbolicTensor | null;
  /** A fixed tensor of the computation that is not part of the state dict (a scale, a mask). */
  constant(name: string, shape: Shape, values: Float32Array): SymbolicTensor;
}

/** @internal A graph input of a trace: its shape, and the dims that may change between runs with their names. */
export interface TraceInput {
  readonly name: string;
  readonly shape: Shape;
  readonly dynamicDims: Readonly<Record<number, string>>;
}

export interface LayerSummary {
  /** Dotted PyTorch module name. */
  readonly name: string;
  /** Module type, as in PyTorch ('Conv2d', 'Linear', …). */
  readonly type: string;
  /** Output shape for a batch of 1. */
  readonly outputShape: Shape;
  /** Trainable parameters owned by the layer. */
  readonly params: number;
  /** Multiply-accumulates per sample. */
  readonly macs: number;
}

export interface ModelSummary {
  readonly layers: readonly LayerSummary[];
  readonly totalParams: number;
  readonly totalMacs: number;
  toString(): string;
}

/** @internal */
export interface ModuleCallRecord {
  readonly module: Module;
  readonly name: string;
  readonly output: ForwardResult;
}

export abstract class Module {
  /** The PyTorch class name, shown in summaries. */
  abstract readonly type: string;
  /** Input shapes without the batch dim, by input name; set on a module used as a model. */
  inputShapes: Record<string, Shape> | undefined;
  /** Seed of the default weights of this module tree (used when it is the root). */
  seed = 0;

  readonly #modules = new Map<string, Module>();
  readonly #params = new Map<string, Parameter>();

  abstract forward(ctx: ForwardContext, ...inputs: SymbolicTensor[]): ForwardResult;

  /** Registers a child under `name` (its key prefix in the state dict). */
  protected addModule<M extends Module>(name: string, module: M): M {
    if (this.#modules.has(name) || this.#params.has(name)) throw new ShapeError(`${this.type}: '${name}' is registered twice`);
    this.#modules.set(name, module);
    return module;
  }

  protected addParameter(name: string, shape: Shape, init: Init, trainable = true, mask?: Uint8Array): Parameter {
    if (this.#modules.has(name) || this.#params.has(name)) throw new ShapeError(`${this.type}: '${name}' is registered twice`);
    const p = new Parameter(checkShape([...shape], `${this.type}.${name}`), init, trainable, mask);
    this.#params.set(name, p);
    return p;
  }

  /** Children in registration order. */
  children(): [string, Module][] {
    return [...this.#modules];
  }

  /** The module's own parameters and buffers, in registration order. */
  ownParameters(): [string, Parameter][] {
    return [...this.#params];
  }

  /** Every parameter and buffer with its state_dict key, in PyTorch's order (own first, then children). */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [name, p] of this.#params) out.push([prefix + name, p]);
    for (const [name, m] of this.#modules) out.push(...m.namedParameters(`${prefix}${name}.`));
    return out;
  }

  /** The elements of every parameter and buffer, by state_dict key (draws defaults once). */
  stateDict(): Map<string, { shape: Shape; data: Float32Array }> {
    return new Map(this.namedParameters().map(([name, p]) => [name, { shape: p.shape, data: p.value(this.seed, name) }]));
  }

  /**
   * Loads a safetensors file keyed by PyTorch state_dict names; F32, F16 and BF16 tensors are
   * converted to float32, BatchNorm's I64 `num_batches_tracked` entries are ignored. The whole
   * file is checked first: on any problem nothing changes and one WeightsError lists every
   * missing and unexpected key, wrong shape and unsupported dtype.
   *
   * `source` is the file's bytes, a `Response` (from `fetch`), or a URL to fetch;
   * `onProgress` reports `{ loaded, total }` bytes as it downloads, `signal` stops it.
   */
  async loadWeights(source: BytesSource, options: FetchBytesOptions = {}): Promise<void> {
    const bytes = await fetchBytes(source, 'loadWeights', options);
    for (const [param, values] of weightsFromFile(this, bytes)) param.assign(values);
  }

  /**
   * Sets parameters and buffers from arrays or tensors keyed by state_dict name (see
   * `stateDict()` for the names and shapes), with loadWeights' checks: all or nothing, and one
   * WeightsError lists every missing, unexpected and mis-sized entry. A Float32Array must have
   * the parameter's element count; a Tensor its shape (it is read back with `data()`). The
   * values are copied. Compile again afterwards: sessions read weights at compile time.
   */
  async setWeights(weights: Readonly<Record<string, Float32Array | Tensor>>): Promise<void> {
    if (!weights || typeof weights !== 'object') throw new WeightsError(`setWeights: expected a record of Float32Array or Tensor by parameter name, got ${String(weights)}`);
    const expected = new Map(this.namedParameters());
    const ignorable = ignorableKeys(this);
    const missing = [...expected.keys()].filter((k) => !Object.hasOwn(weights, k)).map(quoteName);
    const unexpected: string[] = [];
    const mismatches: string[] = [];
    const checked: [Parameter, Float32Array | Tensor][] = [];
    for (const [key, value] of Object.entries(weights)) {
      const param = expected.get(key);
      if (!param) {
        if (!ignorable.has(key)) unexpected.push(quoteName(key));
      } else if (value instanceof Tensor) {
        if (value.isDisposed) mismatches.push(`${quoteName(key)} is a disposed tensor`);
        else if (!sameShape(value.shape, param.shape)) mismatches.push(`${quoteName(key)} is a tensor ${formatShape(value.shape)}, the model expects ${formatShape(param.shape)}`);
        else checked.push([param, value]);
      } else if (value instanceof Float32Array) {
        if (value.length !== param.size) mismatches.push(`${quoteName(key)} has ${value.length} elements, the model expects ${formatShape(param.shape)} (${param.size})`);
        else checked.push([param, value]);
      } else {
        mismatches.push(`${quoteName(key)} is ${ArrayBuffer.isView(value) ? (value as object).constructor.name : typeof value}, not a Float32Array or a Tensor`);
      }
    }
    const problems = [listed('missing', missing), listed('unexpected', unexpected), listed('mismatched', mismatches)].filter((p) => p !== '');
    if (problems.length > 0) throw new WeightsError(`setWeights: the weights do not fit ${this.type}: ${problems.join('; ')}`);
    const values = await Promise.all(checked.map(([, v]) => (v instanceof Tensor ? v.data() : v.slice())));
    checked.forEach(([param], i) => param.assign(values[i]));
  }

  /** Every parameter and buffer as an F32 safetensors file, in state_dict order (draws defaults once). */
  saveWeights(): Uint8Array {
    const tensors = [...this.stateDict()].map(([name, { shape, data }]) => [name, float32Tensor(shape, data)] as const);
    return writeSafetensors(tensors, { format: 'pt' });
  }

  /** Trainable parameter count. */
  parameterCount(): number {
    return this.namedParameters().reduce((n, [, p]) => n + p.trainableSize, 0);
  }

  /**
   * @internal The graph inputs of a trace for `batch` samples: by default each input shape with the batch
   * prepended, the batch being the one dim that may change. Models whose inputs are laid out
   * otherwise (a recurrent model's x [T, N, I]) override this.
   */
  protected traceInputs(batch: number): TraceInput[] {
    const inputs = this.#requireInputShapes('trace');
    return Object.entries(inputs).map(([name, shape]) => ({ name, shape: [batch, ...shape], dynamicDims: { 0: 'N' } }));
  }

  /**
   * @internal Which dim of the first input holds the batch: the one traceInputs names 'N' (0
   * unless the model says otherwise, as a recurrent model's x [T, N, I] does).
   */
  batchDim(): number {
    const dims = this.traceInputs(1)[0]?.dynamicDims ?? {};
    const found = Object.entries(dims).find(([, name]) => name === 'N');
    return found ? Number(found[0]) : 0;
  }

  /**
   * @internal Traces the module into a graph for inputs of batch size `batch`, or for `inputs` as given
   * (compile's inputShape for a module without input shapes of its own).
   */
  trace(batch = 1, onCall?: (record: ModuleCallRecord) => void, inputs?: readonly TraceInput[]): Graph {
    const tracer = new Tracer();
    const syms = (inputs ?? this.traceInputs(batch)).map(({ name, shape, dynamicDims }) => tracer.input(name, shape, dynamicDims));
    const result = callModule(tracer, this, this, '', syms, onCall);
    return tracer.finish(namedOutputs(result));
  }

  /**
   * @internal The graph for exactly these input shapes (one per input) when the model's graph depends on
   * them — an imported ONNX model folds its shape arithmetic while tracing — or null when the
   * graph of trace() re-plans for any shape. compile() re-traces on each new input shape.
   */
  traceForShapes(_shapes: readonly Shape[]): Graph | null {
    return null;
  }

  /** The layer table: per leaf module, output shape (batch 1), parameters and MACs. */
  summary(): ModelSummary {
    const records: ModuleCallRecord[] = [];
    const graph = this.trace(1, (r) => records.push(r));
    const macsByScope = new Map<string, number>();
    let totalMacs = 0;
    for (const node of graph.nodes) {
      const macs = node.op.macs?.(
        node.inputs.map((id) => (id === null ? null : graph.values[id].shape)),
        node.attrs,
      ) ?? 0;
      macsByScope.set(node.scope, (macsByScope.get(node.scope) ?? 0) + macs);
      totalMacs += macs;
    }
    const layers = records
      .filter((r) => r.module.children().length === 0)
      .map((r) => ({
        name: r.name,
        type: r.module.type,
        outputShape: firstShape(r.output),
        params: r.module.ownParameters().reduce((n, [, p]) => n + p.trainableSize, 0),
        macs: macsByScope.get(r.name) ?? 0,
      }));
    return makeSummary(layers, this.parameterCount(), totalMacs);
  }

  #requireInputShapes(what: string): Record<string, Shape> {
    if (!this.inputShapes) {
      throw new ShapeError(
        `${what}: ${this.type} has no input shape; give one to compile (nn.compile(model, backend, { inputShape: [1, 3, 32, 32] }), batch first) or build it with one (nn.sequential(layers, { inputShape: [1, 28, 28] }), without the batch)`,
      );
    }
    return this.inputShapes;
  }
}

/** How many names a WeightsError lists per kind of problem before it only counts the rest. */
const MAX_LISTED = 50;

/** The converted values of every parameter in `bytes`, or a WeightsError naming every mismatch. */
function weightsFromFile(model: Module, bytes: Uint8Array | ArrayBuffer): [Parameter, Float32Array][] {
  const file = readSafetensors(bytes);
  const expected = new Map(model.namedParameters());
  const ignorable = ignorableKeys(model);
  const missing = [...expected.keys()].filter((k) => !file.tensors.has(k));
  const unexpected: string[] = [];
  const mismatches: string[] = [];
  const loaded: [Parameter, Float32Array][] = [];
  for (const [key, t] of file.tensors) {
    const param = expected.get(key);
    if (!param) {
      if (!ignorable.has(key)) unexpected.push(quoteName(key));
      else if (t.dtype !== 'I64' || t.data.length !== 8) mismatches.push(`${quoteName(key)} is ${t.dtype} ${formatShape(t.shape)}, expected BatchNorm's I64 scalar step count`);
    } else if (!FLOAT_DTYPES.includes(t.dtype)) {
      mismatches.push(`${quoteName(key)} is ${t.dtype}; only ${FLOAT_DTYPES.join(', ')} load`);
    } else if (!sameShape(t.shape, param.shape)) {
      mismatches.push(`${quoteName(key)} has shape ${formatShape(t.shape)} in the file, the model expects ${formatShape(param.shape)}`);
    } else {
      loaded.push([param, toFloat32(t)]);
    }
  }
  const problems = [
    listed('missing', missing.map(quoteName)),
    listed('unexpected', unexpected),
    listed('mismatched', mismatches),
  ].filter((p) => p !== '');
  if (problems.length > 0) throw new WeightsError(`loadWeights: the file does not fit ${model.type}: ${problems.join('; ')}`);
  return loaded;
}

/** PyTorch's BatchNorm saves a step counter that inference does not use. */
function ignorableKeys(model: Module): Set<string> {
  return new Set(
    namedModules(model)
      .filter(([, m]) => m.type.startsWith('BatchNorm'))
      .map(([prefix]) => `${prefix}num_batches_tracked`),
  );
}

function listed(kind: string, items: string[]): string {
  if (items.length === 0) return '';
  const shown = items.slice(0, MAX_LISTED).join(', ');
  const more = items.length > MAX_LISTED ? `, and ${items.length - MAX_LISTED} more` : '';
  return `${items.length} ${kind} key${items.length === 1 ? '' : 's'}: ${shown}${more}`;
}

/** Every module of the tree with its state_dict key prefix ('' for the root, 'features.0.', …). */
function namedModules(module: Module, prefix = ''): [string, Module][] {
  return [[prefix, module], ...module.children().flatMap(([name, m]) => namedModules(m, `${prefix}${name}.`))];
}

function callModule(
  tracer: Tracer,
  root: Module,
  module: Module,
  name: string,
  inputs: SymbolicTensor[],
  onCall: ((r: ModuleCallRecord) => void) | undefined,
): ForwardResult {
  const own = new Map(module.ownParameters());
  const childNames = new Map(module.children().map(([n, m]) => [m, n]));
  const fullName = (local: string) => (name ? `${name}.${local}` : local);
  const ctx: ForwardContext = {
    ops: tracer.ops,
    param(local) {
      const p = own.get(local);
      if (!p) throw new ShapeError(`${name || module.type}: no parameter '${local}'`);
      const key = fullName(local);
      return tracer.param(key, p.shape, () => p.value(root.seed, key));
    },
    optionalParam(local) {
      return own.has(local) ? ctx.param(local) : null;
    },
    constant(local, shape, values) {
      if (values.length !== sizeOf(shape)) {
        throw new ShapeError(`${name || module.type}: constant '${local}' has ${values.length} values for shape ${formatShape(shape)}`);
      }
      return tracer.param(`${fullName(local)} (constant)`, shape, () => values);
    },
    call(child: Module, ...xs: SymbolicTensor[]): SymbolicTensor {
      const childName = childNames.get(child);
      if (childName === undefined) throw new ShapeError(`${name || module.type}: ctx.call() of a module that was not registered with addModule`);
      const out = callModule(tracer, root, child, fullName(childName), xs, onCall);
      if (Array.isArray(out)) throw new ShapeError(`${fullName(childName)}: a child module must return one tensor or a record of tensors`);
      return out as SymbolicTensor;
    },
  };
  const local = name.slice(name.lastIndexOf('.') + 1);
  const result = tracer.inScope(name === '' ? '' : local, () => module.forward(ctx, ...inputs));
  onCall?.({ module, name, output: result });
  return result;
}

function namedOutputs(result: ForwardResult): { name: string; value: SymbolicTensor }[] {
  if (result instanceof SymbolicTensor) return [{ name: 'output', value: result }];
  if (Array.isArray(result)) return result.map((value, i) => ({ name: `output${i}`, value }));
  return Object.entries(result).map(([name, value]) => ({ name, value }));
}

function firstShape(result: ForwardResult): Shape {
  if (result instanceof SymbolicTensor) return result.shape;
  const first = Array.isArray(result) ? result[0] : Object.values(result)[0];
  return first?.shape ?? [];
}

/** A summary with its printable table (for models that list their layers themselves). */
export function makeSummary(layers: LayerSummary[], totalParams: number, totalMacs: number): ModelSummary {
  return {
    layers,
    totalParams,
    totalMacs,
    toString() {
      const rows = [['Layer', 'Type', 'Output shape', 'Params', 'MACs']];
      for (const l of layers) rows.push([l.name, l.type, formatShape(l.outputShape), l.params.toLocaleString('en-US'), l.macs.toLocaleString('en-US')]);
      rows.push(['Total', '', '', totalParams.toLocaleString('en-US'), totalMacs.toLocaleString('en-US')]);
      const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
      const line = (r: string[]) => r.map((cell, c) => (c >= 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
      const rule = widths.map((w) => '-'.repeat(w)).join('  ');
      return [line(rows[0]), rule, ...rows.slice(1, -1).map(line), rule, line(rows[rows.length - 1])].join('\n');
    },
  };
}
