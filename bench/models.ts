// The benchmark's models: each key builds a webgpu-nn model with seeded weights and names its
// input. The peers never see these builders: they get the traced graph (graph.ts), the same
// weights and the same input, written to files by the runner.
import * as nn from '../src/index.js';
import { seededInput as mulberry32Input } from '../scripts/mulberry32.mjs';

/** Seed of every model's default weights. */
export const WEIGHT_SEED = 1;
/** Seed of every model's input. */
export const INPUT_SEED = 7;

export interface BenchModel {
  readonly key: string;
  /** One line for the table: what runs. */
  readonly title: string;
  /** Only with --full. */
  readonly full?: boolean;
  /** The model's input, batch included ([N, C, H, W], [N, F] or [T, N, I]). */
  readonly inputShape: readonly number[];
  /** The batch the graph is traced with (the input's N). */
  readonly batch: number;
  /** Warm runs by default (--runs overrides). */
  readonly runs: number;
  /**
   * Consecutive runs timed as one warm sample (the sample is their mean), for models that run in
   * about a millisecond: a page that is not cross-origin isolated times to 0.1 ms only. 1 if absent.
   */
  readonly runsPerSample?: number;
  /** Builds the model with its seeded default weights. */
  build(): nn.Module;
  /**
   * A training benchmark: each run is one SGD step (forward, cross-entropy against seeded class
   * indices, backward, update) and its output is the step's loss; the first step's loss is checked
   * against the float64 reference. Only webgpu-nn and TensorFlow.js train in the browser here.
   */
  readonly train?: { readonly lr: number; readonly classes: number };
}

/** One LSTM layer (PyTorch's nn.LSTM names) whose output is the final hidden state h [1, N, H]. */
class LstmFinalState extends nn.Module {
  readonly type = 'LSTM';
  constructor(
    readonly inputSize: number,
    readonly hiddenSize: number,
    readonly seqLength: number,
  ) {
    super();
    const init = { kind: 'uniform', bound: 1 / Math.sqrt(hiddenSize) } as const;
    this.addParameter('weight_ih_l0', [4 * hiddenSize, inputSize], init);
    this.addParameter('weight_hh_l0', [4 * hiddenSize, hiddenSize], init);
    this.addParameter('bias_ih_l0', [4 * hiddenSize], init);
    this.addParameter('bias_hh_l0', [4 * hiddenSize], init);
    this.inputShapes = { x: [seqLength, inputSize] };
    this.seed = WEIGHT_SEED;
  }

  protected override traceInputs(batch: number) {
    return [{ name: 'x', shape: [this.seqLength, batch, this.inputSize], dynamicDims: { 1: 'N' } }];
  }

  forward(ctx: nn.ForwardContext, x: nn.SymbolicTensor): nn.SymbolicTensor {
    const names = ['weight_ih_l0', 'weight_hh_l0', 'bias_ih_l0', 'bias_hh_l0'];
    const params = Object.fromEntries(names.map((n) => [n, ctx.param(n)]));
    return ctx.ops.lstm(x, params, { hiddenSize: this.hiddenSize }).h;
  }
}

/** VGG-11's features on 3×64×64 (512×2×2 after the fifth pool) and a 2048-wide classifier. */
function vgg11At64(): nn.Module {
  const L = nn.layers;
  const layers: nn.Module[] = [];
  let channels = 3;
  for (const block of [[64], [128], [256, 256], [512, 512], [512, 512]]) {
    for (const out of block) {
      layers.push(L.conv2d(channels, out, 3, { padding: 1 }), L.relu());
      channels = out;
    }
    layers.push(L.maxPool2d(2, { stride: 2 }));
  }
  layers.push(L.flatten(), L.linear(512 * 2 * 2, 4096), L.relu(), L.linear(4096, 4096), L.relu(), L.linear(4096, 1000));
  return nn.sequential(layers, { inputShape: [3, 64, 64], seed: WEIGHT_SEED });
}

const seed = { seed: WEIGHT_SEED };

export const MODELS: readonly BenchModel[] = [
  {
    key: 'roundtrip', runs: 30,
    title: 'one ReLU on 1×1000 (the per-inference floor)',
    inputShape: [1, 1000],
    batch: 1,
    build: () => nn.sequential([nn.layers.relu()], { inputShape: [1000], seed: WEIGHT_SEED }),
  },
  { key: 'lenet_b1', runs: 30, runsPerSample: 10, title: 'LeNet (d2l), batch 1', inputShape: [1, 1, 28, 28], batch: 1, build: () => nn.models.lenet(seed) },
  { key: 'lenet_b256', runs: 10, title: 'LeNet (d2l), batch 256', inputShape: [256, 1, 28, 28], batch: 256, build: () => nn.models.lenet(seed) },
  {
    key: 'matmul1024', runs: 5,
    title: '1024×1024 · 1024×1024 (a linear layer without bias)',
    inputShape: [1024, 1024],
    batch: 1024,
    build: () => nn.sequential([nn.layers.linear(1024, 1024, { bias: false })], { inputShape: [1024], seed: WEIGHT_SEED }),
  },
  {
    key: 'lstm', runs: 5,
    title: 'LSTM, input 128, hidden 256, 64 steps, batch 1 (final h)',
    inputShape: [64, 1, 128],
    batch: 1,
    build: () => new LstmFinalState(128, 256, 64),
  },
  { key: 'resnet18', runs: 3, title: 'ResNet-18, 3×224×224, batch 1', inputShape: [1, 3, 224, 224], batch: 1, build: () => nn.models.resnet18(seed) },
  { key: 'googlenet', runs: 3, title: "GoogLeNet (the lecture's table), 3×224×224, batch 1", inputShape: [1, 3, 224, 224], batch: 1, build: () => nn.models.googlenet(seed) },
  { key: 'vgg11_64', runs: 5, title: 'VGG-11 on 3×64×64 (2048-wide classifier input), batch 1', inputShape: [1, 3, 64, 64], batch: 1, build: vgg11At64 },
  {
    key: 'lenet_train_b64', runs: 10,
    title: 'LeNet (d2l) training: one SGD step (lr 0.1, cross-entropy), batch 64',
    inputShape: [64, 1, 28, 28],
    batch: 64,
    build: () => nn.models.lenet(seed),
    train: { lr: 0.1, classes: 10 },
  },
  { key: 'vgg11', runs: 3, title: 'VGG-11, 3×224×224, batch 1', full: true, inputShape: [1, 3, 224, 224], batch: 1, build: () => nn.models.vgg11(seed) },
];

export function benchModel(key: string): BenchModel {
  const model = MODELS.find((m) => m.key === key);
  if (!model) throw new Error(`bench: no model '${key}'; the models are ${MODELS.map((m) => m.key).join(', ')}`);
  return model;
}

/** Seeded class indices in [0, classes) as float32 (the targets of a training benchmark). */
export function seededTargets(batch: number, classes: number, seed = INPUT_SEED + 1): Float32Array {
  return Float32Array.from(seededInput(batch, seed), (v) => Math.min(classes - 1, Math.floor(((v + 1) / 2) * classes)));
}

/** A seeded input in [−1, 1) (mulberry32), the same on every machine. */
export function seededInput(size: number, seed = INPUT_SEED): Float32Array {
  return mulberry32Input(size, seed);
}
