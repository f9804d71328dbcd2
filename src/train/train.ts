// nn.train: the training loop over data held in memory. Each epoch shuffles the examples
// (seeded), cuts them into batches of batchSize (the last, smaller batch is dropped, so every
// step runs the one graph built at compile), runs trainer steps and reports progress.
import { createBackend, type Backend } from '../backends/createBackend.js';
import { ShapeError, UnsupportedError } from '../errors.js';
import type { Module } from '../layers/module.js';
import { checkClassIndices } from '../ops/loss/classIndices.js';
import { Random } from '../random.js';
import { sizeOf } from '../shape.js';
import type { Optimizer } from './optimizers.js';
import { compileTraining, type Trainer } from './trainer.js';
import type { LossName } from './trainingGraph.js';

export interface TrainData {
  /** The inputs, example after example: N × (the model's input size) values. */
  readonly x: Float32Array;
  /** The targets: N class indices (crossEntropy) or N × (the output size) values (mse). */
  readonly y: Float32Array;
}

export interface TrainProgress {
  /** Epoch (from 1) and step within it (from 1). */
  readonly epoch: number;
  readonly step: number;
  /** Steps per epoch. */
  readonly steps: number;
  /** Mean loss over the epoch's steps so far. */
  readonly loss: number;
  /** Fraction of the epoch's examples so far whose largest output is the target class (crossEntropy; NaN for mse). */
  readonly accuracy: number;
  /** Examples per second over the epoch so far. */
  readonly examplesPerSecond: number;
}

export interface TrainOptions {
  /** Default: nn.createBackend() ('auto'). */
  backend?: Backend;
  /** Default 1. */
  epochs?: number;
  /** Default 32. */
  batchSize?: number;
  /** Default 'crossEntropy'. */
  loss?: LossName;
  /** Default nn.optim.adam(). */
  optimizer?: Optimizer;
  /** Shuffle the examples every epoch (default true). */
  shuffle?: boolean;
  /** Seeds the shuffling and dropout's masks (default 0). */
  seed?: number;
  /** Stops after the current step when aborted (the loop rejects with the signal's reason). */
  signal?: AbortSignal;
  /** Called after every step. */
  onProgress?: (progress: TrainProgress) => void;
  /** Called with the learning rate for each epoch (from 1) before it starts; the returned rate is used. */
  learningRate?: (epoch: number) => number;
  /** Changes a batch's inputs in place before the step (augmentation): x holds `count` examples. */
  augment?: (x: Float32Array, count: number, rng: Random) => void;
  /** Continue this trainer instead of compiling a new one (its model, backend, loss and optimizer). */
  trainer?: Trainer;
}

export interface TrainResult {
  /** Mean loss and accuracy of each epoch. */
  readonly epochs: { loss: number; accuracy: number }[];
}

