// backend.fromGpuBuffer and tensor.gpuBuffer on WebGPU (Dawn on SwiftShader): tensors over a
// caller's buffers without a copy, who destroys what, the typed errors, and the buffer of a
// computed tensor read by the caller's own WebGPU code. And fromImage's WebGPU kernel against
// the CPU reference on ImageData-like images (browser sources: fromImage.browser.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import * as nn from '../src/index';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { Random } from '../src/random';
import { cpu, expectClose } from './helpers';

const U = { MAP_READ: 0x01, COPY_SRC: 0x04, COPY_DST: 0x08, STORAGE: 0x80 };
const FULL = U.STORAGE | U.COPY_SRC | U.COPY_DST;

describe('fromGpuBuffer and tensor.gpuBuffer', () => {
  const gpuObject = create([]) as GPU; // referenced for as long as its devices are used
  let device: GPUDevice;
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    const adapter = (await gpuObject.requestAdapter())!;
    device = await adapter.requestDevice();
    gpu = (await nn.createBackend('webgpu', { device })) as WebGpuBackend;
  });
  afterAll(() => {
    gpu?.dispose();
    device?.destroy();
  });

  /** A buffer of the caller's, holding `data`, with a counter of destroy() calls. */
  function callerBuffer(data: Float32Array, usage = FULL, on = device): GPUBuffer & { destroyed: number } {
    const buffer = on.createBuffer({ size: data.byteLength + 16, usage, mappedAtCreation: true }) as GPUBuffer & { destroyed: number };
    new Float32Array(buffer.getMappedRange()).set(data);
    buffer.unmap();
    buffer.destroyed = 0;
    const destroy = buffer.destroy.bind(buffer);
    buffer.destroy = () => (buffer.destroyed++, destroy());
    return buffer;
  }

  /** The first `n` floats of `buffer`, read by the caller's own copy and map. */
  async function readOurselves(buffer: GPUBuffer, n: number): Promise<Float32Array> {
    const staging = device.createBuffer({ size: n * 4, usage: U.MAP_READ | U.COPY_DST });
    const encoder = device.createCommandEncoder();
    encoder.copyBufferToBuffer(buffer, 0, staging, 0, n * 4);
    device.queue.submit([encoder.finish()]);
    await staging.mapAsync(1);
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.destroy();
    return out;
  }

  const values = Float32Array.from({ length: 6 }, (_, i) => i - 2.5);

  it('borrowed (the default): no copy, eager ops and data() read it; dispose of the tensor and of the backend never destroy it', async () => {
    const buffer = callerBuffer(values);
    const before = gpu.memory().gpuBuffers;
    const x = await gpu.fromGpuBuffer(buffer, [2, 3]);
    expect(x.gpuBuffer).toBe(buffer);
    expect(gpu.memory().gpuBuffers).toBe(before); // not the backend's buffer
    expect(Array.from(await x.data())).toEqual(Array.from(values));
    expect(Array.from(await gpu.ops.relu(x).data())).toEqual(Array.from(values, (v) => Math.max(0, v)));
    x.write(new Float32Array(6).fill(7)); // COPY_DST: writes go into the caller's buffer
    expect(Array.from(await readOurselves(buffer, 6))).toEqual([7, 7, 7, 7, 7, 7]);
    x.dispose();
    const other = await nn.createBackend('webgpu', { device });
    await other.fromGpuBuffer(buffer, [6]); // never disposed: backend.dispose() frees what is left
    other.dispose();
    await device.queue.onSubmittedWorkDone();
    expect(buffer.destroyed).toBe(0);
    expect(Array.from(await readOurselves(buffer, 6))).toEqual([7, 7, 7, 7, 7, 7]);
    buffer.destroy();
  });

  it("ownership 'transfer': the tensor destroys the buffer once it and its views are disposed, after the work that reads it", async () => {
    const buffer = callerBuffer(values);
    const x = await gpu.fromGpuBuffer(buffer, [6], { ownership: 'transfer' });
    const view = gpu.ops.reshape(x, [2, 3]);
    const y = gpu.ops.sigmoid(view);
    x.dispose();
    await device.queue.onSubmittedWorkDone();
    expect(buffer.destroyed).toBe(0); // the view still holds it
    view.dispose();
    expectClose(await y.data(), Array.from(values, (v) => 1 / (1 + Math.exp(-v))), 'sigmoid of a transferred buffer');
    await device.queue.onSubmittedWorkDone();
    expect(buffer.destroyed).toBe(1);
  });

  it('a compiled model takes its input from a caller buffer and matches the CPU', async () => {
    const data = Float32Array.from({ length: 2 * 12 }, (_, i) => Math.sin(i));
    const model = nn.sequential([nn.layers.linear(12, 5), nn.layers.relu()], { inputShape: [12], seed: 3 });
    const [gSession, cSession] = await Promise.all([nn.compile(model, gpu), nn.compile(model, cpu)]);
    const buffer = callerBuffer(data, U.STORAGE | U.COPY_SRC);
    const y = await gSession.run(await gpu.fromGpuBuffer(buffer, [2, 12]));
    expectClose(await y.data(), await (await cSession.run(cpu.tensor(data, [2, 12]))).data(), 'a model run from a caller buffer');
    gSession.dispose();
    cSession.dispose();
    buffer.destroy();
  });

  it('tensor.gpuBuffer of a computed tensor: queued work is submitted, so the caller reads its values with its own commands', async () => {
    const x = gpu.tensor(values, [2, 3]);
    const y = gpu.ops.mul(gpu.ops.relu(x), x); // queued, not submitted
    const read = await readOurselves(y.gpuBuffer, 6);
    expect(Array.from(read)).toEqual(Array.from(values, (v) => Math.max(0, v) * v));
    expect(gpu.ops.flatten(y, { startDim: 0 }).gpuBuffer).toBe(y.gpuBuffer); // views share it
    y.dispose();
    expect(() => y.gpuBuffer).toThrow(nn.NNError);
    expect(() => cpu.tensor([1], [1]).gpuBuffer).toThrow(nn.UnsupportedError);
  });

  it('typed errors: not a buffer, wrong dtype or ownership, missing usage, too small, mapped, the CPU backend, write() without COPY_DST', async () => {
    const buffer = callerBuffer(values);
    await expect(gpu.fromGpuBuffer(new Float32Array(6) as never, [6])).rejects.toThrow(nn.UnsupportedError);
    await expect(gpu.fromGpuBuffer(null as never, [6])).rejects.toThrow(nn.UnsupportedError);
    await expect(gpu.fromGpuBuffer(buffer, [6], { dtype: 'int32' as never })).rejects.toThrow(/dtype 'int32'/);
    await expect(gpu.fromGpuBuffer(buffer, [6], { ownership: 'mine' as never })).rejects.toThrow(nn.ShapeError);
    await expect(gpu.fromGpuBuffer(buffer, [2, -1])).rejects.toThrow(nn.ShapeError);
    await expect(gpu.fromGpuBuffer(buffer, [100])).rejects.toThrow(/needs 400 bytes, the buffer has 40/);
    const noStorage = callerBuffer(values, U.COPY_SRC | U.COPY_DST);
    await expect(gpu.fromGpuBuffer(noStorage, [6])).rejects.toThrow(nn.UnsupportedError);
    await expect(gpu.fromGpuBuffer(noStorage, [6])).rejects.toThrow(/lacks STORAGE/);
    const mapped = device.createBuffer({ size: 32, usage: U.STORAGE | U.COPY_SRC, mappedAtCreation: true });
    await expect(gpu.fromGpuBuffer(mapped, [4])).rejects.toThrow(/unmap it first/);
    await expect(cpu.fromGpuBuffer(buffer, [6])).rejects.toThrow(nn.UnsupportedError);
    const readOnly = await gpu.fromGpuBuffer(callerBuffer(values, U.STORAGE | U.COPY_SRC), [6]);
    expect(() => readOnly.write(values)).toThrow(/COPY_DST/);
    for (const b of [buffer, noStorage, mapped]) b.destroy();
  });

  it('a buffer of another device is an UnsupportedError naming the cause, and nothing else fails for it', async () => {
    const otherDevice = await (await gpuObject.requestAdapter())!.requestDevice();
    const foreign = callerBuffer(values, FULL, otherDevice);
    await expect(gpu.fromGpuBuffer(foreign, [6])).rejects.toThrow(nn.UnsupportedError);
    await expect(gpu.fromGpuBuffer(foreign, [6])).rejects.toThrow(/refused the buffer on this backend's device/);
    expect(Array.from(await gpu.ops.relu(gpu.tensor(values, [6])).data())).toEqual(Array.from(values, (v) => Math.max(0, v)));
    otherDevice.destroy();
  });

  it('fromImage: the WebGPU kernel (a texture per image, one command buffer) matches the CPU reference', async () => {
    const rng = new Random(12);
    const picture = (width: number, height: number): nn.ImageDataLike => ({
      width,
      height,
      data: Uint8ClampedArray.from(rng.fill(width * height * 4, 0, 256), Math.floor),
    });
    const a = picture(7, 5);
    const b = picture(3, 9);
    const cases: [nn.ImageSource | nn.ImageSource[], nn.FromImageOptions][] = [
      [a, {}],
      [a, { channels: 4, scale: 1 }],
      [a, { channels: 1, size: [11, 13] }],
      [a, { size: [3, 4], mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] }],
      [[a, b], { size: 6, channels: 4, mean: 0.5, std: 0.25 }],
    ];
    for (const [source, options] of cases) {
      const got = await gpu.fromImage(source, options);
      const ref = await cpu.fromImage(source, options);
      expect(got.shape).toEqual(ref.shape);
      expectClose(await got.data(), await ref.data(), `fromImage ${JSON.stringify(options)}`);
    }
  });
});
