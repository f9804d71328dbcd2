// webgpu-nn: the public API, nothing else.
import type { Backend } from './backends/createBackend.js';
import { compileModule, type CompileOptions, type ModelOutput, type Session } from './graph/session.js';
import { ShapeError } from './errors.js';
import { Module } from './layers/module.js';
import { Sequential, type ModelOptions } from './layers/sequential.js';

export * from './errors.js';
export { Tensor } from './tensor.js';
export type { Shape } from './shape.js';
export { createBackend, type Backend, type BackendName, type CreateBackendOptions } from './backends/createBackend.js';
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
  Session, type CompileOptions, type CompileProgress, type InputShapes, type ModelOutput, type RunOptions, type RunOutput, type SessionInput,
  type SessionOutput,
} from './graph/session.js';
export type { BytesSource, DownloadProgress, FetchBytesOptions } from './io/fetchBytes.js';
export type { Ops } from './ops/index.js';

/** Layers run in order; with { inputShape } the result is a runnable model. */
export function sequential(layers: readonly Module[] | Readonly<Record<string, Module>>, options?: ModelOptions): Sequential {
  return new Sequential(layers, options);
}

/** Plans buffers and builds every kernel; the session's run() executes the model. */
export function compile<M extends Module>(model: M, backend: Backend, options?: CompileOptions): Promise<Session<ModelOutput<M>>> {
  if (!(model instanceof Module)) return Promise.reject(new ShapeError(`compile: expected a model (nn.Module), got ${String(model)}`));
  return compileModule(model, backend, options);
}
