// nn.compileTraining and the Trainer it returns. The step graph (trainingGraph.ts) is prepared
// on the backend once: parameters, optimizer state and the [step, lr] clock are uploaded and stay
// there; each step() writes x and the target, runs the whole graph (one command buffer on
// WebGPU) and hands back the loss. syncWeights() copies the trained values into the model.
import type { Backend } from '../backends/createBackend.js';
import { NNError, ShapeError } from '../errors.js';
import type { Graph } from '../graph/ir.js';
import { Session } from '../graph/session.js';
import type { Module } from '../layers/module.js';
import { checkClassIndices } from '../ops/loss/classIndices.js';
import { formatShape, sameShape, sizeOf, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { adam, type Optimizer } from './optimizers.js';
import { buildTrainingGraph, type LossName, type TrainingGraph } from './trainingGraph.js';

export interface CompileTrainingOptions {
  /** 'crossEntropy' (default; logits [..., C], class indices [...] as float32) or 'mse'. */
  loss?: LossName;
  /** Default nn.optim.adam(). */
  optimizer?: Optimizer;
  /**
   * The batch size of every step. Given, the step graph is planned and every kernel built at
   * compile; otherwise at the first step, whose batch size then holds for the trainer's life.
   */
  batchSize?: number;
  /** Seeds dropout's masks (default 0). */
  seed?: number;
}

interface Compiled {
  readonly training: TrainingGraph;
  readonly session: Session;
  readonly batchSize: number;
}

export class Trainer {
  #compiled: Promise<Compiled> | null = null;
  #graph: Graph | undefined;
  #batchSize: number | undefined;
  #disposed = false;
  #steps = 0;
  #lr: number;

  /** @internal */
  constructor(
    readonly model: Module,
    readonly backend: Backend,
    readonly loss: LossName,
    private readonly optimizer: Optimizer,
    private readonly seed: number,
  ) {
    this.#lr = optimizer.lr;
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.#steps;
  }

  /** The batch size of every step (undefined until compiled with one or the first step). */
  get batchSize(): number | undefined {
    return this.#batchSize;
  }

  /** The step graph (forward, loss, backward, updates), once compiled. */
  get graph(): Graph | undefined {
    return this.#graph;
  }

  /** The learning rate the next step uses. */
  get learningRate(): number {
    return this.#lr;
  }

  /** Changes the learning rate from the next step on (a schedule); nothing is rebuilt. */
  set learningRate(lr: number) {
    if (typeof lr !== 'number' || !(lr >= 0 && lr < Infinity)) throw new ShapeError(`learningRate must be a number ≥ 0, got ${String(lr)}`);
    this.#checkLive('learningRate');
    this.#lr = lr;
    // Before the graph exists the rate goes in with the initial clock.
    void this.#compiled?.then(({ session, training }) => session.prepared.writeParam(training.clock, Float32Array.of(this.#steps, lr)));
  }

  /** @internal Builds the step graph for `batchSize` (once). */
  compile(batchSize: number): Promise<Compiled> {
    if (!Number.isInteger(batchSize) || batchSize < 1) throw new ShapeError(`compileTraining: batchSize must be a positive integer, got ${String(batchSize)}`);
    if (this.#batchSize !== undefined && batchSize !== this.#batchSize) {
      throw new ShapeError(`step: this trainer runs batches of ${this.#batchSize}, got a batch of ${batchSize}; compile another trainer for another batch size`);
    }
    this.#batchSize = batchSize;
    this.#compiled ??= (async () => {
      const training = buildTrainingGraph(this.model, this.loss, { ...this.optimizer, lr: this.#lr }, this.seed, batchSize);
      const prepared = await this.backend.prepareGraph(training.graph);
      const session = new Session(this.backend, training.graph, prepared);
      const graph = training.graph;
      await session.executableFor(graph.inputs.map((i) => graph.values[i.id].shape));
      if (this.#disposed) session.dispose();
      this.#graph = graph;
      return { training, session, batchSize };
    })();
    return this.#compiled;
  }

  /**
   * One forward + backward + update on the batch `x` with `target` (class indices [N, …] as
   * float32 for crossEntropy; the output's shape for mse). Returns the batch's mean loss as a
   * scalar Tensor that the caller owns. The class indices are checked before the step: a target
   * given as a Float32Array (or array) is checked on the host, a WebGPU Tensor is read back first.
   */
  async step(x: Tensor, target: Tensor | Float32Array | readonly number[]): Promise<Tensor> {
    const { loss, output } = await this.run(x, target);
    output.dispose();
    return loss;
  }

  /** @internal step() that also returns the model's output for the batch (nn.train's accuracy). */
  async run(x: Tensor, target: Tensor | Float32Array | readonly number[], targetsChecked = false): Promise<{ loss: Tensor; output: Tensor }> {
    this.#checkLive('step');
    if (!(x instanceof Tensor)) throw new ShapeError(`step: x must be a Tensor, got ${String(x)}`);
    const onHost = target instanceof Float32Array || Array.isArray(target);
    if (!(target instanceof Tensor) && !onHost) throw new ShapeError(`step: target must be a Tensor or a Float32Array, got ${String(target)}`);
    x.assertUsableBy(this.backend, 'step: x');
    if (target instanceof Tensor) target.assertUsableBy(this.backend, 'step: target');
    const batchDim = this.model.batchDim();
    if (x.rank <= batchDim) throw new ShapeError(`step: x ${formatShape(x.shape)} must have a batch dim (dim ${batchDim})`);
    const { training, session } = await this.compile(x.shape[batchDim]);
    this.#checkLive('step');
    const out = training.outputShape;
    const expected = this.loss === 'crossEntropy' ? out.slice(0, -1) : out;
    const given = target instanceof Tensor ? target.shape : [target.length];
    if (target instanceof Tensor ? !sameShape(given, expected) : target.length !== sizeOf(expected)) {
      const what = this.loss === 'crossEntropy' ? 'one class index per example (float32)' : "the model output's shape";
      throw new ShapeError(`step: target has shape ${formatShape(given)}; for x ${formatShape(x.shape)} it must be ${formatShape(expected)}, ${what}`);
    }
    if (this.loss === 'crossEntropy' && !targetsChecked) {
      checkClassIndices(target instanceof Tensor ? await target.data() : Float32Array.from(target), out[out.length - 1], 'step');
    }
    this.#checkLive('step');
    const targetTensor = target instanceof Tensor ? target : this.backend.tensor(Float32Array.from(target), expected);
    try {
      const result = (await session.run({ [session.inputNames[0]]: x, target: targetTensor })) as Record<string, Tensor>;
      this.#steps++;
      return { loss: result.loss, output: result.output };
    } finally {
      if (targetTensor !== target) targetTensor.dispose();
    }
  }

  /** @internal The model output's shape per step ([N, …]); compiles first. */
  async outputShape(batchSize: number): Promise<Shape> {
    return (await this.compile(batchSize)).training.outputShape;
  }

  /** Copies the trained parameters and BatchNorm running statistics into the model. */
  async syncWeights(): Promise<void> {
    this.#checkLive('syncWeights');
    if (!this.#compiled) return; // no step yet: the model holds the current values
    const { training, session } = await this.#compiled;
    const names = [...training.state.keys()];
    const values = await session.prepared.readParams(names.map((n) => training.state.get(n)!));
    const params = new Map(this.model.namedParameters());
    names.forEach((name, i) => params.get(name)!.assign(values[i]));
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    void this.#compiled?.then(({ session }) => session.dispose(), () => {});
  }

  #checkLive(what: string): void {
    if (this.#disposed) throw new NNError(`${what}: the trainer was disposed`);
  }
}

export async function compileTraining(model: Module, backend: Backend, options: CompileTrainingOptions = {}): Promise<Trainer> {
  const loss = options.loss ?? 'crossEntropy';
  if (loss !== 'crossEntropy' && loss !== 'mse') throw new ShapeError(`compileTraining: loss must be 'crossEntropy' or 'mse', got ${String(loss)}`);
  const optimizer = options.optimizer ?? adam();
  if (!optimizer || typeof optimizer.update !== 'function') throw new ShapeError('compileTraining: optimizer must come from nn.optim.sgd() or nn.optim.adam()');
  const trainer = new Trainer(model, backend, loss, optimizer, options.seed ?? 0);
  if (options.batchSize !== undefined) await trainer.compile(options.batchSize);
  return trainer;
}
