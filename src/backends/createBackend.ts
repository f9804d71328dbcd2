// createBackend: 'auto' (WebGPU where an adapter exists, else the CPU with the reason),
// 'webgpu' (fails with BackendUnavailableError when it cannot run) or 'cpu'.
import { CpuBackend, type CpuBackendOptions } from './cpu/cpuBackend.js';
import { WebGpuBackend, type WebGpuBackendOptions } from './webgpu/webgpuBackend.js';
import { BackendUnavailableError, ShapeError } from '../errors.js';

export type BackendName = 'auto' | 'webgpu' | 'cpu';

export interface CreateBackendOptions extends WebGpuBackendOptions, CpuBackendOptions {}

/** A backend: `name`, `fallbackReason`, `ops`, `tensor()`, `zeros()`, `dispose()`. */
export type Backend = CpuBackend | WebGpuBackend;

export function createBackend(name: 'cpu', options?: CreateBackendOptions): Promise<CpuBackend>;
export function createBackend(name: 'webgpu', options?: CreateBackendOptions): Promise<WebGpuBackend>;
export function createBackend(name?: BackendName, options?: CreateBackendOptions): Promise<Backend>;
export async function createBackend(name: BackendName = 'auto', options: CreateBackendOptions = {}): Promise<Backend> {
  switch (name) {
    case 'cpu':
      return CpuBackend.create(options);
    case 'webgpu':
      return WebGpuBackend.create(options);
    case 'auto':
      try {
        return await WebGpuBackend.create(options);
      } catch (e) {
        if (e instanceof BackendUnavailableError) return CpuBackend.create(options, e.message);
        throw e;
      }
    default:
      throw new ShapeError(`createBackend: unknown backend '${String(name)}' (expected 'auto', 'webgpu' or 'cpu')`);
  }
}

export { CpuBackend, WebGpuBackend };
