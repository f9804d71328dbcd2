// webgpu-nn: the public API, nothing else.
export * from './errors';
export { Tensor } from './tensor';
