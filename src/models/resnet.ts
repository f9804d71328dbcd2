// ResNet (He, Zhang, Ren & Sun 2015) as torchvision builds it, with its state dict keys and
// shapes (conv1.weight, bn1.running_mean, layer1.0.conv1.weight, layer2.0.downsample.0.weight,
// fc.weight, …): a 7×7/2 stem and 3×3/2 max pooling, four stages of residual blocks (the first
// block of stages 2–4 halves the resolution; a 1×1 convolution with BatchNorm projects the
// shortcut when the shape changes), global average pooling and one dense layer.
//  - resnet18/34: basic blocks (two 3×3 convolutions).
//  - resnet50/101/152: bottleneck blocks (1×1, 3×3, 1×1 with 4× expansion). torchvision's are
//    "v1.5", striding in the 3×3 convolution (ResNet-50: 4.09 GMACs); { variant: 'v1' } strides
//    in the first 1×1 as the paper did (3.86 GMACs). The weights have the same shapes.
// Default weights with torchvision's scales: Kaiming (fan out) convolutions (drawn uniform, see
// common.ts), BatchNorm γ 1 and β 0, PyTorch's default for the dense layer.
import type { SymbolicTensor } from '../graph/tracer.js';
import * as layers from '../layers/index.js';
import { Module, type ForwardContext } from '../layers/module.js';
import { Sequential } from '../layers/sequential.js';
import { asImageModel, imageOptions, kaimingUniform, oneOf, type ImageModelOptions } from './common.js';

export interface ResNetOptions extends ImageModelOptions {
  /** Bottleneck ResNets: 'v1.5' (default, torchvision's: stride in the 3×3) or 'v1' (the paper's: stride in the first 1×1). */
  variant?: 'v1.5' | 'v1';
}

const conv = (inC: number, outC: number, k: number, stride = 1) =>
  layers.conv2d(inC, outC, k, { stride, padding: (k - 1) / 2, bias: false, weightInit: kaimingUniform(outC * k * k) });

/** Which convolution of a bottleneck block carries the stride. */
type StrideAt = 'conv1' | 'conv2';

abstract class ResidualBlock extends Module {
  downsample: Sequential | null = null;

  /** The shortcut: identity, or a strided 1×1 convolution + BatchNorm when the shape changes. */
  protected addDownsample(inChannels: number, outChannels: number, stride: number): void {
    if (stride !== 1 || inChannels !== outChannels) {
      this.downsample = this.addModule('downsample', new Sequential([conv(inChannels, outChannels, 1, stride), layers.batchNorm2d(outChannels)]));
    }
  }

  /** relu(branch + shortcut) */
  protected join(ctx: ForwardContext, branch: SymbolicTensor, x: SymbolicTensor): SymbolicTensor {
    const shortcut = this.downsample ? ctx.call(this.downsample, x) : x;
    return ctx.ops.relu(ctx.ops.add(branch, shortcut));
  }
}

/** Two 3×3 convolutions (ResNet-18/34). */
class BasicBlock extends ResidualBlock {
  static readonly expansion = 1;
  readonly type = 'BasicBlock';
  readonly convs: [Module, Module][];

  constructor(inChannels: number, planes: number, stride: number) {
    super();
    this.convs = [
      [this.addModule('conv1', conv(inChannels, planes, 3, stride)), this.addModule('bn1', layers.batchNorm2d(planes))],
      [this.addModule('conv2', conv(planes, planes, 3)), this.addModule('bn2', layers.batchNorm2d(planes))],
    ];
    this.addDownsample(inChannels, planes, stride);
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    const [[conv1, bn1], [conv2, bn2]] = this.convs;
    const y = ctx.ops.relu(ctx.call(bn1, ctx.call(conv1, x)));
    return this.join(ctx, ctx.call(bn2, ctx.call(conv2, y)), x);
  }
}

/** 1×1 reduce, 3×3, 1×1 expand ×4 (ResNet-50/101/152). */
class Bottleneck extends ResidualBlock {
  static readonly expansion = 4;
  readonly type = 'Bottleneck';
  readonly convs: [Module, Module][];

  constructor(inChannels: number, planes: number, stride: number, strideAt: StrideAt) {
    super();
    const out = planes * Bottleneck.expansion;
    this.convs = [
      [this.addModule('conv1', conv(inChannels, planes, 1, strideAt === 'conv1' ? stride : 1)), this.addModule('bn1', layers.batchNorm2d(planes))],
      [this.addModule('conv2', conv(planes, planes, 3, strideAt === 'conv2' ? stride : 1)), this.addModule('bn2', layers.batchNorm2d(planes))],
      [this.addModule('conv3', conv(planes, out, 1)), this.addModule('bn3', layers.batchNorm2d(out))],
    ];
    this.addDownsample(inChannels, out, stride);
  }

  forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
    let y = x;
    this.convs.forEach(([c, bn], i) => {
      y = ctx.call(bn, ctx.call(c, y));
      if (i < this.convs.length - 1) y = ctx.ops.relu(y);
    });
    return this.join(ctx, y, x);
  }
}

type BlockKind = 'basic' | 'bottleneck';

function resnet(name: string, kind: BlockKind, depths: readonly number[], opts: ResNetOptions): Sequential {
  const o = imageOptions(name, opts, { inChannels: 3, numClasses: 1000, inputSize: 224 });
  const variant = oneOf(name, 'variant', opts.variant, ['v1.5', 'v1'], 'v1.5');
  const strideAt: StrideAt = variant === 'v1' ? 'conv1' : 'conv2';
  const expansion = kind === 'basic' ? BasicBlock.expansion : Bottleneck.expansion;
  let channels = 64;
  const stage = (planes: number, blocks: number, stride: number) => {
    const list: Module[] = [];
    for (let b = 0; b < blocks; b++) {
      const s = b === 0 ? stride : 1;
      list.push(kind === 'basic' ? new BasicBlock(channels, planes, s) : new Bottleneck(channels, planes, s, strideAt));
      channels = planes * expansion;
    }
    return new Sequential(list);
  };
  // 224 → 112 → 56 → 56 → 28 → 14 → 7 → 1.
  const net = new Sequential({
    conv1: conv(o.inChannels, 64, 7, 2),
    bn1: layers.batchNorm2d(64),
    relu: layers.relu(),
    maxpool: layers.maxPool2d(3, { stride: 2, padding: 1 }),
    layer1: stage(64, depths[0], 1),
    layer2: stage(128, depths[1], 2),
    layer3: stage(256, depths[2], 2),
    layer4: stage(512, depths[3], 2),
    avgpool: layers.adaptiveAvgPool2d(1),
    flatten: layers.flatten(),
    fc: layers.linear(512 * expansion, o.numClasses),
  });
  return asImageModel(net, o, opts);
}

export const resnet18 = (opts: ResNetOptions = {}) => resnet('resnet18', 'basic', [2, 2, 2, 2], opts);
export const resnet34 = (opts: ResNetOptions = {}) => resnet('resnet34', 'basic', [3, 4, 6, 3], opts);
export const resnet50 = (opts: ResNetOptions = {}) => resnet('resnet50', 'bottleneck', [3, 4, 6, 3], opts);
export const resnet101 = (opts: ResNetOptions = {}) => resnet('resnet101', 'bottleneck', [3, 4, 23, 3], opts);
export const resnet152 = (opts: ResNetOptions = {}) => resnet('resnet152', 'bottleneck', [3, 8, 36, 3], opts);
