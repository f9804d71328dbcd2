// compile() and the Session it returns: trace the model once, optimise the graph, let the
// backend prepare it (upload weights, build pipelines), then plan per input shape on demand.
import { NNError, ShapeError } from '../errors.js';
import type { Module } from '../layers/module.js';
import type { Shape } from '../shape.js';
import { Tensor, type TensorOwner } from '../tensor.js';
import type { Graph } from './ir.js';
import type { SymbolicTensor } from './tracer.js';
import { optimizeGraph } from './passes.js';
import { planGraph, type Plan } from './plan.js';
import { scheduleGraph } from './schedule.js';

/** What a backend must offer to run compiled graphs. */
export interface GraphBackend extends TensorOwner {
  readonly name: string;
  prepareGraph(graph: Graph): Promise<PreparedGraph>;
}

/** A graph with its weights on the backend, ready to be instantiated for input shapes. */
export interface PreparedGraph {
  instantiate(plan: Plan): Promise<Executable>;
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

export interface CompileOptions {
  /** Fold inference BatchNorm into the convolution before it and fuse activations (default true). */
  optimize?: boolean;
}

export class Session<Output extends SessionOutput = SessionOutput> {
  readonly #executables = new Map<string, Promise<Executable>>();
  #disposed = false;

  /** @internal */
  constructor(
    readonly backend: GraphBackend,
    /** The optimised graph this session runs. */
    readonly graph: Graph,
    private readonly prepared: PreparedGraph,
  ) {}

  get inputNames(): string[] {
    return this.graph.inputs.map((i) => i.name);
  }

  /** Runs the model. A new batch size re-plans once; plans are cached by input shapes. */
  async run(input: SessionInput): Promise<Output> {
    if (this.#disposed) throw new NNError('run: the session was disposed');
    const tensors = this.#orderInputs(input);
    const executable = await this.executableFor(tensors.map((t) => t.shape));
    if (this.#disposed) throw new NNError('run: the session was disposed');
    const outputs = executable.run(tensors);
    if (outputs.length === 1 && this.graph.outputs[0].name === 'output') return outputs[0] as Output;
    return Object.fromEntries(this.graph.outputs.map((o, i) => [o.name, outputs[i]])) as Output;
  }

  /** @internal The executable for these input shapes (planned once). */
  executableFor(shapes: readonly Shape[]): Promise<Executable> {
    const key = shapes.map((s) => s.join('x')).join('|');
    let e = this.#executables.get(key);
    if (!e) {
      e = Promise.resolve().then(() => this.prepared.instantiate(planGraph(this.graph, shapes)));
      this.#executables.set(key, e);
      e.catch(() => this.#executables.delete(key));
    }
    return e;
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
export async function compileModule<M extends Module>(model: M, backend: GraphBackend, options: CompileOptions = {}): Promise<Session<ModelOutput<M>>> {
  const traced = scheduleGraph(model.trace(1));
  const graph = options.optimize === false ? traced : optimizeGraph(traced);
  const prepared = await backend.prepareGraph(graph);
  const session = new Session<ModelOutput<M>>(backend, graph, prepared);
  // Plan and build for batch 1 now, so the first run does not stall.
  await session.executableFor(graph.inputs.map((i) => graph.values[i.id].shape));
  return session;
}
