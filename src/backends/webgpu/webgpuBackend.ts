// The WebGPU backend. Eager ops encode their dispatches at once into a pending command encoder
// that data() (or a compiled run) submits, so a chain of eager ops is one submit. Compiled
// graphs (gpuGraph.ts) record everything at compile and replay it as one command buffer per run.
import { DeviceLimitError, NNError, UnsupportedError } from '../../errors.js';
import type { Graph } from '../../graph/ir.js';
import type { PreparedGraph } from '../../graph/session.js';
import type { OpDef } from '../../ops/op.js';
import { formatShape, sizeOf, type Shape } from '../../shape.js';
import { Tensor, type Storage } from '../../tensor.js';
import { BackendBase } from '../backendBase.js';
import { acquireDevice, MAP_MODE_READ, STORAGE_USAGE, UNIFORM_USAGE, USAGE, type DeviceOptions } from './device.js';
import { prepareGpuGraph, type GpuGraphHost } from './gpuGraph.js';
import { bufferArg, mib, scratchArg, storageBindingLimit, type DispatchSpec, type GpuArg, type GpuRegion, type KernelRecorder } from '../../ops/kernel.js';
import { PipelineCache } from './pipelines.js';

export class GpuStorage implements Storage {
  refs = 0;
  constructor(
    public buffer: GPUBuffer,
    readonly bytes: number,
  ) {}
}


/** Work encoded by eager ops and not yet submitted. */
interface Pending {
  readonly encoder: GPUCommandEncoder;
  pass: GPUComputePassEncoder | null;
  /** Buffers to destroy once the work that uses them is submitted. */
  readonly release: GPUBuffer[];
  dispatches: number;
  /**
   * Uniform blocks of the queued dispatches, written into buffers that stay mapped until the
   * submit: one buffer per many dispatches instead of one each (the main cost of eager ops).
   */
  uniforms: { buffer: GPUBuffer; bytes: Uint8Array; used: number } | null;
  readonly mappedUniforms: GPUBuffer[];
}

const UNIFORM_ARENA_BYTES = 64 * 1024;

/** Submit eager work after this many dispatches, so memory held by released buffers stays bounded. */
const EAGER_FLUSH_DISPATCHES = 256;

export interface WebGpuBackendOptions extends DeviceOptions {
  /**
   * Log every dispatch to the console, eager and compiled: the kernel (shader label and
   * override constants), its workgroup grid and binding count; a compiled run logs its
   * recorded dispatches each time it runs.
   */
  debug?: boolean;
  /**
   * Which kernel variants to pick where the best one differs between GPUs and CPU-based
   * adapters (KernelRecorder.softwareAdapter): 'auto' (default) by the adapter, or forced —
   * tests use 'gpu' to run the GPU variants on SwiftShader.
   */
  tuning?: 'auto' | 'gpu' | 'software';
}

export class WebGpuBackend extends BackendBase implements GpuGraphHost {
  readonly name = 'webgpu';
  readonly fallbackReason = undefined;
  readonly pipelines: PipelineCache;
  readonly debug: boolean;
  /** What this backend has sent to the GPU so far (for tests and profiling). */
  readonly counters = { submits: 0, commandBuffers: 0, dispatches: 0, readbacks: 0 };
  /** See KernelRecorder.softwareAdapter. */
  readonly softwareAdapter: boolean;
  #pending: Pending | null = null;
  #lost: string | null = null;
  #disposed = false;
  /** Validation and out-of-memory errors of eager work, raised by the next data(). */
  readonly #deviceErrors: string[] = [];
  readonly #onDeviceError = (e: GPUUncapturedErrorEvent) => void this.#deviceErrors.push(e.error.message);

