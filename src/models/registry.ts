// The zoo registry: one row per model of nn.models (and per variant worth its own line). The
// summary, run and WebGPU model tests and `npm run zoo` (scripts/zoo.mjs) all read this table,
// so a new model is its builder file and one row here.
import type { Module } from '../layers/module.js';
import { alexnet } from './alexnet.js';
import type { ImageModelOptions } from './common.js';
import { googlenet } from './googlenet.js';
import { lenet, lenet5 } from './lenet.js';
import { nin } from './nin.js';
import { gru, lstm, rnn, type RecurrentModelOptions } from './recurrent.js';
import { resnet101, resnet152, resnet18, resnet34, resnet50 } from './resnet.js';
import { vgg, vgg11, vgg13, vgg16, vgg19 } from './vgg.js';

export interface ZooEntry {
  /** The call as users write it, e.g. "resnet50({ variant: 'v1' })"; unique. */
  readonly name: string;
  /** 'image': input [N, C, H, W]; 'sequence': one-hot characters [T, N, I]. */
  readonly kind: 'image' | 'sequence';
  /** Builds the model as `name` says, with `options` added (image models: input size, classes; any: seed). */
  readonly build: (options?: ImageModelOptions & RecurrentModelOptions) => Module;
  /** One sample's input at the default size, batch dim (of 1) in place: [1, C, H, W] or [T, 1, I]. */
  readonly input: readonly number[];
  /** torchvision's name of the same network (state-dict keys and shapes tested against it). */
  readonly torchvision?: string;
  /** Trainable parameters and multiply-accumulates per sample at the default size. */
  readonly params: number;
  readonly macs: number;
  /**
   * The smallest size the model's pooling allows, for tests on a software adapter: builder
   * options, one sample's input (batch dim of 1 in place) and output.
   */
  readonly reduced: { readonly options: ImageModelOptions & RecurrentModelOptions; readonly input: readonly number[]; readonly output: readonly number[] };
}

// AlexNet needs 63 px (65 with the lecture's padding 1), NiN 67, the paper's GoogLeNet 47 (its 3×3
// pooling before 5a), the other /32 networks 32. Recurrent models: 6 steps instead of 35.
const small = /* @__NO_SIDE_EFFECTS__ */ (inChannels: number, size: number): ZooEntry['reduced'] => ({ options: { inputSize: size, numClasses: 10 }, input: [1, inChannels, size, size], output: [1, 10] });
const image = /* @__NO_SIDE_EFFECTS__ */ (
  name: string,
  build: ZooEntry['build'],
  input: number[],
  params: number,
  macs: number,
  { reduced = small(input[1], 32), torchvision }: { reduced?: ZooEntry['reduced']; torchvision?: string } = {},
): ZooEntry => ({
  name,
  torchvision,
  kind: 'image',
  build,
  input,
  params,
  macs,
  reduced,
});
const sequence = /* @__NO_SIDE_EFFECTS__ */ (name: string, build: ZooEntry['build'], params: number, macs: number, outputs = 28): ZooEntry => ({
  name,
  kind: 'sequence',
  build,
  input: [35, 1, 28],
  params,
  macs,
  reduced: { options: {}, input: [6, 1, 28], output: [6, 1, outputs] },
});
const IMAGENET = [1, 3, 224, 224];
const lenetSize: ZooEntry['reduced'] = { options: {}, input: [1, 1, 28, 28], output: [1, 10] };

