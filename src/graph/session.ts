// compile() and the Session it returns: trace the model once, optimise the graph, let the
// backend prepare it (upload weights, build pipelines), then plan per input shape on demand.
import { NNError, ShapeError } from '../errors.js';
import type { Module } from '../layers/module.js';
import { checkShape, formatShape, type Shape } from '../shape.js';
import { Tensor, type TensorOwner } from '../tensor.js';
import { sameComputation, type Graph, type ValueId } from './ir.js';
import type { SymbolicTensor } from './tracer.js';
import { optimizeGraph } from './passes.js';
import { planGraph, type Plan, type PlanOptions } from './plan.js';
import type { Profile } from './profile.js';
import { scheduleGraph } from './schedule.js';

/** @internal What a backend must offer to run compiled graphs. */
export interface GraphBackend extends TensorOwner {
  readonly name: string;
  prepareGraph(graph: Graph): Promise<PreparedGraph>;
  /** Throws a typed error if the plan is beyond what the backend holds; allocates nothing. */
  checkPlan?(graph: Graph, plan: Plan): void;
  /** What plans for this backend may do beyond the defaults (concats written in place). */
  readonly planOptions?: PlanOptions;
  /**
   * Backpressure: resolves when another run may be submitted (see MAX_RUNS_IN_FLIGHT), with the
   * function that ends the run's turn (true: once its submitted work is done; false: at once).
   */
  admitRun?(): Promise<(afterSubmittedWork: boolean) => void>;
}

/**
 * How far compile() has come: pipelines (WebGPU kernels) built of those the plan needs; with
 * `tune`, first `stage: 'tuning'` reports: kernel choices timed of those found so far.
 */
export interface CompileProgress {
  readonly built: number;
  readonly total: number;
  /** Absent while pipelines are built; 'tuning' while `tune` times kernel variants. */
  readonly stage?: 'tuning';
  /** While tuning: the choice being timed ('conv2d N1 C64 H56 W56 O64 …'). */
  readonly kernel?: string;
}

/** How a profiled run is timed on WebGPU ('auto': timestamps where the device has them). */
export type ProfileMethodRequest = 'auto' | 'timestamp-query' | 'submit-per-node';

/** compile's `tune`, in full. */
export interface TuneOptions {
  /** The most time tuning may take in one compile, in ms (default 30 000); untimed choices keep the table's kernel. */
  readonly budgetMs?: number;
}

/** @internal What instantiate() reports to and stops on, and how it chooses kernels. */
export interface BuildControl {
  onProgress?: (progress: CompileProgress) => void;
  signal?: AbortSignal;
  /** Time the kernel variants of every choice not tuned yet on this adapter (WebGPU). */
  tune?: TuneOptions;
  /** Print the kernels chosen for every node, with their WGSL constants (WebGPU). */
  debug?: boolean;
}

/** @internal A graph with its weights on the backend, ready to be instantiated for input shapes. */
export interface PreparedGraph {
  instantiate(plan: Plan, control?: BuildControl): Promise<Executable>;
  /** The current values of parameters (after the runs so far, for graphs with state updates). */
  readParams(ids: readonly ValueId[]): Promise<Float32Array[]>;
  /** Overwrites a parameter's values (a training step's learning rate); later runs see them. */
  writeParam(id: ValueId, data: Float32Array): void;
  dispose(): void;
}

/** @internal */
export interface ExecutableStats {
  /** Intermediate buffers (liveness slots) the plan uses. */
  readonly buffers: number;
  /** Compute dispatches per run (WebGPU). */
  readonly dispatches?: number;
  /** Command buffers submitted per run (WebGPU). */
  readonly commandBuffers?: number;
}

