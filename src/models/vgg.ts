// VGG (Simonyan & Zisserman 2014), the configurations of the paper's Table 1 as torchvision
// builds them: 3×3 convolutions (pad 1) with ReLU — BatchNorm between them with
// { batchNorm: true } — in five blocks closed by 2×2 max pooling, AdaptiveAvgPool2d(7×7), then
// 4096-4096-classes dense layers with dropout. vgg11/13/16/19 are configurations A, B, D and E
// with torchvision's state dict keys, shapes and initialisation scales (Kaiming fan-out
// convolutions, dense weights of std 0.01, zero biases; drawn uniform, see common.ts). C (1×1 convolutions closing blocks 3–5) and
// A-LRN (LRN after the first convolution) are built with vgg({ config }).
import type { Module } from '../layers/module.js';
import * as layers from '../layers/index.js';
import type { Sequential } from '../layers/sequential.js';
import { featuresClassifier } from './alexnet.js';
import { asImageModel, imageOptions, kaimingUniform, oneOf, uniformWithStd, ZERO, type ImageModelOptions } from './common.js';

export type VggConfig = 'A' | 'A-LRN' | 'B' | 'C' | 'D' | 'E';

export interface VggOptions extends ImageModelOptions {
  /** Insert BatchNorm2d after every convolution, as torchvision's vgg*_bn (default false). */
  batchNorm?: boolean;
}

/** Per block, the convolutions as [kernel size, output channels]. */
const BLOCKS: Record<VggConfig, [number, number][][]> = {
  A: blocks([1, 1, 2, 2, 2]),
  'A-LRN': blocks([1, 1, 2, 2, 2]),
  B: blocks([2, 2, 2, 2, 2]),
  C: blocks([2, 2, 3, 3, 3]).map((block, b) => (b < 2 ? block : block.map(([k, c], i) => [i === 2 ? 1 : k, c]))),
  D: blocks([2, 2, 3, 3, 3]),
  E: blocks([2, 2, 4, 4, 4]),
};

function blocks(depths: number[]): [number, number][][] {
  const widths = [64, 128, 256, 512, 512];
  return depths.map((n, b) => Array.from({ length: n }, () => [3, widths[b]] as [number, number]));
}

/** Any configuration of Table 1: vgg({ config: 'C' }). */
export function vgg(opts: VggOptions & { config?: VggConfig } = {}): Sequential {
  const config = oneOf('vgg', 'config', opts.config, ['A', 'A-LRN', 'B', 'C', 'D', 'E'], 'D');
  const o = imageOptions('vgg', opts, { inChannels: 3, numClasses: 1000, inputSize: 224 });
  const features: Module[] = [];
  let channels = o.inChannels;
  for (const block of BLOCKS[config]) {
    for (const [kernel, out] of block) {
      const first = features.length === 0;
      features.push(layers.conv2d(channels, out, kernel, { padding: (kernel - 1) / 2, weightInit: kaimingUniform(out * kernel * kernel), biasInit: ZERO }));
      if (opts.batchNorm) features.push(layers.batchNorm2d(out));
      features.push(layers.relu());
      // Krizhevsky's LRN (k 2, n 5, α 1e-4, β 0.75); PyTorch's alpha is divided by the size.
      if (config === 'A-LRN' && first) features.push(layers.localResponseNorm(5, { alpha: 5 * 1e-4, beta: 0.75, k: 2 }));
      channels = out;
    }
    features.push(layers.maxPool2d(2, { stride: 2 }));
  }
  const dense = (inF: number, outF: number) => layers.linear(inF, outF, { weightInit: uniformWithStd(0.01), biasInit: ZERO });
  const net = featuresClassifier(features, layers.adaptiveAvgPool2d(7), [
    dense(512 * 7 * 7, 4096),
    layers.relu(),
    layers.dropout(0.5),
    dense(4096, 4096),
    layers.relu(),
    layers.dropout(0.5),
    dense(4096, o.numClasses),
  ]);
  return asImageModel(net, o, opts);
}

/** Configuration A (11 weight layers). */
export const vgg11 = (opts: VggOptions = {}) => vgg({ ...opts, config: 'A' });
/** Configuration B (13 weight layers). */
export const vgg13 = (opts: VggOptions = {}) => vgg({ ...opts, config: 'B' });
/** Configuration D (16 weight layers). */
export const vgg16 = (opts: VggOptions = {}) => vgg({ ...opts, config: 'D' });
/** Configuration E (19 weight layers). */
export const vgg19 = (opts: VggOptions = {}) => vgg({ ...opts, config: 'E' });
