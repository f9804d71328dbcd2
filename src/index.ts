// webgpu-nn: the public API, nothing else.
import type { Backend } from './backends/createBackend.js';
import { compileModule, type CompileOptions, type ModelOutput, type Session } from './graph/session.js';
import { ShapeError } from './errors.js';
import { Module } from './layers/module.js';
import { Sequential, type ModelOptions } from './layers/sequential.js';
import { adam, sgd } from './train/optimizers.js';
import { train as trainLoop, type TrainData, type TrainOptions, type TrainResult } from './train/train.js';
import { compileTraining as compileTrainer, type CompileTrainingOptions, type Trainer } from './train/trainer.js';

export * from './errors.js';
export { Tensor } from './tensor.js';
export type { Shape } from './shape.js';
export { createBackend, type Backend, type BackendName, type CreateBackendOptions } from './backends/createBackend.js';
export type { DeviceLossInfo, MemoryInfo } from './backends/backendBase.js';
export type { FromGpuBufferOptions } from './backends/webgpu/gpuInterop.js';
export type { CanvasElementLike, FromImageOptions, ImageDataLike, ImageElementLike, ImageSource, VideoElementLike } from './backends/image.js';
export * as layers from './layers/index.js';
export * as models from './models/index.js';
// Each builder on its own too, so that an app importing one ships only that one.
export {
  alexnet, googlenet, gru, lenet, lenet5, lstm, nin, resnet101, resnet152, resnet18, resnet34, resnet50, rnn,
  vgg, vgg11, vgg13, vgg16, vgg19,
} from './models/index.js';
export { Module, Parameter, type ForwardContext, type LayerSummary, type ModelSummary } from './layers/module.js';
export { Sequential, type ModelOptions } from './layers/sequential.js';
export { SymbolicTensor } from './graph/tracer.js';
export {
  Session, type CompileOptions, type CompileProgress, type InputShapes, type ModelOutput, type ProfileMethodRequest, type RunOptions, type RunOutput,
  type SessionInput, type SessionOutput, type TuneOptions,
} from './graph/session.js';
export { formatProfile, type FormatProfileOptions, type Profile, type ProfileMethod, type ProfilePart, type ProfileRow } from './graph/profile.js';
export type { BytesSource, DownloadProgress, FetchBytesOptions } from './io/fetchBytes.js';
export type { Ops } from './ops/index.js';
// The types that public signatures name, so that consumers can name them too.
export type { CpuBackend, CpuBackendInfo, CpuBackendOptions } from './backends/cpu/cpuBackend.js';
export type { WebGpuBackend } from './backends/webgpu/webgpuBackend.js';
export type { Init } from './layers/module.js';
export type { Conv2dLayerOptions } from './layers/conv.js';
export type { LinearLayerOptions } from './layers/linear.js';
export type { BatchNorm2dLayerOptions } from './layers/normalization.js';
export type { RecurrentLayerOptions } from './layers/recurrent.js';
export type { RecurrentMode } from './ops/recurrent/recurrentMath.js';
export type { AdaptiveAvgPool2dSize } from './ops/pool/adaptiveAvgPool2d.js';
export type { AvgPool2dOptions, MaxPool2dOptions } from './ops/pool/pool2d.js';
export type { LocalResponseNormOptions } from './ops/norm/localResponseNorm.js';
export type { SoftmaxOptions } from './ops/norm/softmax.js';
export type { LeakyReluOptions, ClipOptions } from './ops/elementwise/activation.js';
export type { ConcatOptions } from './ops/shape/concat.js';
export type { Conv2dOptions } from './ops/conv/conv2d.js';
export type { BatchNorm2dOptions } from './ops/norm/batchNorm2d.js';
export type { DropoutOptions, FlattenOptions } from './ops/shape/reshape.js';
export type { GruOptions, LstmOptions, RnnOptions } from './ops/recurrent/recurrent.js';
export type { GruCellOptions, RnnCellOptions } from './ops/recurrent/recurrentCell.js';
export { Trainer, type CompileTrainingOptions } from './train/trainer.js';
export type { TrainData, TrainOptions, TrainProgress, TrainResult } from './train/train.js';
export type { LossName } from './train/trainingGraph.js';
export type { Optimizer, SgdOptions, AdamOptions } from './train/optimizers.js';
/** Optimizers for compileTraining and train: torch.optim.SGD and torch.optim.Adam. */
export const optim = { sgd, adam };
export { importOnnx } from './io/onnx/importOnnx.js';
export { OnnxModel, type ImportOnnxOptions } from './io/onnx/onnxModel.js';
export type { OnnxGraphInput } from './io/onnx/onnxGraph.js';

/** Layers run in order; with { inputShape } the result is a runnable model. */
export function sequential(layers: readonly Module[] | Readonly<Record<string, Module>>, options?: ModelOptions): Sequential {
  return new Sequential(layers, options);
}

/** Plans buffers and builds every kernel; the session's run() executes the model. */
export function compile<M extends Module>(model: M, backend: Backend, options?: CompileOptions): Promise<Session<ModelOutput<M>>> {
  if (!(model instanceof Module)) return Promise.reject(new ShapeError(`compile: expected a model (nn.Module), got ${String(model)}`));
  return compileModule(model, backend, options);
}

/**
 * Builds the training step of `model` on `backend`: forward in training mode, the loss, reverse
 * mode and the optimizer's updates in one graph, with parameters and optimizer state resident.
 */
export function compileTraining(model: Module, backend: Backend, options?: CompileTrainingOptions): Promise<Trainer> {
  if (!(model instanceof Module)) return Promise.reject(new ShapeError(`compileTraining: expected a model (nn.Module), got ${String(model)}`));
  return compileTrainer(model, backend, options);
}

/** Trains `model` on in-memory data for some epochs, then writes the trained values into it. */
export function train(model: Module, data: TrainData, options?: TrainOptions): Promise<TrainResult> {
  if (!(model instanceof Module)) return Promise.reject(new ShapeError(`train: expected a model (nn.Module), got ${String(model)}`));
  return trainLoop(model, data, options);
}