/** @internal */
export interface Executable {
  /**
   * Runs the graph; the outputs are new tensors owned by the caller, or the results are
   * written into `into` (checked tensors of the plan's output shapes) and those are returned.
   */
  run(inputs: readonly Tensor[], into?: readonly Tensor[]): Tensor[];
  readonly stats: ExecutableStats;
  /** The shape of each graph output for this plan. */
  readonly outputShapes: readonly Shape[];
  /** run() with every node timed (compile's `profile`): resolves once the timings are read. */
  runProfiled?(inputs: readonly Tensor[], into: readonly Tensor[] | undefined, method: ProfileMethodRequest): Promise<{ outputs: Tensor[]; profile: Profile }>;
  dispose(): void;
}

export type SessionInput = Tensor | { readonly [name: string]: Tensor };
export type SessionOutput = Tensor | { [name: string]: Tensor };

/**
 * What `run()` returns for a model whose `forward` returns `R`: a Tensor for one tensor, a
 * record by output name for a record (`output0`, `output1`, … for an array).
 */
export type RunOutput<R> = R extends SymbolicTensor
  ? Tensor
  : R extends readonly SymbolicTensor[]
    ? { [name: `output${number}`]: Tensor }
    : R extends { readonly [name: string]: SymbolicTensor }
      ? { [K in keyof R]: Tensor }
      : SessionOutput;

/** What `run()` returns for model type `M` (from the return type of its `forward`). */
export type ModelOutput<M extends Module> = RunOutput<ReturnType<M['forward']>>;

/** Input shapes with the batch (and, for sequences, the length): one shape, or one per input name. */
export type InputShapes = readonly number[] | { readonly [name: string]: readonly number[] };

export interface CompileOptions {
  /** Fold inference BatchNorm into the convolution before it and fuse activations (default true). */
  optimize?: boolean;
  /**
   * The full input shape the first runs will use, batch included (`[256, 1, 28, 28]`), or a
   * record by input name. compile() plans and builds for it, so the first run does not re-plan
   * (default: batch 1 of the model's input shape). For a module without an input shape of its
   * own (a custom `nn.Module`), this is what makes it runnable: dim 0 is the batch, the one dim
   * later runs may change.
   */
  inputShape?: InputShapes;
  /** Called as kernels are built: `{ built, total }` pipelines (WebGPU; the CPU reports `{ 0, 0 }` once). */
  onProgress?: (progress: CompileProgress) => void;
  /**
   * Stops compile() early: it rejects with the signal's reason (an `AbortError` DOMException
   * by default) and frees the buffers it made. Pipelines already built stay in the backend's cache.
   */
  signal?: AbortSignal;
  /**
   * Time every node of every run: `session.profile()` then returns the latest run's table. On
   * WebGPU with timestamp queries (`method: 'timestamp-query'`, chosen by 'auto' where the
   * device has the feature) a run stays one command buffer; without them (`'submit-per-node'`)
   * each node is its own submit, timed on the CPU (approximate). Profiled runs resolve once
   * the GPU has finished. The CPU backend times each node's kernel.
   */
  profile?: boolean | { readonly method?: ProfileMethodRequest };
  /**
   * WebGPU: time the candidate kernel variants of each distinct kernel choice (op and shape) on
   * this device, within `budgetMs`, and keep the winners for this adapter (in memory and, in
   * browsers, IndexedDB); later compiles use them without `tune`. Progress: onProgress with
   * `stage: 'tuning'`.
   */
  tune?: boolean | TuneOptions;
  /** WebGPU: print, at compile, every node's kernel variant, shader constants and workgroups. */
  debug?: boolean;
}

/** Options of `session.run`. */
export interface RunOptions<Output extends SessionOutput = SessionOutput> {
  /**
   * Tensors to write the results into (a Tensor, or a record by output name, as run() returns),
   * of this backend and the output shapes: a run then allocates nothing. They are returned.
   */
  output?: Output;
}

/** @internal What a session does beyond running: profiling, and how its plans choose kernels. */
export interface SessionSettings {
  readonly profile?: ProfileMethodRequest;
  readonly tune?: TuneOptions;
  readonly debug?: boolean;
}