  private constructor(
    readonly device: GPUDevice,
    private readonly ownsDevice: boolean,
    /** The GPU object the device came from, held as long as the backend (see device.ts). */
    readonly gpu: GPU | null,
    options: WebGpuBackendOptions,
  ) {
    super();
    this.pipelines = new PipelineCache(device);
    this.debug = options.debug ?? false;
    const tuning = options.tuning ?? 'auto';
    this.softwareAdapter = tuning === 'auto' ? isSoftwareAdapter(device) : tuning === 'software';
    device.lost.then((info) => {
      this.#lost = info.message || info.reason || 'device lost';
    });
    // Eager ops cannot await an error scope: errors WebGPU reports later surface at data().
    device.addEventListener('uncapturederror', this.#onDeviceError);
  }

  static async create(options: WebGpuBackendOptions = {}): Promise<WebGpuBackend> {
    const { device, owned, gpu } = await acquireDevice(options);
    return new WebGpuBackend(device, owned, gpu, options);
  }

  get limits(): GPUSupportedLimits {
    return this.device.limits;
  }

  // ---------------------------------------------------------------------------------------
  // Buffers

  /** A storage buffer for `bytes` (at least 16, so empty tensors still have one). */
  createBuffer(bytes: number, label?: string): GPUBuffer {
    this.checkUsable();
    return this.device.createBuffer({ label, size: Math.max(16, Math.ceil(bytes / 4) * 4), usage: STORAGE_USAGE });
  }

  /** A buffer holding `data`, written at creation (no queue write that could race pending work). */
  createBufferWith(data: Float32Array | Uint32Array | ArrayBuffer, usage = STORAGE_USAGE, label?: string): GPUBuffer {
    this.checkUsable();
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const buffer = this.device.createBuffer({ label, size: Math.max(16, Math.ceil(bytes.byteLength / 4) * 4), usage, mappedAtCreation: true });
    new Uint8Array(buffer.getMappedRange()).set(bytes);
    buffer.unmap();
    return buffer;
  }

  /** Throws DeviceLimitError if one binding cannot hold `bytes`. */
  checkBindingSize(bytes: number, what: string): void {
    const limit = storageBindingLimit(this.limits);
    if (bytes > limit) {
      throw new DeviceLimitError(`${what} is ${mib(bytes)}; the device binds at most ${mib(limit)} per storage buffer (maxStorageBufferBindingSize)`);
    }
  }

  protected upload(data: Float32Array, shape: Shape): Tensor {
    this.checkBindingSize(data.byteLength, `tensor ${formatShape(shape)}`);
    return new Tensor(this, shape, new GpuStorage(this.createBufferWith(data), data.byteLength));
  }

  /** @internal The tensor's buffer as a kernel argument. */
  argOf(t: Tensor): GpuArg {
    return bufferArg((t.storage as GpuStorage).buffer, t.shape);
  }

  /** @internal A tensor that owns `buffer`. */
  adoptBuffer(buffer: GPUBuffer, shape: Shape): Tensor {
    return new Tensor(this, shape, new GpuStorage(buffer, sizeOf(shape) * 4));
  }

  releaseStorage(storage: Storage): void {
    const { buffer } = storage as GpuStorage;
    // Destroying a buffer that unsubmitted eager work reads would invalidate that work.
    if (this.#pending) this.#pending.release.push(buffer);
    else this.destroyWhenIdle([buffer]);
  }

  /**
   * Destroys buffers once the GPU has finished the work submitted so far. The spec allows an
   * immediate destroy, but Dawn's SwiftShader backend has crashed the process (futex errors)
   * when a buffer in flight was destroyed; waiting costs nothing.
   */
  destroyWhenIdle(buffers: readonly GPUBuffer[]): void {
    if (buffers.length === 0) return;
    if (this.#disposed && this.ownsDevice) return; // the device is gone, and its buffers with it
    this.device.queue.onSubmittedWorkDone().then(
      () => buffers.forEach((b) => b.destroy()),
      () => {},
    );
  }

  // ---------------------------------------------------------------------------------------
  // Eager ops

  protected execute<A>(op: OpDef<A>, inputs: readonly (Tensor | null)[], outShapes: Shape[], attrs: A): Tensor[] {
    this.checkUsable();
    if (op.view) return [new Tensor(this, outShapes[0], inputs[0]!.storage)];
    if (!op.gpu) throw new UnsupportedError(`${op.name}: no WebGPU kernel`);
    outShapes.forEach((s, i) => this.checkBindingSize(sizeOf(s) * 4, `${op.name}: output ${i} ${formatShape(s)}`));
    const outs = outShapes.map((s) => this.adoptBuffer(this.createBuffer(sizeOf(s) * 4), s));
    op.gpu(
      this.#eagerRecorder(),
      inputs.map((t) => (t ? this.argOf(t) : null)),
      outs.map((t) => this.argOf(t)),
      attrs,
    );
    if (this.#pending && this.#pending.dispatches >= EAGER_FLUSH_DISPATCHES) this.flush();
    return outs;
  }

  #eagerRecorder(): KernelRecorder {
    return {
      limits: this.limits,
      softwareAdapter: this.softwareAdapter,
      dispatch: (spec) => {
        if (spec.workgroups[0] * spec.workgroups[1] * spec.workgroups[2] === 0) return;
        const pending = this.#begin();
        const pass = (pending.pass ??= pending.encoder.beginComputePass());
        const uniform = spec.uniforms ? this.#writeUniforms(pending, spec.uniforms) : null;
        this.logDispatch(spec, 'eager');
        const pipeline = this.pipelines.get(spec);
        pass.setPipeline(pipeline);
        pass.setBindGroup(0, this.bindGroup(pipeline, spec, uniform));
        pass.dispatchWorkgroups(...spec.workgroups);
        pending.dispatches++;
      },
      scratch: (bytes) => {
        const buffer = this.createBuffer(bytes, 'scratch');
        this.#begin().release.push(buffer);
        return scratchArg(buffer, bytes);
      },
      copy: (from, to, bytes) => {
        if (bytes === 0) return;
        const pending = this.#begin();
        pending.pass?.end();
        pending.pass = null;
        pending.encoder.copyBufferToBuffer(from.buffer, from.offset, to.buffer, to.offset, bytes);
      },
    };
  }

  #begin(): Pending {
    return (this.#pending ??= {
      encoder: this.device.createCommandEncoder({ label: 'eager' }),
      pass: null,
      release: [],
      dispatches: 0,
      uniforms: null,
      mappedUniforms: [],
    });
  }

  /** Copies one uniform block into the pending arena (a new one when full) and returns its region. */
  #writeUniforms(pending: Pending, block: ArrayBuffer): GpuRegion {
    const align = this.limits.minUniformBufferOffsetAlignment;
    let arena = pending.uniforms;
    if (!arena || arena.used + block.byteLength > arena.bytes.byteLength) {
      const size = Math.max(UNIFORM_ARENA_BYTES, Math.ceil(block.byteLength / align) * align);
      const buffer = this.device.createBuffer({ label: 'eager uniforms', size, usage: UNIFORM_USAGE, mappedAtCreation: true });
      arena = pending.uniforms = { buffer, bytes: new Uint8Array(buffer.getMappedRange()), used: 0 };
      pending.mappedUniforms.push(buffer);
      pending.release.push(buffer);
    }
    const offset = arena.used;
    arena.bytes.set(new Uint8Array(block), offset);
    arena.used = Math.ceil((offset + block.byteLength) / align) * align;
    return { buffer: arena.buffer, offset, size: block.byteLength };
  }

