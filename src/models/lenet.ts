// LeNet, two ways:
//  - lenet(): the lecture's (and d2l's) LeNet on 28×28 MNIST: conv 6@5×5 pad 2, sigmoid, 2×2
//    average pooling, conv 16@5×5, sigmoid, pooling, dense 120-84-10. 61,706 parameters,
//    416,520 MACs. A flat nn.Sequential, so its state dict keys are d2l's (0.weight, 3.weight,
//    7.weight, 9.weight, 11.weight).
//  - lenet5(): LeCun, Bottou, Bengio & Haffner (1998) as published: 32×32 input; C1 6@5×5;
//    S2 trainable subsampling; C3 16@5×5 over the partial connection table (Table I); S4; C5
//    120@5×5; F6 84 units; every layer up to F6 squashed by the scaled tanh 1.7159·tanh(2x/3);
//    a Euclidean RBF output over 840 fixed ±1 centres. 60,000 trainable parameters.
import { ShapeError } from '../errors.js';
import type { SymbolicTensor } from '../graph/tracer.js';
import * as layers from '../layers/index.js';
import { Module, type ForwardContext, type Init } from '../layers/module.js';
import { Sequential } from '../layers/sequential.js';
import { asImageModel, imageOptions, oneOf, type ImageModelOptions } from './common.js';

export interface LeNetOptions extends ImageModelOptions {
  /** 'sigmoid' (default, as in the lecture) or 'relu' (the modern variant). */
  activation?: 'sigmoid' | 'relu';
  /** 'avg' (default) or 'max'. */
  pooling?: 'avg' | 'max';
}

/** The lecture's LeNet: input [1, 28, 28] and 10 classes by default. */
export function lenet(opts: LeNetOptions = {}): Sequential {
  const o = imageOptions('lenet', opts, { inChannels: 1, numClasses: 10, inputSize: 28 });
  const activation = oneOf('lenet', 'activation', opts.activation, ['sigmoid', 'relu'], 'sigmoid');
  const pooling = oneOf('lenet', 'pooling', opts.pooling, ['avg', 'max'], 'avg');
  const act = () => (activation === 'relu' ? layers.relu() : layers.sigmoid());
  const pool = () => (pooling === 'max' ? layers.maxPool2d(2, { stride: 2 }) : layers.avgPool2d(2, { stride: 2 }));
  // 28 → 28 (pad 2) → 14 → 10 → 5 for MNIST.
  const [h, w] = o.inputSize.map((d) => Math.floor((Math.floor(d / 2) - 4) / 2));
  if (h < 1 || w < 1) throw new ShapeError(`lenet: inputSize ${o.inputSize.join('×')} is too small; the second pooling needs at least 12×12`);
  const net = new Sequential([
    layers.conv2d(o.inChannels, 6, 5, { padding: 2 }),
    act(),
    pool(),
    layers.conv2d(6, 16, 5),
    act(),
    pool(),
    layers.flatten(),
    layers.linear(16 * h * w, 120),
    act(),
    layers.linear(120, 84),
    act(),
    layers.linear(84, o.numClasses),
  ]);
  return asImageModel(net, o, opts);
}

// ---- LeNet-5 (1998) ----

/** The squashing function of the paper's Appendix A: f(a) = A·tanh(S·a), A = 1.7159, S = 2/3. */
class ScaledTanh extends Module {
  readonly type = 'ScaledTanh';

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    const scaled = ctx.ops.mul(x, ctx.constant('slope', [1], Float32Array.of(2 / 3)));
    return ctx.ops.mul(ctx.ops.tanh(scaled), ctx.constant('amplitude', [1], Float32Array.of(1.7159)));
  }
}

/** The paper's initialisation: uniform in ±2.4 / fan-in. */
const paperInit = (fanIn: number): Init => ({ kind: 'uniform', bound: 2.4 / fanIn });

/**
 * S2 and S4: each output is the sum of a 2×2 block times a trainable coefficient, plus a
 * trainable bias, per map (2 parameters a map). Run as a depthwise 2×2 stride-2 convolution
 * whose four taps all equal the map's coefficient.
 */
class Subsampling extends Module {
  readonly type = 'Subsampling';

  constructor(readonly channels: number) {
    super();
    this.addParameter('weight', [channels], paperInit(4));
    this.addParameter('bias', [channels], paperInit(4));
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    const C = this.channels;
    const coefficient = ctx.ops.reshape(ctx.param('weight'), [C, 1, 1, 1]);
    const taps = ctx.ops.mul(coefficient, ctx.constant('taps', [1, 1, 2, 2], new Float32Array(4).fill(1)));
    return ctx.ops.conv2d(x, taps, ctx.param('bias'), { stride: 2, groups: C });
  }
}

/**
 * Table I of the paper: which S2 maps (rows) each C3 map (column) reads. Maps 0–5 read three
 * neighbouring maps, 6–11 four neighbouring, 12–14 four non-neighbouring, 15 all six: 60
 * connections, 1,500 weights and 16 biases.
 */
export const LENET5_C3_TABLE: readonly (readonly number[])[] = [
  ...[0, 1, 2, 3, 4, 5].map((i) => [0, 1, 2].map((k) => (i + k) % 6).sort((a, b) => a - b)),
  ...[0, 1, 2, 3, 4, 5].map((i) => [0, 1, 2, 3].map((k) => (i + k) % 6).sort((a, b) => a - b)),
  [0, 1, 3, 4],
  [1, 2, 4, 5],
  [0, 2, 3, 5],
  [0, 1, 2, 3, 4, 5],
];