export const ZOO: readonly ZooEntry[] = [
  image('lenet()', (o) => lenet(o), [1, 1, 28, 28], 61_706, 416_520, { reduced: lenetSize }),
  image("lenet({ activation: 'relu', pooling: 'max' })", (o) => lenet({ activation: 'relu', pooling: 'max', ...o }), [1, 1, 28, 28], 61_706, 416_520, { reduced: lenetSize }),
  image('lenet5()', (o) => lenet5(o), [1, 1, 32, 32], 60_000, 422_824, { reduced: { options: {}, input: [1, 1, 32, 32], output: [1, 10] } }),
  image('alexnet()', (o) => alexnet(o), IMAGENET, 61_100_840, 714_188_480, { reduced: small(3, 63), torchvision: 'alexnet' }),
  image("alexnet({ variant: 'lecture' })", (o) => alexnet({ variant: 'lecture', ...o }), [1, 1, 224, 224], 46_764_746, 938_146_176, { reduced: small(1, 65) }),
  image('vgg11()', (o) => vgg11(o), IMAGENET, 132_863_336, 7_609_090_048, { torchvision: 'vgg11' }),
  image('vgg13()', (o) => vgg13(o), IMAGENET, 133_047_848, 11_308_466_176, { torchvision: 'vgg13' }),
  image('vgg16()', (o) => vgg16(o), IMAGENET, 138_357_544, 15_470_264_320, { torchvision: 'vgg16' }),
  image('vgg19()', (o) => vgg19(o), IMAGENET, 143_667_240, 19_632_062_464, { torchvision: 'vgg19' }),
  image('vgg11({ batchNorm: true })', (o) => vgg11({ batchNorm: true, ...o }), IMAGENET, 132_868_840, 7_609_090_048, { torchvision: 'vgg11_bn' }),
  image('vgg13({ batchNorm: true })', (o) => vgg13({ batchNorm: true, ...o }), IMAGENET, 133_053_736, 11_308_466_176, { torchvision: 'vgg13_bn' }),
  image('vgg16({ batchNorm: true })', (o) => vgg16({ batchNorm: true, ...o }), IMAGENET, 138_365_992, 15_470_264_320, { torchvision: 'vgg16_bn' }),
  image('vgg19({ batchNorm: true })', (o) => vgg19({ batchNorm: true, ...o }), IMAGENET, 143_678_248, 19_632_062_464, { torchvision: 'vgg19_bn' }),
  image("vgg({ config: 'A-LRN' })", (o) => vgg({ config: 'A-LRN', ...o }), IMAGENET, 132_863_336, 7_609_090_048),
  image("vgg({ config: 'C' })", (o) => vgg({ config: 'C', ...o }), IMAGENET, 133_638_952, 11_770_888_192),
  image('nin()', (o) => nin(o), [1, 1, 224, 224], 1_992_166, 762_297_352, { reduced: { options: { inputSize: 67 }, input: [1, 1, 67, 67], output: [1, 10] } }),
  image('googlenet()', (o) => googlenet(o), IMAGENET, 6_998_552, 1_582_671_872, { reduced: small(3, 48) }),
  image('googlenet({ batchNorm: true })', (o) => googlenet({ batchNorm: true, ...o }), IMAGENET, 6_624_904, 1_498_376_192, { torchvision: 'googlenet' }),
  image('resnet18()', (o) => resnet18(o), IMAGENET, 11_689_512, 1_814_073_344, { torchvision: 'resnet18' }),
  image('resnet34()', (o) => resnet34(o), IMAGENET, 21_797_672, 3_663_761_408, { torchvision: 'resnet34' }),
  image('resnet50()', (o) => resnet50(o), IMAGENET, 25_557_032, 4_089_184_256, { torchvision: 'resnet50' }),
  image("resnet50({ variant: 'v1' })", (o) => resnet50({ variant: 'v1', ...o }), IMAGENET, 25_557_032, 3_857_973_248),
  image('resnet101()', (o) => resnet101(o), IMAGENET, 44_549_160, 7_801_405_440, { torchvision: 'resnet101' }),
  image('resnet152()', (o) => resnet152(o), IMAGENET, 60_192_808, 11_513_626_624, { torchvision: 'resnet152' }),
  sequence('rnn()', (o) => rnn(o), 2_908, 98_560),
  sequence('lstm()', (o) => lstm(o), 8_860, 300_160),
  sequence('gru()', (o) => gru(o), 6_876, 232_960),
  sequence('lstm({ numLayers: 2, bidirectional: true })', (o) => lstm({ numLayers: 2, bidirectional: true, ...o }), 42_780, 1_460_480),
];

/** The builder's name of a row ('vgg11' for "vgg11({ batchNorm: true })"). */
export const builderName = (entry: ZooEntry): string => entry.name.slice(0, entry.name.indexOf('('));
