// Network in Network (Lin, Chen & Yan 2013) as the lecture and d2l build it: four NiN blocks
// (a convolution and two 1×1 convolutions, each followed by ReLU) with 3×3/2 max pooling
// between them, dropout, and global average pooling over the last block's numClasses maps
// instead of dense layers. 1×224×224 and 10 classes by default: 1,992,166 parameters. State
// dict keys are d2l's (0.0.weight, 0.2.weight, …, 7.4.bias).
import type { Module } from '../layers/module.js';
import * as layers from '../layers/index.js';
import { Sequential } from '../layers/sequential.js';
import { asImageModel, imageOptions, kaimingUniform, ZERO, type ImageModelOptions } from './common.js';

/**
 * A convolution and two 1×1 convolutions, each followed by ReLU. Default weights are Kaiming
 * (fan in, drawn uniform) with zero biases: with PyTorch's default the 12 ReLU layers would shrink the
 * signal some 30,000× and the output would be the last biases alone.
 */
function ninBlock(inChannels: number, outChannels: number, kernelSize: number, stride: number, padding: number): Sequential {
  const conv = (inC: number, k: number, opts: { stride?: number; padding?: number } = {}) =>
    layers.conv2d(inC, outChannels, k, { ...opts, weightInit: kaimingUniform(inC * k * k), biasInit: ZERO });
  const block: Module[] = [
    conv(inChannels, kernelSize, { stride, padding }),
    layers.relu(),
    conv(outChannels, 1),
    layers.relu(),
    conv(outChannels, 1),
    layers.relu(),
  ];
  return new Sequential(block);
}

export function nin(opts: ImageModelOptions = {}): Sequential {
  const o = imageOptions('nin', opts, { inChannels: 1, numClasses: 10, inputSize: 224 });
  // 224 → 54 → 26 → 26 → 12 → 12 → 5 → 5 → 1.
  const net = new Sequential([
    ninBlock(o.inChannels, 96, 11, 4, 0),
    layers.maxPool2d(3, { stride: 2 }),
    ninBlock(96, 256, 5, 1, 2),
    layers.maxPool2d(3, { stride: 2 }),
    ninBlock(256, 384, 3, 1, 1),
    layers.maxPool2d(3, { stride: 2 }),
    layers.dropout(0.5),
    ninBlock(384, o.numClasses, 3, 1, 1),
    layers.adaptiveAvgPool2d(1),
    layers.flatten(),
  ]);
  return asImageModel(net, o, opts);
}
