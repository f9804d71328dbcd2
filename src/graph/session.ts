// compile() and the Session it returns: trace the model once, optimise the graph, let the
// backend prepare it (upload weights, build pipelines), then plan per input shape on demand.
import { NNError, ShapeError } from '../errors.js';
import type { Module } from '../layers/module.js';
import type { Shape } from '../shape.js';
import { Tensor, type TensorOwner } from '../tensor.js';
import { sameComputation, type Graph, type ValueId } from './ir.js';
import { optimizeGraph } from './passes.js';
import { planGraph, type Plan } from './plan.js';
import { scheduleGraph } from './schedule.js';

/** What a backend must offer to run compiled graphs. */
export interface GraphBackend extends TensorOwner {
  readonly name: string;
  prepareGraph(graph: Graph): Promise<PreparedGraph>;
  /** Throws a typed error if the plan is beyond what the backend holds; allocates nothing. */
  checkPlan?(graph: Graph, plan: Plan): void;
  /**
   * Backpressure: resolves when another run may be submitted (see MAX_RUNS_IN_FLIGHT), with the
   * function that ends the run's turn (true: once its submitted work is done; false: at once).
   */
  admitRun?(): Promise<(afterSubmittedWork: boolean) => void>;
}

/** A graph with its weights on the backend, ready to be instantiated for input shapes. */
export interface PreparedGraph {
  instantiate(plan: Plan): Promise<Executable>;
  /** The current values of parameters (after the runs so far, for graphs with state updates). */
  readParams(ids: readonly ValueId[]): Promise<Float32Array[]>;
  /** Overwrites a parameter's values (a training step's learning rate); later runs see them. */
  writeParam(id: ValueId, data: Float32Array): void;
  dispose(): void;
}

export interface ExecutableStats {
  /** Intermediate buffers (liveness slots) the plan uses. */
  readonly buffers: number;
  /** Compute dispatches per run (WebGPU). */
  readonly dispatches?: number;
  /** Command buffers submitted per run (WebGPU). */
  readonly commandBuffers?: number;
}

export interface Executable {
  /** Runs the graph; the outputs are new tensors owned by the caller. */
  run(inputs: readonly Tensor[]): Tensor[];
  readonly stats: ExecutableStats;
  dispose(): void;
}

export type SessionInput = Tensor | { readonly [name: string]: Tensor };
export type SessionOutput = Tensor | { [name: string]: Tensor };

export interface CompileOptions {
  /** Fold inference BatchNorm into the convolution before it and fuse activations (default true). */
  optimize?: boolean;
}

export class Session {
  readonly #executables = new Map<string, Promise<Executable>>();
  #disposed = false;

  /** @internal */
  constructor(
    readonly backend: GraphBackend,
    /** The optimised graph this session runs. */
    readonly graph: Graph,
    /** @internal */ readonly prepared: PreparedGraph,
    /** For models whose graph depends on the input shapes: the graph for new shapes (compileModule). */
    private readonly retrace?: (shapes: readonly Shape[]) => Graph | null,
  ) {}

  get inputNames(): string[] {
    return this.graph.inputs.map((i) => i.name);
  }

  /**
   * Runs the model. A new batch size re-plans once; plans are cached by input shapes. The inputs
   * are taken when run() is called: disposing them before the promise settles is safe. Past
   * MAX_RUNS_IN_FLIGHT unfinished runs (WebGPU), a run waits for an earlier one to finish.
   */
  run(input: SessionInput): Promise<SessionOutput> {
    let tensors: Tensor[];
    try {
      if (this.#disposed) throw new NNError('run: the session was disposed');
      tensors = this.#orderInputs(input);
    } catch (e) {
      return Promise.reject(e);
    }
    const releases = tensors.map((t) => t.hold());
    return this.#run(tensors).finally(() => releases.forEach((release) => release()));
  }

  async #run(tensors: Tensor[]): Promise<SessionOutput> {
    const executable = await this.executableFor(tensors.map((t) => t.shape));
    const release = await this.backend.admitRun?.();
    let outputs: Tensor[];
    try {
      if (this.#disposed) throw new NNError('run: the session was disposed');
      outputs = executable.run(tensors);
    } catch (e) {
      release?.(false);
      throw e;
    }
    release?.(true);
    if (outputs.length === 1 && this.graph.outputs[0].name === 'output') return outputs[0];
    return Object.fromEntries(this.graph.outputs.map((o, i) => [o.name, outputs[i]]));
  }

  /** @internal The executable for these input shapes (planned once, checked before anything is allocated). */
  executableFor(shapes: readonly Shape[]): Promise<Executable> {
    const key = shapes.map((s) => s.join('x')).join('|');
    let e = this.#executables.get(key);
    if (!e) {
      e = Promise.resolve().then(() => this.#instantiate(shapes, key));
      this.#executables.set(key, e);
      e.catch(() => this.#executables.delete(key));
    }
    return e;
  }

  async #instantiate(shapes: readonly Shape[], key: string): Promise<Executable> {
    const traced = this.graph.inputs.map((i) => this.graph.values[i.id].shape.join('x')).join('|');
    const graph = this.retrace && key !== traced ? this.retrace(shapes) : null;
    if (!graph || sameComputation(graph, this.graph)) {
      const plan = planGraph(this.graph, shapes);
      this.backend.checkPlan?.(this.graph, plan); // before anything is allocated
      return this.prepared.instantiate(plan);
    }
    // A graph of its own for these shapes, with its own copy of the weights on the backend.
    const plan = planGraph(graph, shapes);
    this.backend.checkPlan?.(graph, plan);
    const prepared = await this.backend.prepareGraph(graph);
    try {
      const executable = await prepared.instantiate(plan);
      return {
        run: (inputs) => executable.run(inputs),
        stats: executable.stats,
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

/** Traces and schedules the model, optimises the graph, and prepares it on the backend (weights, pipelines). */
export async function compileModule(model: Module, backend: GraphBackend, options: CompileOptions = {}): Promise<Session> {
  const finish = (traced: Graph) => (options.optimize === false ? scheduleGraph(traced) : optimizeGraph(scheduleGraph(traced)));
  const graph = finish(model.trace(1));
  const shapes = graph.inputs.map((i) => graph.values[i.id].shape);
  // Every limit is checked before the weights are uploaded: a refused compile allocates nothing.
  backend.checkPlan?.(graph, planGraph(graph, shapes));
  const prepared = await backend.prepareGraph(graph);
  const retrace = (inputShapes: readonly Shape[]) => {
    const traced = model.traceForShapes(inputShapes);
    return traced && finish(traced);
  };
  const session = new Session(backend, graph, prepared, retrace);
  try {
    // Plan and build for batch 1 now, so the first run does not stall.
    await session.executableFor(shapes);
  } catch (e) {
    session.dispose(); // and the weights with it, whatever failed
    throw e;
  }
  return session;
}
