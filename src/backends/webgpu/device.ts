// Getting a GPUDevice and checking, in one place, the limits the kernels rely on. A device we
// request asks for the adapter's largest buffer limits: VGG's first dense weight alone is
// 392 MiB, past the 128 MiB per-binding default.
import { BackendUnavailableError, DeviceLostError } from '../../errors.js';

// GPUBufferUsage / GPUMapMode values, spelled out: those globals do not exist where WebGPU does
// not, and the backends must import everywhere (the CPU fallback).
export const USAGE = { MAP_READ: 0x01, COPY_SRC: 0x04, COPY_DST: 0x08, UNIFORM: 0x40, STORAGE: 0x80, QUERY_RESOLVE: 0x200 } as const;
export const MAP_MODE_READ = 0x01;
export const STORAGE_USAGE = USAGE.STORAGE | USAGE.COPY_SRC | USAGE.COPY_DST;
export const UNIFORM_USAGE = USAGE.UNIFORM | USAGE.COPY_DST;

export interface DeviceOptions {
  /** A GPUDevice you own: used as is, never destroyed by the backend. */
  device?: GPUDevice;
  /** Where to request an adapter when no device is given (default navigator.gpu). */
  gpu?: GPU;
  powerPreference?: GPUPowerPreference;
}

/** Limits requested at the adapter's maximum. */
const RAISED_LIMITS = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxStorageBuffersPerShaderStage',
  'maxComputeWorkgroupStorageSize',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupSizeX',
  'maxComputeWorkgroupSizeY',
] as const;

/** What the kernels in shaders/ assume (the WebGPU spec's defaults). */
const REQUIRED: Partial<Record<keyof GPUSupportedLimits, number>> = {
  maxStorageBuffersPerShaderStage: 8,
  maxComputeInvocationsPerWorkgroup: 256,
  maxComputeWorkgroupSizeX: 256,
  maxComputeWorkgroupStorageSize: 16384,
  maxComputeWorkgroupsPerDimension: 65535,
  maxUniformBufferBindingSize: 16384,
};

export interface AcquiredDevice {
  readonly device: GPUDevice;
  /** True when the backend requested the device and must destroy it on dispose. */
  readonly owned: boolean;
  /**
   * The GPU object the device came from. Held for the device's lifetime: with Dawn in Node
   * (the `webgpu` package) a collected GPU object tears the instance down under a live device
   * and the process aborts.
   */
  readonly gpu: GPU | null;
}

export async function acquireDevice(options: DeviceOptions = {}): Promise<AcquiredDevice> {
  if (options.device) {
    await checkNotLost(options.device);
    checkLimits(options.device.limits);
    return { device: options.device, owned: false, gpu: options.gpu ?? null };
  }
  const gpu = options.gpu ?? (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (!gpu) {
    const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
    throw new BackendUnavailableError(
      node && !(globalThis as { window?: unknown }).window
        ? "webgpu: Node has no navigator.gpu; WebGPU in Node comes from the 'webgpu' package (Dawn): npm install webgpu, then import { create } from 'webgpu' and createBackend('webgpu', { gpu: create([]) }), keeping that GPU object referenced while the backend is in use"
        : 'webgpu: navigator.gpu is missing (no WebGPU in this browser or runtime; Chrome needs a secure context such as https or http://localhost)',
    );
  }
  let adapter: GPUAdapter | null;
  try {
    adapter = await gpu.requestAdapter({ powerPreference: options.powerPreference ?? 'high-performance' });
  } catch (e) {
    throw new BackendUnavailableError(`webgpu: requestAdapter failed: ${(e as Error).message}`);
  }
  if (!adapter) throw new BackendUnavailableError('webgpu: no GPU adapter is available (requestAdapter returned null)');
  checkLimits(adapter.limits);
  const requiredLimits: Record<string, number> = {};
  for (const name of RAISED_LIMITS) requiredLimits[name] = adapter.limits[name];
  // Timestamps for profiled runs (compile's `profile`); a feature costs nothing until used, and
  // the device is made before any compile says whether it will profile.
  // Subgroups for the software adapter's GEMM (lanes share loads: src/ops/gemm/gemmGpu.ts).
  const requiredFeatures = (['timestamp-query', 'subgroups'] as GPUFeatureName[]).filter((f) => adapter.features.has(f));
  let device: GPUDevice;
  try {
    device = await adapter.requestDevice({ label: 'webgpu-nn', requiredLimits, requiredFeatures });
  } catch (e) {
    throw new BackendUnavailableError(`webgpu: requestDevice failed: ${(e as Error).message}`);
  }
  return { device, owned: true, gpu };
}

/**
 * A device passed in may already be lost (destroyed, or its GPU reset). Its `lost` promise is
 * then resolved, or resolves within a task (Dawn reports the loss on its next event tick): wait
 * one task for it rather than accept a device that fails at first use.
 */
async function checkNotLost(device: GPUDevice): Promise<void> {
  const info = await Promise.race([device.lost, new Promise<null>((resolve) => setTimeout(() => resolve(null), 0))]);
  if (info) {
    const why = [info.reason, info.message].filter(Boolean).join(': ') || 'no reason given';
    throw new DeviceLostError(`webgpu: the GPUDevice passed in was lost (${why}); pass a live device or let the backend request one`);
  }
}

function checkLimits(limits: GPUSupportedLimits): void {
  for (const [name, need] of Object.entries(REQUIRED)) {
    const have = limits[name as keyof GPUSupportedLimits] as number;
    if (have < need!) {
      throw new BackendUnavailableError(`webgpu: the device's ${name} is ${have}; the kernels need at least ${need}`);
    }
  }
}
