// webgpu-nn: the public API, nothing else.
import type { Backend } from './backend';
import { compileModule, type CompileOptions, type Session } from './graph/session';
import { ShapeError } from './errors';
import { Module } from './layers/module';
import { Sequential, type ModelOptions } from './layers/sequential';

export * from './errors';
export { Tensor } from './tensor';
export type { Shape } from './shape';
export { createBackend, type Backend, type BackendName, type CreateBackendOptions } from './backend';
export * as layers from './layers';
export * as models from './models';
export { Module, Parameter, type ForwardContext, type LayerSummary, type ModelSummary } from './layers/module';
export { Sequential, type ModelOptions } from './layers/sequential';
export { SymbolicTensor } from './graph/tracer';
export { Session, type CompileOptions, type SessionInput, type SessionOutput } from './graph/session';
export type { Ops } from './ops';

/** Layers run in order; with { inputShape } the result is a runnable model. */
export function sequential(layers: readonly Module[] | Readonly<Record<string, Module>>, options?: ModelOptions): Sequential {
  return new Sequential(layers, options);
}

/** Plans buffers and builds every kernel; the session's run() executes the model. */
export function compile(model: Module, backend: Backend, options?: CompileOptions): Promise<Session> {
  if (!(model instanceof Module)) return Promise.reject(new ShapeError(`compile: expected a model (nn.Module), got ${String(model)}`));
  return compileModule(model, backend, options);
}
