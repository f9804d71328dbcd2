// nn.compileTraining and the Trainer it returns. The step graph (trainingGraph.ts) is prepared
// on the backend once: parameters, optimizer state and the [step, lr] clock are uploaded and stay
// there; each step() writes x and the target, runs the whole graph (one command buffer on
// WebGPU) and hands back the loss. syncWeights() copies the trained values into the model.
import type { Backend } from '../backends/createBackend.js';
import { NNError, ShapeError } from '../errors.js';
import { Session } from '../graph/session.js';
import type { Module } from '../layers/module.js';
import { checkClassIndices } from '../ops/loss/classIndices.js';
import { formatShape, sameShape, type Shape } from '../shape.js';
import { Tensor } from '../tensor.js';
import { adam, type Optimizer } from './optimizers.js';
import { buildTrainingGraph, type LossName, type TrainingGraph } from './trainingGraph.js';

export interface CompileTrainingOptions {
  /** 'crossEntropy' (default; logits [..., C], class indices [...] as float32) or 'mse'. */
  loss?: LossName;
  /** Default nn.optim.adam(). */
  optimizer?: Optimizer;
  /** Plans and builds every kernel for this batch size at compile, so the first step does not stall. */
  batchSize?: number;
  /** Seeds dropout's masks (default 0). */
  seed?: number;
}

export class Trainer {
  #disposed = false;
  #steps = 0;
  #lr: number;

  /** @internal */
  constructor(
    readonly model: Module,
    readonly backend: Backend,
    readonly loss: LossName,
    private readonly training: TrainingGraph,
    private readonly session: Session,
    lr: number,
  ) {
    this.#lr = lr;
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.#steps;
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
    this.session.prepared.writeParam(this.training.clock, Float32Array.of(this.#steps, lr));
  }

  /** The step graph (forward, loss, backward, updates). */
  get graph() {
    return this.training.graph;
  }

  /**
   * One forward + backward + update on the batch `x` with `target` (class indices [N, …] as
   * float32 for crossEntropy; the output's shape for mse). Returns the batch's mean loss as a
   * scalar Tensor that the caller owns.
   */
  async step(x: Tensor, target: Tensor): Promise<Tensor> {
    const { loss, output } = await this.run(x, target);
    output.dispose();
    return loss;
  }

  /** @internal step() that also returns the model's output for the batch (nn.train's accuracy). */
  async run(x: Tensor, target: Tensor, targetsChecked = false): Promise<{ loss: Tensor; output: Tensor }> {
    this.#checkLive('step');
    const inputName = this.session.inputNames[0];
    if (!(x instanceof Tensor)) throw new ShapeError(`step: x must be a Tensor, got ${String(x)}`);
    if (!(target instanceof Tensor)) throw new ShapeError(`step: target must be a Tensor, got ${String(target)}`);
    x.assertUsableBy(this.backend, 'step: x');
    target.assertUsableBy(this.backend, 'step: target');
    const expected = this.#targetShape(x.shape[0] ?? 0);
    if (!sameShape(target.shape, expected)) {
      const what = this.loss === 'crossEntropy' ? 'one class index per example (float32)' : "the model output's shape";
      throw new ShapeError(`step: target has shape ${formatShape(target.shape)}; for x ${formatShape(x.shape)} it must be ${formatShape(expected)}, ${what}`);
    }
    if (this.loss === 'crossEntropy' && !targetsChecked) {
      checkClassIndices(await target.data(), this.training.outputShape[this.training.outputShape.length - 1], 'step');
    }
    this.#checkLive('step');
    const out = (await this.session.run({ [inputName]: x, target })) as Record<string, Tensor>;
    this.#steps++;
    return { loss: out.loss, output: out.output };
  }

  /** Copies the trained parameters and BatchNorm running statistics into the model. */
  async syncWeights(): Promise<void> {
    this.#checkLive('syncWeights');
    const names = [...this.training.state.keys()];
    const values = await this.session.prepared.readParams(names.map((n) => this.training.state.get(n)!));
    const params = new Map(this.model.namedParameters());
    names.forEach((name, i) => params.get(name)!.assign(values[i]));
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.session.dispose();
  }

  #targetShape(batch: number): Shape {
    const out = this.training.outputShape;
    const shape = this.loss === 'crossEntropy' ? out.slice(0, -1) : out;
    return shape.length > 0 ? [batch, ...shape.slice(1)] : shape;
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
  const training = buildTrainingGraph(model, loss, optimizer, options.seed ?? 0);
  const prepared = await backend.prepareGraph(training.graph);
  const session = new Session(backend, training.graph, prepared);
  const trainer = new Trainer(model, backend, loss, training, session, optimizer.lr);
  if (options.batchSize !== undefined) {
    const n = options.batchSize;
    if (!Number.isInteger(n) || n < 1) throw new ShapeError(`compileTraining: batchSize must be a positive integer, got ${String(n)}`);
    const graph = training.graph;
    await session.executableFor(graph.inputs.map((i) => [n, ...graph.values[i.id].shape.slice(1)]));
  }
  return trainer;
}
