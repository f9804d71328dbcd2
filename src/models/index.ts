// nn.models: the classic networks, built from nn.layers (the modules users compose themselves).
// Builders are synchronous and allocate no weights until they are used (summary() allocates
// nothing); default weights are seeded ({ seed }).
export type { ImageModelOptions } from './common.js';
export { lenet, lenet5, type LeNetOptions } from './lenet.js';
export { alexnet, type AlexNetOptions } from './alexnet.js';
export { vgg, vgg11, vgg13, vgg16, vgg19, type VggConfig, type VggOptions } from './vgg.js';
export { nin } from './nin.js';
export { googlenet, type GoogLeNetOptions } from './googlenet.js';
export { resnet18, resnet34, resnet50, resnet101, resnet152, type ResNetOptions } from './resnet.js';
export { rnn, lstm, gru, RecurrentModel, type RecurrentModelOptions } from './recurrent.js';
export { ZOO, builderName, type ZooEntry } from './registry.js';