export async function train(model: Module, data: TrainData, options: TrainOptions = {}): Promise<TrainResult> {
  const loss = options.loss ?? 'crossEntropy';
  const epochs = positiveInteger(options.epochs ?? 1, 'epochs');
  const inputShape = Object.values(model.inputShapes ?? {});
  if (inputShape.length !== 1) throw new ShapeError(`train: the model needs exactly one input with a known shape (build it with { inputShape }), got ${inputShape.length}`);
  // Examples are stacked along dim 0; a model that takes its batch elsewhere (a recurrent model's
  // x [T, N, I]) would read them in the wrong layout.
  if (model.batchDim() !== 0) {
    throw new UnsupportedError(`train: ${model.type} takes its batch in dim ${model.batchDim()} of its input; train it with compileTraining and trainer.step (x [T, N, …])`);
  }
  const exampleSize = sizeOf(inputShape[0]);
  if (!(data?.x instanceof Float32Array) || !(data.y instanceof Float32Array)) throw new ShapeError('train: data must be { x: Float32Array, y: Float32Array }');
  const count = data.x.length / exampleSize;
  if (!Number.isInteger(count) || count < 1) throw new ShapeError(`train: data.x has ${data.x.length} values, not a whole number (≥ 1) of examples of ${exampleSize}`);
  const targetSize = data.y.length / count;
  if (!Number.isInteger(targetSize) || (loss === 'crossEntropy' && targetSize !== 1)) {
    throw new ShapeError(`train: data.y has ${data.y.length} values for ${count} examples; expected ${loss === 'crossEntropy' ? 'one class index' : 'whole targets'} per example`);
  }
  const batchSize = Math.min(positiveInteger(options.batchSize ?? 32, 'batchSize'), count);
  const seed = options.seed ?? 0;

  const backend = options.backend ?? options.trainer?.backend ?? (await createBackend());
  const trainer = options.trainer ?? (await compileTraining(model, backend, { loss, optimizer: options.optimizer, batchSize, seed }));
  if (trainer.model !== model || trainer.loss !== loss) throw new ShapeError('train: options.trainer was compiled for another model or loss');
  const outputShape = await trainer.outputShape(batchSize);
  const classes = loss === 'crossEntropy' ? outputShape[outputShape.length - 1] : 0;
  if (loss === 'crossEntropy') checkClassIndices(data.y, classes, 'train: data.y');

  const rng = new Random(seed);
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  const steps = Math.floor(count / batchSize);
  const x = new Float32Array(batchSize * exampleSize);
  const y = new Float32Array(batchSize * targetSize);
  const result: TrainResult = { epochs: [] };
  try {
    for (let epoch = 1; epoch <= epochs; epoch++) {
      if (options.learningRate) trainer.learningRate = options.learningRate(epoch);
      if (options.shuffle ?? true) shuffle(order, rng);
      const started = performance.now();
      let lossSum = 0;
      let correct = 0;
      for (let step = 1; step <= steps; step++) {
        options.signal?.throwIfAborted();
        for (let b = 0; b < batchSize; b++) {
          const i = order[(step - 1) * batchSize + b];
          x.set(data.x.subarray(i * exampleSize, (i + 1) * exampleSize), b * exampleSize);
          y.set(data.y.subarray(i * targetSize, (i + 1) * targetSize), b * targetSize);
        }
        options.augment?.(x, batchSize, rng);
        const xt = backend.tensor(x, [batchSize, ...inputShape[0]]);
        const yt = backend.tensor(y, loss === 'crossEntropy' ? [batchSize] : [batchSize, targetSize]);
        let out;
        try {
          out = await trainer.run(xt, yt, true);
        } finally {
          xt.dispose();
          yt.dispose();
        }
        const [lossValue, output] = await Promise.all([out.loss.data(), loss === 'crossEntropy' ? out.output.data() : null]);
        out.loss.dispose();
        out.output.dispose();
        lossSum += lossValue[0];
        if (output) correct += countCorrect(output, y, classes);
        const seconds = (performance.now() - started) / 1000;
        options.onProgress?.({
          epoch,
          step,
          steps,
          loss: lossSum / step,
          accuracy: output ? correct / (step * batchSize) : NaN,
          examplesPerSecond: (step * batchSize) / seconds,
        });
      }
      result.epochs.push({ loss: lossSum / steps, accuracy: loss === 'crossEntropy' ? correct / (steps * batchSize) : NaN });
    }
    await trainer.syncWeights();
  } finally {
    if (!options.trainer) trainer.dispose();
    if (!options.backend && !options.trainer) backend.dispose();
  }
  return result;
}

/** Rows of `output` [n, classes] whose largest entry is the target class. */
export function countCorrect(output: Float32Array, targets: Float32Array, classes: number): number {
  let correct = 0;
  for (let r = 0; r < targets.length; r++) {
    let best = 0;
    for (let c = 1; c < classes; c++) if (output[r * classes + c] > output[r * classes + best]) best = c;
    if (best === targets[r]) correct++;
  }
  return correct;
}

function shuffle(order: Uint32Array, rng: Random): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
}

function positiveInteger(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new ShapeError(`train: ${what} must be a positive integer, got ${String(v)}`);
  return v;
}
