// fromImage on WebGPU: each image copied by the browser into an RGBA8 texture
// (copyExternalImageToTexture; ImageData, and sources the browser cannot copy, by writeTexture),
// then from_image.wgsl resizes and normalises it into the tensor's buffer. No pixel passes
// through JavaScript for the sources the browser copies; one command buffer for the whole batch.
import fromImageWgsl from '../../../shaders/image/from_image.wgsl?raw';
import { isImageData, readingImage, readPixels, type ImageRequest } from '../image.js';

/** What the conversion uses of the WebGPU backend. */
export interface ImageGpuHost {
  readonly device: GPUDevice;
  createBuffer(bytes: number, label?: string): GPUBuffer;
  createBufferWith(data: ArrayBuffer, usage?: number, label?: string): GPUBuffer;
  submit(encoder: GPUCommandEncoder, dispatches: number): void;
  destroyWhenIdle(buffers: readonly GPUBuffer[]): void;
}

const TEXTURE_USAGE = 0x02 /* COPY_DST */ | 0x04 /* TEXTURE_BINDING */ | 0x10 /* RENDER_ATTACHMENT: copyExternalImageToTexture */;
// GPUBufferUsage UNIFORM | COPY_DST (device.ts's UNIFORM_USAGE, spelled out so this lazily loaded chunk shares no module but errors with the core).
const UNIFORM_USAGE = 0x40 | 0x08;
const PARAMS_BYTES = 64;
const pipelines = new WeakMap<GPUDevice, GPUComputePipeline>();

/** Whether every source fits in a texture of `device` (else the caller converts on the CPU). */
export function fitsTextures(device: GPUDevice, request: ImageRequest): boolean {
  const max = device.limits.maxTextureDimension2D;
  return request.sources.every((s) => s.width <= max && s.height <= max);
}

/** Converts the request's images into a new storage buffer of [N, C, H, W] float32 and returns it. */
export function imageToGpuBuffer(host: ImageGpuHost, request: ImageRequest): GPUBuffer {
  const { device } = host;
  const { channels, width, height, sources } = request;
  const textures = sources.map(({ source, width: w, height: h }) => {
    const texture = device.createTexture({ label: 'fromImage', size: [w, h], format: 'rgba8unorm', usage: TEXTURE_USAGE });
    const write = (rgba: Uint8Array | Uint8ClampedArray) =>
      device.queue.writeTexture({ texture }, rgba as Uint8Array<ArrayBuffer>, { bytesPerRow: w * 4 }, [w, h]);
    try {
      if (isImageData(source)) {
        write(source.data);
      } else {
        try {
          device.queue.copyExternalImageToTexture({ source: source as GPUCopyExternalImageSource }, { texture, premultipliedAlpha: false }, [w, h]);
        } catch (e) {
          // A cross-origin image stays refused; a copy the browser cannot make (Chromium's
          // software adapter and a VideoFrame) goes through a 2D canvas instead.
          if ((e as Error)?.name === 'SecurityError') readingImage(() => { throw e; });
          write(readPixels(source, w, h));
        }
      }
    } catch (e) {
      texture.destroy();
      throw e;
    }
    return texture;
  });
  const align = device.limits.minUniformBufferOffsetAlignment;
  const stride = Math.ceil(PARAMS_BYTES / align) * align;
  const params = new ArrayBuffer(stride * sources.length);
  sources.forEach((s, n) => {
    const u32 = new Uint32Array(params, n * stride, 8);
    u32.set([s.width, s.height, width, height, channels, n * channels * width * height]);
    new Float32Array(params, n * stride + 24, 1)[0] = request.scale;
    new Float32Array(params, n * stride + 32, 8).set([...pad4(request.mean), ...pad4(request.invStd)]);
  });
  const uniforms = host.createBufferWith(params, UNIFORM_USAGE, 'fromImage params');
  const out = host.createBuffer(request.shape.reduce((a, b) => a * b, 1) * 4, 'fromImage');
  const pipeline = pipelineOf(device);
  const encoder = device.createCommandEncoder({ label: 'fromImage' });
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  textures.forEach((texture, n) => {
    const bindGroup = device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [
        { binding: 0, resource: { buffer: uniforms, offset: n * stride, size: PARAMS_BYTES } },
        { binding: 1, resource: texture.createView() },
        { binding: 2, resource: { buffer: out } },
      ],
    });
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(Math.ceil(width / 8), Math.ceil(height / 8));
  });
  pass.end();
  host.submit(encoder, textures.length);
  host.destroyWhenIdle([uniforms]);
  const destroy = () => textures.forEach((t) => t.destroy());
  device.queue.onSubmittedWorkDone().then(destroy, destroy);
  return out;
}

function pipelineOf(device: GPUDevice): GPUComputePipeline {
  let pipeline = pipelines.get(device);
  if (!pipeline) {
    const module = device.createShaderModule({ label: 'from_image.wgsl', code: fromImageWgsl });
    pipeline = device.createComputePipeline({ label: 'from_image', layout: 'auto', compute: { module, entryPoint: 'main' } });
    pipelines.set(device, pipeline);
  }
  return pipeline;
}

function pad4(values: readonly number[]): number[] {
  return [0, 1, 2, 3].map((i) => values[i] ?? 0);
}
