// Tensors over GPU buffers made elsewhere (backend.fromGpuBuffer): the checks that can be made
// at once, and a probe for the one that only WebGPU's validation can make (the buffer's device).
import { NNError, ShapeError, UnsupportedError } from '../../errors.js';
import { checkShape, formatShape, sizeOf, type Shape } from '../../shape.js';
import { USAGE } from './device.js';

/** Options of `backend.fromGpuBuffer`. */
export interface FromGpuBufferOptions {
  /** The element type of the buffer: only 'float32' (computation is float32). */
  dtype?: 'float32';
  /**
   * Who destroys the buffer. 'borrow' (default): it stays yours — the tensor, its views and
   * backend.dispose() never destroy it; keep it alive until the tensor is disposed and the work
   * that reads it has finished. 'transfer': the tensor takes it over and destroys it when the
   * tensor and its views are disposed (or the backend is); do not destroy it yourself.
   */
  ownership?: 'borrow' | 'transfer';
}

/** The usage a buffer needs: bound by kernels (STORAGE) and copied out by data() and runs (COPY_SRC). */
export const REQUIRED_USAGE = USAGE.STORAGE | USAGE.COPY_SRC;

/** Checks a caller's buffer for a float32 tensor of `shape`; returns the shape and whether the tensor owns the buffer. */
export function checkCallerBuffer(buffer: GPUBuffer, shape: readonly number[], options: FromGpuBufferOptions): { dims: Shape; owned: boolean } {
  const what = 'fromGpuBuffer';
  if (typeof buffer !== 'object' || buffer === null || typeof (buffer as GPUBuffer).usage !== 'number' || typeof (buffer as GPUBuffer).size !== 'number') {
    throw new UnsupportedError(`${what}: expected a GPUBuffer, got ${buffer === null ? 'null' : typeof buffer === 'object' ? (buffer as object).constructor?.name ?? 'an object' : typeof buffer}`);
  }
  if (typeof options !== 'object' || options === null) throw new ShapeError(`${what}: options must be an object, got ${String(options)}`);
  const { dtype = 'float32', ownership = 'borrow' } = options;
  if (dtype !== 'float32') throw new UnsupportedError(`${what}: dtype '${String(dtype)}' is not supported (computation is float32)`);
  if (ownership !== 'borrow' && ownership !== 'transfer') {
    throw new ShapeError(`${what}: ownership must be 'borrow' or 'transfer', got ${JSON.stringify(ownership)}`);
  }
  const dims = checkShape(shape, what);
  const missing = REQUIRED_USAGE & ~buffer.usage;
  if (missing !== 0) {
    throw new UnsupportedError(
      `${what}: the buffer's usage lacks ${usageNames(missing)}; create it with GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC (and COPY_DST to write() it or run into it)`,
    );
  }
  const bytes = sizeOf(dims) * 4;
  if (buffer.size < bytes) {
    throw new ShapeError(`${what}: a float32 tensor ${formatShape(dims)} needs ${bytes} bytes, the buffer has ${buffer.size}`);
  }
  if (buffer.mapState !== undefined && buffer.mapState !== 'unmapped') {
    throw new NNError(`${what}: the buffer is ${buffer.mapState}; unmap it first (kernels cannot use a mapped buffer)`);
  }
  return { dims, owned: ownership === 'transfer' };
}

const layouts = new WeakMap<GPUDevice, GPUBindGroupLayout>();

/**
 * Binds `buffer` on `device` (nothing is submitted): WebGPU refuses a buffer of another device,
 * with a validation error that comes asynchronously (the caller awaits its error scope).
 */
export function probeBinding(device: GPUDevice, buffer: GPUBuffer, bytes: number): void {
  if (bytes === 0) return;
  let layout = layouts.get(device);
  if (!layout) {
    layout = device.createBindGroupLayout({ entries: [{ binding: 0, visibility: 4 /* COMPUTE */, buffer: { type: 'read-only-storage' } }] });
    layouts.set(device, layout);
  }
  device.createBindGroup({ layout, entries: [{ binding: 0, resource: { buffer, offset: 0, size: bytes } }] });
}

function usageNames(bits: number): string {
  return (Object.entries(USAGE) as [string, number][]).filter(([, bit]) => bits & bit).map(([name]) => name).join(' and ');
}
