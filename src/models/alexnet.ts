// AlexNet (Krizhevsky, Sutskever & Hinton 2012), two ways:
//  - torchvision's (default): the one-GPU "One weird trick" channel counts 64-192-384-256-256,
//    AdaptiveAvgPool2d(6×6), dropout before the dense layers. 61,100,840 parameters; its state
//    dict keys and shapes are torchvision's (features.0.weight … classifier.6.bias).
//  - { variant: 'lecture' }: the lecture's (and d2l's) 96-256-384-384-256 network on 1×224×224
//    with 10 classes, dropout after the two hidden dense layers: 46,764,746 parameters. An
//    AdaptiveAvgPool2d(5×5) sits where the 5×5 maps reach the classifier (an identity at 224),
//    so its weights also fit other input sizes.
import * as layers from '../layers/index.js';
import { Module } from '../layers/module.js';
import { Sequential } from '../layers/sequential.js';
import { asImageModel, imageOptions, oneOf, type ImageModelOptions } from './common.js';

export interface AlexNetOptions extends ImageModelOptions {
  /** 'torchvision' (default: 3×224×224, 1000 classes) or 'lecture' (1×224×224, 10 classes). */
  variant?: 'torchvision' | 'lecture';
}

/** features → avgpool → flatten → classifier: the layout (and state dict prefixes) of torchvision's AlexNet and VGG. */
export function featuresClassifier(features: Module[], avgpool: Module, classifier: Module[]): Sequential {
  return new Sequential({ features: new Sequential(features), avgpool, flatten: layers.flatten(), classifier: new Sequential(classifier) });
}

export function alexnet(opts: AlexNetOptions = {}): Sequential {
  const variant = oneOf('alexnet', 'variant', opts.variant, ['torchvision', 'lecture'], 'torchvision');
  return variant === 'lecture' ? lectureAlexNet(opts) : torchvisionAlexNet(opts);
}

function torchvisionAlexNet(opts: ImageModelOptions): Sequential {
  const o = imageOptions('alexnet', opts, { inChannels: 3, numClasses: 1000, inputSize: 224 });
  const net = featuresClassifier(
    [
      layers.conv2d(o.inChannels, 64, 11, { stride: 4, padding: 2 }),
      layers.relu(),
      layers.maxPool2d(3, { stride: 2 }),
      layers.conv2d(64, 192, 5, { padding: 2 }),
      layers.relu(),
      layers.maxPool2d(3, { stride: 2 }),
      layers.conv2d(192, 384, 3, { padding: 1 }),
      layers.relu(),
      layers.conv2d(384, 256, 3, { padding: 1 }),
      layers.relu(),
      layers.conv2d(256, 256, 3, { padding: 1 }),
      layers.relu(),
      layers.maxPool2d(3, { stride: 2 }),
    ],
    layers.adaptiveAvgPool2d(6),
    [
      layers.dropout(0.5),
      layers.linear(256 * 6 * 6, 4096),
      layers.relu(),
      layers.dropout(0.5),
      layers.linear(4096, 4096),
      layers.relu(),
      layers.linear(4096, o.numClasses),
    ],
  );
  return asImageModel(net, o, opts);
}

function lectureAlexNet(opts: ImageModelOptions): Sequential {
  const o = imageOptions('alexnet', opts, { inChannels: 1, numClasses: 10, inputSize: 224 });
  // 224 → 54 → 26 → 26 → 12 → 12 → 12 → 12 → 5.
  const net = featuresClassifier(
    [
      layers.conv2d(o.inChannels, 96, 11, { stride: 4, padding: 1 }),
      layers.relu(),
      layers.maxPool2d(3, { stride: 2 }),
      layers.conv2d(96, 256, 5, { padding: 2 }),
      layers.relu(),
      layers.maxPool2d(3, { stride: 2 }),
      layers.conv2d(256, 384, 3, { padding: 1 }),
      layers.relu(),
      layers.conv2d(384, 384, 3, { padding: 1 }),
      layers.relu(),
      layers.conv2d(384, 256, 3, { padding: 1 }),
      layers.relu(),
      layers.maxPool2d(3, { stride: 2 }),
    ],
    layers.adaptiveAvgPool2d(5),
    [
      layers.linear(256 * 5 * 5, 4096),
      layers.relu(),
      layers.dropout(0.5),
      layers.linear(4096, 4096),
      layers.relu(),
      layers.dropout(0.5),
      layers.linear(4096, o.numClasses),
    ],
  );
  return asImageModel(net, o, opts);
}