export class Session<Output extends SessionOutput = SessionOutput> {
  readonly #executables = new Map<string, Promise<Executable>>();
  #disposed = false;
  #profile: Profile | null = null;

  /** @internal */
  constructor(
    /** @internal */ readonly backend: GraphBackend,
    /** @internal The optimised graph this session runs. */
    readonly graph: Graph,
    /** @internal */ readonly prepared: PreparedGraph,
    /** @internal For models whose graph depends on the input shapes: the graph for new shapes (compileModule). */
    private readonly retrace?: (shapes: readonly Shape[]) => Graph | null,
    private readonly settings: SessionSettings = {},
  ) {}

  /**
   * The per-node timings of the latest run (compile with `{ profile: true }`): rows of layer,
   * op, kernel, dispatch, ms and GFLOP/s; `String(profile)` prints them as a table.
   */
  profile(): Profile {
    if (!this.settings.profile) throw new NNError('profile: this session was compiled without profiling; compile(model, backend, { profile: true })');
    if (!this.#profile) throw new NNError('profile: no profiled run has finished yet; await session.run(x) first');
    return this.#profile;
  }

  get inputNames(): string[] {
    return this.graph.inputs.map((i) => i.name);
  }

  /**
   * Runs the model. A new batch size re-plans once; plans are cached by input shapes. The inputs
   * are taken when run() is called: disposing them before the promise settles is safe. Past
   * MAX_RUNS_IN_FLIGHT unfinished runs (WebGPU), a run waits for an earlier one to finish. The
   * outputs are new tensors the caller owns, or `options.output`'s tensors, overwritten.
   */
  run(input: SessionInput, options: RunOptions<Output> = {}): Promise<Output> {
    let tensors: Tensor[];
    try {
      if (this.#disposed) throw new NNError('run: the session was disposed');
      tensors = this.#orderInputs(input);
    } catch (e) {
      return Promise.reject(e);
    }
    const releases = tensors.map((t) => t.hold());
    return this.#run(tensors, options).finally(() => releases.forEach((release) => release()));
  }

  async #run(tensors: Tensor[], options: RunOptions<Output>): Promise<Output> {
    const executable = await this.executableFor(tensors.map((t) => t.shape));
    const release = await this.backend.admitRun?.();
    let outputs: Tensor[];
    try {
      if (this.#disposed) throw new NNError('run: the session was disposed');
      const into = options.output === undefined ? undefined : this.#orderOutputs(options.output, executable);
      if (this.settings.profile && executable.runProfiled) {
        const profiled = await executable.runProfiled(tensors, into, this.settings.profile);
        outputs = profiled.outputs;
        this.#profile = profiled.profile;
      } else {
        outputs = executable.run(tensors, into);
      }
    } catch (e) {
      release?.(false);
      throw e;
    }
    release?.(true);
    if (outputs.length === 1 && this.graph.outputs[0].name === 'output') return outputs[0] as Output;
    return Object.fromEntries(this.graph.outputs.map((o, i) => [o.name, outputs[i]])) as Output;
  }

  /** @internal The executable for these input shapes (planned once, checked before anything is allocated). */
  executableFor(shapes: readonly Shape[], control?: BuildControl): Promise<Executable> {
    const key = shapes.map((s) => s.join('x')).join('|');
    let e = this.#executables.get(key);
    if (!e) {
      const build: BuildControl = { ...control, tune: this.settings.tune, debug: this.settings.debug };
      e = Promise.resolve().then(() => this.#instantiate(shapes, key, build));
      this.#executables.set(key, e);
      e.catch(() => this.#executables.delete(key));
    }
    return e;
  }

  async #instantiate(shapes: readonly Shape[], key: string, control?: BuildControl): Promise<Executable> {
    const traced = this.graph.inputs.map((i) => this.graph.values[i.id].shape.join('x')).join('|');
    const graph = this.retrace && key !== traced ? this.retrace(shapes) : null;
    if (!graph || sameComputation(graph, this.graph)) {
      const plan = planGraph(this.graph, shapes, this.backend.planOptions);
      this.backend.checkPlan?.(this.graph, plan); // before anything is allocated
      return this.prepared.instantiate(plan, control);
    }
    // A graph of its own for these shapes, with its own copy of the weights on the backend.
    const plan = planGraph(graph, shapes, this.backend.planOptions);
    this.backend.checkPlan?.(graph, plan);
    const prepared = await this.backend.prepareGraph(graph);
    try {
      const executable = await prepared.instantiate(plan, control);
      return {
        run: (inputs, into) => executable.run(inputs, into),
        runProfiled: executable.runProfiled && ((inputs, into, method) => executable.runProfiled!(inputs, into, method)),
        stats: executable.stats,
        outputShapes: executable.outputShapes,
        dispose() {
          executable.dispose();
          prepared.dispose();
        },
      };
    } catch (e) {
      prepared.dispose();
      throw e;
    }
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const e of this.#executables.values()) e.then((x) => x.dispose(), () => {});
    this.#executables.clear();
    this.prepared.dispose();
  }

  #orderOutputs(output: SessionOutput, executable: Executable): Tensor[] {
    const names = this.graph.outputs.map((o) => o.name);
    const single = names.length === 1 && names[0] === 'output';
    let list: unknown[];
    if (output instanceof Tensor) {
      if (!single) throw new ShapeError(`run: the model has outputs ${names.join(', ')}; pass options.output as a record by name`);
      list = [output];
    } else if (output && typeof output === 'object' && !single) {
      const extra = Object.keys(output).filter((k) => !names.includes(k));
      if (extra.length) throw new ShapeError(`run: options.output has unknown output(s) ${extra.join(', ')}; the model has ${names.join(', ')}`);
      list = names.map((n) => (output as Record<string, Tensor>)[n]);
    } else {
      throw new ShapeError(`run: options.output must be ${single ? 'a Tensor' : 'a record of Tensors by output name'}, got ${String(output)}`);
    }
    return list.map((t, i) => {
      if (!(t instanceof Tensor)) throw new ShapeError(`run: options.output '${names[i]}' is not a Tensor`);
      t.assertUsableBy(this.backend, `run: options.output '${names[i]}'`);
      const shape = executable.outputShapes[i];
      if (t.shape.length !== shape.length || t.shape.some((d, k) => d !== shape[k])) {
        throw new ShapeError(`run: options.output '${names[i]}' has shape ${formatShape(t.shape)}, the output is ${formatShape(shape)}`);
      }
      return t;
    });
  }

  #orderInputs(input: SessionInput): Tensor[] {
    const names = this.inputNames;
    let list: unknown[];
    if (input instanceof Tensor) {
      if (names.length !== 1) throw new ShapeError(`run: the model takes inputs ${names.join(', ')}; pass a record by name`);
      list = [input];
    } else if (input && typeof input === 'object') {
      const extra = Object.keys(input).filter((k) => !names.includes(k));
      if (extra.length) throw new ShapeError(`run: unknown input(s) ${extra.join(', ')}; the model takes ${names.join(', ')}`);
      list = names.map((n) => {
        const t = (input as Record<string, Tensor>)[n];
        if (!t) throw new ShapeError(`run: input '${n}' is missing`);
        return t;
      });
    } else {
      throw new ShapeError(`run: expected a Tensor or a record of Tensors, got ${String(input)}`);
    }
    return list.map((t, i) => {
      if (!(t instanceof Tensor)) throw new ShapeError(`run: input '${names[i]}' is not a Tensor`);
      t.assertUsableBy(this.backend, `run: input '${names[i]}'`);
      return t;
    });
  }
}

/** @internal Traces and schedules the model, optimises the graph, and prepares it on the backend (weights, pipelines). */
export async function compileModule<M extends Module>(model: M, backend: GraphBackend, options: CompileOptions = {}): Promise<Session<ModelOutput<M>>> {
  const { signal, onProgress } = options;
  signal?.throwIfAborted();
  const { profile, tune } = checkProfileAndTune(options);
  const given = options.inputShape === undefined ? undefined : inputShapesByName(model, options.inputShape);
  // A module with no input shape of its own is traced at the given shapes (dim 0 the batch).
  const traceInputs = given && !model.inputShapes
    ? Object.entries(given).map(([name, shape]) => ({ name, shape, dynamicDims: { 0: 'N' } }))
    : undefined;
  const finish = (traced: Graph) => (options.optimize === false ? scheduleGraph(traced) : optimizeGraph(scheduleGraph(traced)));
  const graph = finish(model.trace(1, undefined, traceInputs));
  if (given) {
    const missing = graph.inputs.filter((i) => !given[i.name]).map((i) => i.name);
    if (missing.length) throw new ShapeError(`compile: inputShape has no shape for input(s) ${missing.join(', ')}`);
  }
  // Plan now (for the given shapes, else batch 1), so the first run does not stall.
  const shapes = graph.inputs.map((i) => (given ? given[i.name] : graph.values[i.id].shape));
  // Every limit is checked before the weights are uploaded: a refused compile allocates nothing.
  backend.checkPlan?.(graph, planGraph(graph, shapes, backend.planOptions));
  signal?.throwIfAborted();
  const prepared = await backend.prepareGraph(graph);
  const retrace = (inputShapes: readonly Shape[]) => {
    const traced = model.traceForShapes(inputShapes);
    return traced && finish(traced);
  };
  const session = new Session<ModelOutput<M>>(backend, graph, prepared, retrace, { profile, tune, debug: options.debug });
  try {
    signal?.throwIfAborted();
    await session.executableFor(shapes, { onProgress, signal });
    signal?.throwIfAborted();
  } catch (e) {
    session.dispose(); // and the weights with it, whatever failed
    throw e;
  }
  return session;
}

const PROFILE_METHODS: readonly ProfileMethodRequest[] = ['auto', 'timestamp-query', 'submit-per-node'];

/** compile's `profile` and `tune` in full, checked. */
function checkProfileAndTune(options: CompileOptions): { profile?: ProfileMethodRequest; tune?: TuneOptions } {
  let profile: ProfileMethodRequest | undefined;
  if (options.profile) {
    profile = typeof options.profile === 'object' ? (options.profile.method ?? 'auto') : 'auto';
    if (!PROFILE_METHODS.includes(profile)) {
      throw new ShapeError(`compile: profile.method must be ${PROFILE_METHODS.map((m) => `'${m}'`).join(', ').replace(/, ([^,]*)$/, ' or $1')}, got '${String(profile)}'`);
    }
  }
  const tune = options.tune ? (typeof options.tune === 'object' ? options.tune : {}) : undefined;
  const budget = tune?.budgetMs;
  if (budget !== undefined && !(typeof budget === 'number' && budget >= 0)) {
    throw new ShapeError(`compile: tune.budgetMs must be a number of milliseconds ≥ 0, got ${String(budget)}`);
  }
  return { profile, tune };
}

/** The compile option as full shapes by input name, checked. */
function inputShapesByName(model: Module, shapes: InputShapes): Record<string, Shape> {
  const byName: Record<string, readonly number[]> = Array.isArray(shapes)
    ? { [model.inputShapes ? (Object.keys(model.inputShapes)[0] ?? 'input') : 'input']: shapes as readonly number[] }
    : (shapes as Record<string, readonly number[]>);
  if (!byName || typeof byName !== 'object') throw new ShapeError(`compile: inputShape must be a shape or a record of shapes by input name, got ${String(shapes)}`);
  return Object.fromEntries(Object.entries(byName).map(([name, s]) => [name, checkShape(s, `compile: inputShape '${name}'`)]));
}
