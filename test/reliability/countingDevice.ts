// A real Dawn device (SwiftShader) whose buffers are counted: every createBuffer is recorded and
// every destroy() removes it, so a test can assert that what a backend made comes back to a
// baseline. The device is the caller's, so backends never destroy it.
import { create } from 'webgpu';

export interface CountingDevice {
  readonly gpu: GPU;
  readonly device: GPUDevice;
  /** Buffers created and not destroyed. */
  readonly live: Set<GPUBuffer>;
  /** Waits for the queue to drain and the deferred destroys that follow it. */
  settle(): Promise<void>;
}

export async function countingDevice(): Promise<CountingDevice> {
  const gpu = create([]) as GPU;
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no WebGPU adapter (SwiftShader): GPU tests fail rather than skip');
  const device = await adapter.requestDevice({
    requiredLimits: { maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize, maxBufferSize: adapter.limits.maxBufferSize },
  });
  const live = new Set<GPUBuffer>();
  const createBuffer = device.createBuffer.bind(device);
  device.createBuffer = (descriptor: GPUBufferDescriptor) => {
    const buffer = createBuffer(descriptor);
    live.add(buffer);
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => {
      live.delete(buffer);
      destroy();
    };
    return buffer;
  };
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      await device.queue.onSubmittedWorkDone();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
  };
  return { gpu, device, live, settle };
}
