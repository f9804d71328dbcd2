// The WebGPU backend for Node tests: Dawn from the `webgpu` package on SwiftShader (the npm
// scripts set VK_ICD_FILENAMES). No adapter is a failure, never a skip.
import { create } from 'webgpu';
import { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';

export async function createGpuBackend(options: { debug?: boolean; tuning?: 'auto' | 'gpu' | 'software' } = {}): Promise<WebGpuBackend> {
  return WebGpuBackend.create({ gpu: create([]) as GPU, ...options });
}
