// nn.layers: constructors that mirror torch.nn's positional arguments. The model zoo is built
// from exactly these.
import type { AdaptiveAvgPool2dSize } from '../ops/pool/adaptiveAvgPool2d.js';
import type { LeakyReluOptions } from '../ops/elementwise/activation.js';
import type { LocalResponseNormOptions } from '../ops/norm/localResponseNorm.js';
import type { AvgPool2dOptions, MaxPool2dOptions } from '../ops/pool/pool2d.js';
import type { FlattenOptions } from '../ops/shape/reshape.js';
import type { SoftmaxOptions } from '../ops/norm/softmax.js';
import { Conv2d, type Conv2dLayerOptions } from './conv.js';
import { Linear, type LinearLayerOptions } from './linear.js';
import { BatchNorm2d, LocalResponseNorm, type BatchNorm2dLayerOptions } from './normalization.js';
import { Recurrent, type RecurrentLayerOptions, type RecurrentSequence, type RecurrentWithState } from './recurrent.js';
import type { RecurrentMode } from '../ops/recurrent/recurrentMath.js';
import { Stateless } from './stateless.js';

type WithoutKernel<T> = Omit<T, 'kernelSize'>;

export const conv2d = (inChannels: number, outChannels: number, kernelSize: number | [number, number], opts?: Conv2dLayerOptions) =>
  new Conv2d(inChannels, outChannels, kernelSize, opts);
export const linear = (inFeatures: number, outFeatures: number, opts?: LinearLayerOptions) => new Linear(inFeatures, outFeatures, opts);
export const batchNorm2d = (numFeatures: number, opts?: BatchNorm2dLayerOptions) => new BatchNorm2d(numFeatures, opts);
export const localResponseNorm = (size: number, opts: Omit<LocalResponseNormOptions, 'size'> = {}) =>
  new LocalResponseNorm({ ...opts, size });

export const maxPool2d = (kernelSize: number | [number, number], opts: WithoutKernel<MaxPool2dOptions> = {}) =>
  new Stateless('MaxPool2d', (ops, x) => ops.maxPool2d(x, { ...opts, kernelSize }));
export const avgPool2d = (kernelSize: number | [number, number], opts: WithoutKernel<AvgPool2dOptions> = {}) =>
  new Stateless('AvgPool2d', (ops, x) => ops.avgPool2d(x, { ...opts, kernelSize }));
export const adaptiveAvgPool2d = (size: AdaptiveAvgPool2dSize) =>
  new Stateless('AdaptiveAvgPool2d', (ops, x) => ops.adaptiveAvgPool2d(x, size));
export const globalAvgPool2d = () => new Stateless('GlobalAvgPool2d', (ops, x) => ops.globalAvgPool2d(x));
export const globalMaxPool2d = () => new Stateless('GlobalMaxPool2d', (ops, x) => ops.globalMaxPool2d(x));

export const relu = () => new Stateless('ReLU', (ops, x) => ops.relu(x));
export const sigmoid = () => new Stateless('Sigmoid', (ops, x) => ops.sigmoid(x));
export const tanh = () => new Stateless('Tanh', (ops, x) => ops.tanh(x));
export const leakyRelu = (negativeSlope = 0.01) =>
  new Stateless('LeakyReLU', (ops, x) => ops.leakyRelu(x, { negativeSlope } satisfies LeakyReluOptions));
export const softmax = (dim = -1) => new Stateless('Softmax', (ops, x) => ops.softmax(x, { dim } satisfies SoftmaxOptions));
export const logSoftmax = (dim = -1) => new Stateless('LogSoftmax', (ops, x) => ops.logSoftmax(x, { dim }));
export const flatten = (startDim = 1, endDim = -1) =>
  new Stateless('Flatten', (ops, x) => ops.flatten(x, { startDim, endDim } satisfies FlattenOptions));
export const dropout = (p = 0.5) => new Stateless('Dropout', (ops, x) => ops.dropout(x, { p }));

/** A recurrent layer builder: with `{ returnState: true }` its forward returns `{ output, h[, c] }`. */
interface RecurrentBuilder<O> {
  (inputSize: number, hiddenSize: number, opts: O & { returnState: true }): RecurrentWithState;
  (inputSize: number, hiddenSize: number, opts?: O & { returnState?: false }): RecurrentSequence;
}
const recurrentBuilder = <O extends RecurrentLayerOptions>(mode: RecurrentMode): RecurrentBuilder<O> =>
  ((inputSize: number, hiddenSize: number, opts?: O) => new Recurrent(mode, inputSize, hiddenSize, opts)) as RecurrentBuilder<O>;
export const lstm = /* @__PURE__ */ recurrentBuilder<Omit<RecurrentLayerOptions, 'nonlinearity'>>('lstm');
export const gru = /* @__PURE__ */ recurrentBuilder<Omit<RecurrentLayerOptions, 'nonlinearity'>>('gru');
export const rnn = /* @__PURE__ */ recurrentBuilder<RecurrentLayerOptions>('rnn');

export { BatchNorm2d, Conv2d, Linear, LocalResponseNorm, Recurrent, Stateless };