  /** @internal The bind group of one dispatch: uniforms at binding 0, storage from binding 1. */
  bindGroup(pipeline: GPUComputePipeline, spec: DispatchSpec, uniform: GpuRegion | null): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = [];
    if (uniform) entries.push({ binding: 0, resource: { buffer: uniform.buffer, offset: uniform.offset, size: uniform.size } });
    spec.bindings.forEach((r, i) => entries.push({ binding: i + 1, resource: { buffer: r.buffer, offset: r.offset, size: r.size } }));
    return this.device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries });
  }

  /** @internal */
  logDispatch(spec: DispatchSpec, context: string): void {
    if (!this.debug) return;
    console.log(`[webgpu-nn] ${context}: ${PipelineCache.key(spec)} workgroups ${spec.workgroups.join('×')} bindings ${spec.bindings.length}`);
  }

  /** Submits the pending eager work. */
  flush(): void {
    const pending = this.#pending;
    if (!pending) return;
    this.#pending = null;
    pending.pass?.end();
    for (const b of pending.mappedUniforms) b.unmap();
    this.submit(pending.encoder, pending.dispatches);
    this.destroyWhenIdle(pending.release);
  }

  /** @internal Every submit goes through here, so the counters are complete. */
  submit(encoder: GPUCommandEncoder, dispatches: number): void {
    this.device.queue.submit([encoder.finish()]);
    this.counters.submits++;
    this.counters.commandBuffers++;
    this.counters.dispatches += dispatches;
  }

  writeTensor(t: Tensor, data: Float32Array): void {
    this.checkUsable();
    this.flush(); // queued work that reads the old values is submitted before the write
    if (data.byteLength > 0) this.device.queue.writeBuffer((t.storage as GpuStorage).buffer, 0, data.buffer, data.byteOffset, data.byteLength);
  }

  async readTensor(t: Tensor): Promise<Float32Array> {
    this.checkUsable();
    this.flush();
    const bytes = t.size * 4;
    if (bytes === 0) return new Float32Array(0);
    const staging = this.device.createBuffer({ size: bytes, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    const encoder = this.device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer((t.storage as GpuStorage).buffer, 0, staging, 0, bytes);
    this.submit(encoder, 0);
    this.counters.readbacks++;
    try {
      await staging.mapAsync(MAP_MODE_READ);
    } catch (e) {
      staging.destroy();
      this.checkUsable();
      throw new NNError(`data(): reading ${formatShape(t.shape)} back from the GPU failed: ${(e as Error).message}`);
    }
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    staging.destroy();
    this.throwDeviceErrors();
    return out;
  }

  prepareGraph(graph: Graph): Promise<PreparedGraph> {
    this.checkUsable();
    return prepareGpuGraph(this, graph);
  }

  /** @internal Raises, once, the errors WebGPU reported for work queued so far. */
  throwDeviceErrors(): void {
    if (this.#deviceErrors.length === 0) return;
    const errors = this.#deviceErrors.splice(0);
    throw new NNError(`webgpu: the device rejected queued work (${errors.length} error${errors.length > 1 ? 's' : ''}): ${errors[0]}`);
  }

  /** @internal Throws if the device was lost or the backend disposed. */
  checkUsable(): void {
    if (this.#disposed) throw new NNError('webgpu: the backend was disposed');
    if (this.#lost !== null) throw new NNError(`webgpu: the GPU device was lost (${this.#lost}); create a new backend`);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.flush();
    this.#disposed = true;
    this.device.removeEventListener('uncapturederror', this.#onDeviceError);
    if (this.ownsDevice) this.device.destroy();
  }
}

/** SwiftShader, llvmpipe/lavapipe and other CPU implementations (see KernelRecorder.softwareAdapter). */
function isSoftwareAdapter(device: GPUDevice): boolean {
  const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  if (!info) return false;
  const text = `${info.vendor} ${info.architecture} ${info.description}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software/.test(text) || (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
}