/**
 * C3: a 5×5 convolution whose weight [16, 6, 5, 5] is masked by the connection table. The
 * unconnected kernels are fixed zeros (the mask is multiplied in on every forward, so loaded
 * or trained values there have no effect) and are not counted as parameters. The dense
 * convolution computes them anyway: summary() shows its 240,000 MACs, not the paper's 150,000.
 */
class PartialConv2d extends Module {
  readonly type = 'PartialConv2d';
  readonly #mapMask: Float32Array;

  constructor(
    readonly table: readonly (readonly number[])[],
    readonly inChannels: number,
    readonly kernelSize: number,
  ) {
    super();
    const O = table.length;
    const taps = kernelSize * kernelSize;
    this.#mapMask = new Float32Array(O * inChannels);
    table.forEach((inputs, o) => inputs.forEach((i) => (this.#mapMask[o * inChannels + i] = 1)));
    const mask = new Uint8Array(O * inChannels * taps);
    this.#mapMask.forEach((m, k) => m && mask.fill(1, k * taps, (k + 1) * taps));
    const init: Init = {
      kind: 'values',
      values: (rng) => {
        const w = new Float32Array(mask.length);
        table.forEach((inputs, o) => {
          const bound = 2.4 / (inputs.length * taps);
          for (let k = o * inChannels * taps; k < (o + 1) * inChannels * taps; k++) if (mask[k]) w[k] = rng.uniform(-bound, bound);
        });
        return w;
      },
    };
    this.addParameter('weight', [O, inChannels, kernelSize, kernelSize], init, true, mask);
    this.addParameter('bias', [O], { kind: 'values', values: (rng) => Float32Array.from(table, (inputs) => rng.uniform(-1, 1) * (2.4 / (inputs.length * taps))) });
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    const mask = ctx.constant('mask', [this.table.length, this.inChannels, 1, 1], this.#mapMask);
    return ctx.ops.conv2d(x, ctx.ops.mul(ctx.param('weight'), mask), ctx.param('bias'));
  }
}

/**
 * The output layer: one Euclidean radial basis function unit per class, y_i = Σ_j (x_j − w_ij)².
 * The centres w [classes, 84] are fixed (a buffer, not a parameter); the paper drew them as ±1
 * bitmaps of stylised characters, here they are seeded ±1 values until loadWeights replaces
 * them. The smallest output is the predicted class.
 */
class EuclideanRbf extends Module {
  readonly type = 'EuclideanRBF';

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
  ) {
    super();
    const signs: Init = { kind: 'values', values: (rng) => Float32Array.from({ length: inFeatures * outFeatures }, () => (rng.next() < 0.5 ? -1 : 1)) };
    this.addParameter('weight', [outFeatures, inFeatures], signs, false);
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    // x [N, F] against w [K, F]: differences [N, K, F], squared, summed over F by a row of ones.
    const negCentres = ctx.ops.mul(ctx.param('weight'), ctx.constant('minus_one', [1], Float32Array.of(-1)));
    const diff = ctx.ops.add(ctx.ops.reshape(x, [-1, 1, this.inFeatures]), negCentres);
    const squared = ctx.ops.mul(diff, diff);
    const ones = ctx.constant('ones', [1, this.inFeatures], new Float32Array(this.inFeatures).fill(1));
    return ctx.ops.flatten(ctx.ops.linear(squared, ones));
  }
}

/** LeNet-5 as published (LeCun et al. 1998): input [1, 32, 32], 10 RBF outputs by default. */
export function lenet5(opts: ImageModelOptions = {}): Sequential {
  const o = imageOptions('lenet5', opts, { inChannels: 1, numClasses: 10, inputSize: 32 });
  // 32 → C1 28 → S2 14 → C3 10 → S4 5 → C5 1.
  const [h, w] = o.inputSize.map((d) => Math.floor((Math.floor((d - 4) / 2) - 4) / 2) - 4);
  if (h < 1 || w < 1) throw new ShapeError(`lenet5: inputSize ${o.inputSize.join('×')} is too small; C5 needs at least 32×32`);
  const conv = (inC: number, outC: number) => {
    const init = paperInit(inC * 25);
    return layers.conv2d(inC, outC, 5, { weightInit: init, biasInit: init });
  };
  const net = new Sequential({
    c1: conv(o.inChannels, 6),
    c1_tanh: new ScaledTanh(),
    s2: new Subsampling(6),
    s2_tanh: new ScaledTanh(),
    c3: new PartialConv2d(LENET5_C3_TABLE, 6, 5),
    c3_tanh: new ScaledTanh(),
    s4: new Subsampling(16),
    s4_tanh: new ScaledTanh(),
    c5: conv(16, 120),
    c5_tanh: new ScaledTanh(),
    flatten: layers.flatten(),
    f6: layers.linear(120 * h * w, 84, { weightInit: paperInit(120 * h * w), biasInit: paperInit(120 * h * w) }),
    f6_tanh: new ScaledTanh(),
    output: new EuclideanRbf(84, o.numClasses),
  });
  return asImageModel(net, o, opts);
}
