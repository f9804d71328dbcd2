// GoogLeNet (Szegedy et al. 2014), with torchvision's module layout and state dict keys
// (conv1.conv.weight, inception3a.branch2.1.conv.weight, …, fc.weight), no auxiliary heads:
//  - default: the network of the paper's table (as in the lecture): the "5×5" branch is a real
//    5×5 convolution, convolutions have biases and no BatchNorm, max pooling 3×3/2 before
//    inception 5a, dropout 40%. The table's LRN layers are not part of it (the table lists none).
//  - { batchNorm: true }: torchvision's googlenet(aux_logits=False): BatchNorm (eps 1e-3) after
//    every bias-free convolution, a 3×3 convolution in the "5×5" branch, 2×2/2 pooling before
//    5a, dropout 20%. 6,624,904 parameters.
// Both end in AdaptiveAvgPool2d(1) (the table's 7×7 average pooling at 224×224).
// Default weights: Kaiming (fan out) convolutions, classifier of std 0.01, zero biases (drawn
// uniform, see common.ts). torchvision draws everything from a truncated normal of std 0.01,
// which with inference BatchNorm shrinks the signal by ~1e-20 over the network's 22 layers.
import type { SymbolicTensor } from '../graph/tracer.js';
import * as layers from '../layers/index.js';
import { Module, type ForwardContext } from '../layers/module.js';
import { Sequential } from '../layers/sequential.js';
import { asImageModel, imageOptions, kaimingUniform, uniformWithStd, ZERO, type ImageModelOptions } from './common.js';

export interface GoogLeNetOptions extends ImageModelOptions {
  /** torchvision's BatchNorm GoogLeNet instead of the paper's table (default false). */
  batchNorm?: boolean;
}

/** Convolution [+ BatchNorm] + ReLU, torchvision's BasicConv2d (ReLU applied in forward). */
class BasicConv2d extends Module {
  readonly type = 'BasicConv2d';
  readonly conv;
  readonly bn;

  constructor(inChannels: number, outChannels: number, kernelSize: number, batchNorm: boolean, opts: { stride?: number; padding?: number } = {}) {
    super();
    const init = kaimingUniform(outChannels * kernelSize * kernelSize);
    this.conv = this.addModule('conv', layers.conv2d(inChannels, outChannels, kernelSize, { ...opts, bias: !batchNorm, weightInit: init, biasInit: ZERO }));
    this.bn = batchNorm ? this.addModule('bn', layers.batchNorm2d(outChannels, { eps: 1e-3 })) : null;
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    const y = ctx.call(this.conv, x);
    return ctx.ops.relu(this.bn ? ctx.call(this.bn, y) : y);
  }
}

/** Channel counts of one inception block, as the table's columns. */
interface InceptionWidths {
  readonly ch1x1: number;
  readonly ch3x3red: number;
  readonly ch3x3: number;
  readonly ch5x5red: number;
  readonly ch5x5: number;
  readonly poolProj: number;
}

/** Four parallel paths concatenated along channels. */
class Inception extends Module {
  readonly type = 'Inception';
  readonly branches: Module[];

  constructor(inChannels: number, w: InceptionWidths, batchNorm: boolean) {
    super();
    const conv = (inC: number, outC: number, k: number) => new BasicConv2d(inC, outC, k, batchNorm, { padding: (k - 1) / 2 });
    // torchvision's "5×5" branch has a 3×3 kernel (a known slip kept for its weights' sake).
    const wide = batchNorm ? 3 : 5;
    this.branches = [
      this.addModule('branch1', conv(inChannels, w.ch1x1, 1)),
      this.addModule('branch2', new Sequential([conv(inChannels, w.ch3x3red, 1), conv(w.ch3x3red, w.ch3x3, 3)])),
      this.addModule('branch3', new Sequential([conv(inChannels, w.ch5x5red, 1), conv(w.ch5x5red, w.ch5x5, wide)])),
      this.addModule('branch4', new Sequential([layers.maxPool2d(3, { stride: 1, padding: 1, ceilMode: true }), conv(inChannels, w.poolProj, 1)])),
    ];
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    return ctx.ops.concat(
      this.branches.map((b) => ctx.call(b, x)),
      { dim: 1 },
    );
  }
}

const row = (ch1x1: number, ch3x3red: number, ch3x3: number, ch5x5red: number, ch5x5: number, poolProj: number): InceptionWidths => ({
  ch1x1,
  ch3x3red,
  ch3x3,
  ch5x5red,
  ch5x5,
  poolProj,
});

/** The inception rows of the table: name, input channels, widths. */
export const GOOGLENET_INCEPTIONS: readonly [string, number, InceptionWidths][] = [
  ['inception3a', 192, row(64, 96, 128, 16, 32, 32)],
  ['inception3b', 256, row(128, 128, 192, 32, 96, 64)],
  ['inception4a', 480, row(192, 96, 208, 16, 48, 64)],
  ['inception4b', 512, row(160, 112, 224, 24, 64, 64)],
  ['inception4c', 512, row(128, 128, 256, 24, 64, 64)],
  ['inception4d', 512, row(112, 144, 288, 32, 64, 64)],
  ['inception4e', 528, row(256, 160, 320, 32, 128, 128)],
  ['inception5a', 832, row(256, 160, 320, 32, 128, 128)],
  ['inception5b', 832, row(384, 192, 384, 48, 128, 128)],
];

export function googlenet(opts: GoogLeNetOptions = {}): Sequential {
  const o = imageOptions('googlenet', opts, { inChannels: 3, numClasses: 1000, inputSize: 224 });
  const bn = opts.batchNorm ?? false;
  const pool = (k: number) => layers.maxPool2d(k, { stride: 2, ceilMode: true });
  const inception = Object.fromEntries(GOOGLENET_INCEPTIONS.map(([name, inC, w]) => [name, new Inception(inC, w, bn)]));
  // 224 → 112 → 56 → 56 → 28 → 28 → 14 → 14 → 7 → 1.
  const net = new Sequential({
    conv1: new BasicConv2d(o.inChannels, 64, 7, bn, { stride: 2, padding: 3 }),
    maxpool1: pool(3),
    conv2: new BasicConv2d(64, 64, 1, bn),
    conv3: new BasicConv2d(64, 192, 3, bn, { padding: 1 }),
    maxpool2: pool(3),
    inception3a: inception.inception3a,
    inception3b: inception.inception3b,
    maxpool3: pool(3),
    inception4a: inception.inception4a,
    inception4b: inception.inception4b,
    inception4c: inception.inception4c,
    inception4d: inception.inception4d,
    inception4e: inception.inception4e,
    maxpool4: pool(bn ? 2 : 3),
    inception5a: inception.inception5a,
    inception5b: inception.inception5b,
    avgpool: layers.adaptiveAvgPool2d(1),
    flatten: layers.flatten(),
    dropout: layers.dropout(bn ? 0.2 : 0.4),
    fc: layers.linear(1024, o.numClasses, { weightInit: uniformWithStd(0.01), biasInit: ZERO }),
  });
  return asImageModel(net, o, opts);
}
