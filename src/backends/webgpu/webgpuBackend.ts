// The WebGPU backend. Eager ops encode their dispatches at once into a pending command encoder
// that data() (or a compiled run) submits, so a chain of eager ops is one submit. Compiled
// graphs (gpuGraph.ts) record everything at compile and replay it as one command buffer per run.
// Every call that can fail on the GPU runs inside error scopes whose result is attached to the
// tensors that call produces, so a failure surfaces on data() of those tensors alone.
import { DeviceLimitError, DeviceLostError, NNError, UnsupportedError } from '../../errors.js';
import type { Graph } from '../../graph/ir.js';
import type { Plan, PlanOptions } from '../../graph/plan.js';
import type { PreparedGraph } from '../../graph/session.js';
import type { OpDef } from '../../ops/op.js';
import { formatShape, sizeOf, type Shape } from '../../shape.js';
import { Tensor, type Storage } from '../../tensor.js';
import { BackendBase, type DeviceLossInfo, type MemoryInfo } from '../backendBase.js';
import { acquireDevice, MAP_MODE_READ, STORAGE_USAGE, UNIFORM_USAGE, USAGE, type DeviceOptions } from './device.js';
import { checkGpuPlan, prepareGpuGraph } from './gpuGraph.js';
import { bufferArg, mib, scratchArg, storageBindingLimit, type DispatchSpec, type GpuArg, type GpuRegion, type KernelRecorder } from '../../ops/kernel.js';
import { PipelineCache } from './pipelines.js';
import { adapterKey, TunedChoices } from './tunedChoices.js';
import { checkCallerBuffer, probeBinding, type FromGpuBufferOptions } from './gpuInterop.js';
import type { ImageRequest } from '../image.js';

/** @internal */
export class GpuStorage implements Storage {
  refs = 0;
  constructor(
    public buffer: GPUBuffer,
    readonly bytes: number,
    /**
     * Set when the work that writes the buffer may have failed: resolves with WebGPU's error
     * message (or null), so data() reports the failure on the tensor it belongs to. A write
     * (tensor.write) adds its own.
     */
    public failure: Promise<string | null> | null = null,
    /** A caller's buffer lent to the tensor (fromGpuBuffer): never destroyed here. */
    readonly borrowed = false,
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
  /** The error of finishing and submitting this work, or null: every output encoded here shares it. */
  readonly submitted: Promise<string | null>;
  settle(failure: Promise<string | null>): void;
}

const UNIFORM_ARENA_BYTES = 64 * 1024;

/** Submit eager work after this many dispatches, so memory held by released buffers stays bounded. */
const EAGER_FLUSH_DISPATCHES = 256;

/**
 * Backpressure: compiled runs submitted and not yet finished by the GPU, at most. A run() past
 * this waits (asynchronously) for the oldest to finish, so an app that calls run() in a loop
 * without awaiting results queues a bounded amount of GPU work and memory.
 */
export const MAX_RUNS_IN_FLIGHT = 8;

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
   * tests use 'gpu' to run the GPU variants on SwiftShader. With 'auto', compiled graphs use the
   * kernels compile's `tune` chose on this adapter where it has; a forced table ignores them.
   */
  tuning?: 'auto' | 'gpu' | 'software';
}

// A GpuGraphHost structurally (prepareGpuGraph(this, …)): the published types name no internal interface.
export class WebGpuBackend extends BackendBase {
  readonly name = 'webgpu';
  readonly fallbackReason = undefined;
  /** @internal */
  readonly pipelines: PipelineCache;
  /** Logging every dispatch (the `debug` option). */
  readonly debug: boolean;
  /** What this backend has sent to the GPU so far (for tests and profiling). */
  readonly counters = { submits: 0, commandBuffers: 0, dispatches: 0, readbacks: 0 };
  /** @internal See KernelRecorder.softwareAdapter. */
  readonly softwareAdapter: boolean;
  /** @internal See KernelRecorder.quadSubgroups. */
  readonly quadSubgroups: boolean;
  /**
   * @internal Kernel choices tuned on this adapter (compile's `tune`), shared by the backends on
   * it; a backend with a forced `tuning` keeps its own (its table must stay what was asked for).
   */
  readonly tunedChoices: TunedChoices;
  readonly lost: Promise<DeviceLossInfo>;
  #pending: Pending | null = null;
  #lost: string | null = null;
  #disposed = false;
  /** Every GPU buffer this backend (and its sessions) made and has not destroyed yet, with its size. */
  readonly #buffers = new Map<GPUBuffer, number>();
  /** Compiled runs admitted and not finished on the GPU (see MAX_RUNS_IN_FLIGHT), and the runs waiting for a turn. */
  #runsAdmitted = 0;
  readonly #runsWaiting: (() => void)[] = [];

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
    this.quadSubgroups = hasQuadSubgroups(device);
    this.tunedChoices = new TunedChoices(adapterKey(device), tuning === 'auto');
    this.lost = device.lost.then((info) => {
      this.#lost = [info.reason, info.message].filter(Boolean).join(': ') || 'device lost';
      for (const next of this.#runsWaiting.splice(0)) next(); // they fail at once with DeviceLostError
      // Our own dispose() destroying our own device is not a loss to announce.
      if (this.#disposed) return new Promise<never>(() => {});
      return { reason: String(info.reason ?? 'unknown'), message: info.message ?? '' };
    });
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

  /** Every buffer is made here, so dispose() and memory() see them all. */
  #newBuffer(descriptor: GPUBufferDescriptor): GPUBuffer {
    const buffer = this.device.createBuffer(descriptor);
    this.#buffers.set(buffer, descriptor.size);
    return buffer;
  }

  /** @internal A storage buffer for `bytes` (at least 16, so empty tensors still have one). */
  createBuffer(bytes: number, label?: string): GPUBuffer {
    this.checkUsable();
    return this.#newBuffer({ label, size: Math.max(16, Math.ceil(bytes / 4) * 4), usage: STORAGE_USAGE });
  }

  /** @internal A buffer holding `data`, written at creation (no queue write that could race pending work). */
  createBufferWith(data: Float32Array | Uint32Array | ArrayBuffer, usage = STORAGE_USAGE, label?: string): GPUBuffer {
    this.checkUsable();
    const bytes = data instanceof ArrayBuffer ? new Uint8Array(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    const buffer = this.#newBuffer({ label, size: Math.max(16, Math.ceil(bytes.byteLength / 4) * 4), usage, mappedAtCreation: true });
    new Uint8Array(buffer.getMappedRange()).set(bytes);
    buffer.unmap();
    return buffer;
  }

  /** @internal Throws DeviceLimitError if one binding cannot hold `bytes`. */
  checkBindingSize(bytes: number, what: string): void {
    const limit = storageBindingLimit(this.limits);
    if (bytes > limit) {
      throw new DeviceLimitError(`${what} is ${mib(bytes)}; the device binds at most ${mib(limit)} per storage buffer (maxStorageBufferBindingSize)`);
    }
  }

  /** @internal */
  checkTensorSize(shape: Shape, what: string): void {
    this.checkBindingSize(sizeOf(shape) * 4, what);
  }

  /** @internal */
  protected upload(data: Float32Array, shape: Shape): Tensor {
    this.checkBindingSize(data.byteLength, `tensor ${formatShape(shape)}`);
    const [buffer, failure] = this.captureFailure(() => this.createBufferWith(data));
    return Tensor.of(this, shape, new GpuStorage(buffer, data.byteLength, failure));
  }

  /** @internal The tensor's buffer as a kernel argument. */
  argOf(t: Tensor): GpuArg {
    return bufferArg((t.storage as GpuStorage).buffer, t.shape);
  }

  /** @internal A tensor that owns `buffer`; `failure` as in GpuStorage. */
  adoptBuffer(buffer: GPUBuffer, shape: Shape, failure: Promise<string | null> | null = null): Tensor {
    return Tensor.of(this, shape, new GpuStorage(buffer, sizeOf(shape) * 4, failure));
  }

  /**
   * A tensor over `buffer`, a GPUBuffer of this backend's device that holds float32 elements
   * (row-major, from offset 0; it may be larger), without a copy. Its usage must include
   * STORAGE and COPY_SRC (COPY_DST too, to write() it or run into it). Who destroys it:
   * see FromGpuBufferOptions.ownership (by default it stays yours). Asynchronous because only
   * WebGPU's validation can tell a buffer of another device: that is an UnsupportedError here,
   * never a failure of later work.
   */
  override async fromGpuBuffer(buffer: GPUBuffer, shape: readonly number[], options: FromGpuBufferOptions = {}): Promise<Tensor> {
    this.checkUsable();
    const { dims, owned } = checkCallerBuffer(buffer, shape, options);
    const bytes = sizeOf(dims) * 4;
    this.checkBindingSize(bytes, `fromGpuBuffer: tensor ${formatShape(dims)}`);
    const [, validation] = this.captureFailure(() => probeBinding(this.device, buffer, bytes));
    const refused = await validation;
    if (refused) throw new UnsupportedError(`fromGpuBuffer: WebGPU refused the buffer on this backend's device (made by another GPUDevice?): ${refused}`);
    this.checkUsable();
    if (owned) this.#buffers.set(buffer, buffer.size);
    return Tensor.of(this, dims, new GpuStorage(buffer, bytes, null, !owned));
  }

  /** @internal fromImage on the GPU (the CPU reference for images larger than a texture). */
  protected override async imageTensor(request: ImageRequest): Promise<Tensor> {
    const { fitsTextures, imageToGpuBuffer } = await import('./imageGpu.js');
    this.checkUsable();
    if (!fitsTextures(this.device, request)) return super.imageTensor(request);
    return this.adoptBuffer(imageToGpuBuffer(this, request), request.shape);
  }

  /** @internal tensor.gpuBuffer: its buffer, with the work queued so far submitted. */
  gpuBufferOf(t: Tensor): GPUBuffer {
    this.checkUsable();
    this.flush();
    return (t.storage as GpuStorage).buffer;
  }

  /** @internal */
  protected freeStorage(storage: Storage): void {
    if ((storage as GpuStorage).borrowed) return;
    const { buffer } = storage as GpuStorage;
    // Destroying a buffer that unsubmitted eager work reads would invalidate that work.
    if (this.#pending) this.#pending.release.push(buffer);
    else this.destroyWhenIdle([buffer]);
  }

  /**
   * @internal Destroys buffers once the GPU has finished the work submitted so far. The spec allows an
   * immediate destroy, but Dawn's SwiftShader backend has crashed the process (futex errors)
   * when a buffer in flight was destroyed; waiting costs nothing.
   */
  destroyWhenIdle(buffers: readonly GPUBuffer[]): void {
    if (buffers.length === 0 || this.#disposed) return; // dispose() destroys whatever is left
    const destroy = () => {
      for (const b of buffers) if (this.#buffers.delete(b)) b.destroy();
    };
    this.device.queue.onSubmittedWorkDone().then(destroy, destroy);
  }

  /**
   * @internal Runs `encode` (which records and submits GPU work) inside error scopes; the
   * promise resolves with the first validation or out-of-memory error of that work, or null.
   */
  captureFailure<T>(encode: () => T): [T, Promise<string | null>] {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation');
    const pop = () => this.device.popErrorScope().then((e) => e?.message ?? null, () => null);
    let result: T;
    try {
      result = encode();
    } catch (e) {
      void pop();
      void pop();
      throw e;
    }
    return [result, firstFailure([pop(), pop()])];
  }

  /** @internal The failures of the tensors' storages combined (null when none can fail). */
  failureOf(tensors: readonly (Tensor | null)[]): Promise<string | null> | null {
    const failures = tensors.flatMap((t) => (t && (t.storage as GpuStorage).failure ? [(t.storage as GpuStorage).failure!] : []));
    return failures.length > 0 ? firstFailure(failures) : null;
  }

  // ---------------------------------------------------------------------------------------
  // Eager ops

  /** @internal */
  protected execute<A>(op: OpDef<A>, inputs: readonly (Tensor | null)[], outShapes: Shape[], attrs: A): Tensor[] {
    this.checkUsable();
    if (op.view) return [Tensor.of(this, outShapes[0], inputs[0]!.storage)];
    if (!op.gpu) throw new UnsupportedError(`${op.name}: no WebGPU kernel`);
    const pending = this.#begin();
    // The outputs fail if the command buffer they are encoded into fails, or if an input had
    // failed (never zeros). No scope per op: a buffer, pipeline or bind group the device rejects
    // is invalid, and so is the command buffer that uses it. (Scopes per op made 100 eager ReLUs
    // a third slower in a Chromium run of scripts/bench-error-scopes.mjs.)
    const inherited = this.failureOf(inputs);
    const failure = inherited ? firstFailure([inherited, pending.submitted]) : pending.submitted;
    const outs = outShapes.map((s) => this.adoptBuffer(this.createBuffer(sizeOf(s) * 4), s, failure));
    try {
      op.gpu(
        this.#eagerRecorder(),
        inputs.map((t) => (t ? this.argOf(t) : null)),
        outs.map((t) => this.argOf(t)),
        attrs,
      );
    } catch (e) {
      for (const t of outs) t.dispose();
      throw e;
    }
    if (pending.dispatches >= EAGER_FLUSH_DISPATCHES) this.flush();
    return outs;
  }

  #eagerRecorder(): KernelRecorder {
    return {
      limits: this.limits,
      softwareAdapter: this.softwareAdapter,
      quadSubgroups: this.quadSubgroups,
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
    if (this.#pending) return this.#pending;
    // Submitted at the latest when the current task ends: the ops of one synchronous chain share
    // a command buffer, and work nobody reads still runs and frees the buffers it released.
    setTimeout(() => this.flush(), 0);
    let settle!: (failure: Promise<string | null>) => void;
    const submitted = new Promise<string | null>((resolve) => (settle = resolve));
    return (this.#pending = {
      encoder: this.device.createCommandEncoder({ label: 'eager' }),
      pass: null,
      release: [],
      dispatches: 0,
      uniforms: null,
      mappedUniforms: [],
      submitted,
      settle,
    });
  }

  /** Copies one uniform block into the pending arena (a new one when full) and returns its region. */
  #writeUniforms(pending: Pending, block: ArrayBuffer): GpuRegion {
    const align = this.limits.minUniformBufferOffsetAlignment;
    let arena = pending.uniforms;
    if (!arena || arena.used + block.byteLength > arena.bytes.byteLength) {
      const size = Math.max(UNIFORM_ARENA_BYTES, Math.ceil(block.byteLength / align) * align);
      const buffer = this.#newBuffer({ label: 'eager uniforms', size, usage: UNIFORM_USAGE, mappedAtCreation: true });
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

  /** @internal Submits the pending eager work. */
  flush(): void {
    const pending = this.#pending;
    if (!pending || this.#disposed) return;
    this.#pending = null;
    // A dispatch the device rejects invalidates the whole command buffer: its error belongs to every output encoded in it.
    const [, failure] = this.captureFailure(() => {
      pending.pass?.end();
      for (const b of pending.mappedUniforms) b.unmap();
      this.submit(pending.encoder, pending.dispatches);
    });
    pending.settle(failure);
    this.destroyWhenIdle(pending.release);
  }

  /** @internal Every submit goes through here, so the counters are complete. */
  submit(encoder: GPUCommandEncoder, dispatches: number): void {
    this.device.queue.submit([encoder.finish()]);
    this.counters.submits++;
    this.counters.commandBuffers++;
    this.counters.dispatches += dispatches;
  }

  /**
   * @internal Backpressure: resolves when the run may go (fewer than MAX_RUNS_IN_FLIGHT admitted,
   * first come first served) with the function that ends its turn: `release(true)` once the work
   * submitted so far is done on the GPU, `release(false)` at once (the run submitted nothing).
   */
  admitRun(): Promise<(afterSubmittedWork: boolean) => void> {
    let released = false;
    const release = (afterSubmittedWork: boolean) => {
      if (released) return;
      released = true;
      if (!afterSubmittedWork || this.#disposed) return this.#endRun();
      this.device.queue.onSubmittedWorkDone().then(
        () => this.#endRun(),
        () => this.#endRun(),
      );
    };
    if (this.#runsAdmitted < MAX_RUNS_IN_FLIGHT) {
      this.#runsAdmitted++;
      return Promise.resolve(release);
    }
    return new Promise((resolve) => this.#runsWaiting.push(() => resolve(release)));
  }

  /** Compiled runs admitted and not yet finished on the GPU (at most MAX_RUNS_IN_FLIGHT). */
  get runsInFlight(): number {
    return this.#runsAdmitted;
  }

  /** A run's turn ended: the next waiting run takes it over. */
  #endRun(): void {
    const next = this.#runsWaiting.shift();
    if (next) next();
    else this.#runsAdmitted--;
  }

  /** @internal */
  writeTensor(t: Tensor, data: Float32Array): void {
    this.checkUsable();
    const storage = t.storage as GpuStorage;
    if (!(storage.buffer.usage & USAGE.COPY_DST)) throw new UnsupportedError('write(): the tensor\'s GPU buffer (from fromGpuBuffer) has no COPY_DST usage');
    this.flush(); // queued work that reads the old values is submitted before the write
    if (data.byteLength === 0) return;
    const [, failure] = this.captureFailure(() => this.device.queue.writeBuffer(storage.buffer, 0, data.buffer, data.byteOffset, data.byteLength));
    // A write the device rejects leaves the tensor without the values asked for: its data() says so.
    storage.failure = storage.failure ? firstFailure([storage.failure, failure]) : failure;
  }

  /** @internal */
  async readTensor(t: Tensor): Promise<Float32Array> {
    this.checkUsable();
    this.flush();
    const failure = (t.storage as GpuStorage).failure;
    const bytes = t.size * 4;
    if (bytes === 0) return new Float32Array(0);
    const staging = this.#newBuffer({ size: bytes, usage: USAGE.MAP_READ | USAGE.COPY_DST });
    const release = () => {
      if (this.#buffers.delete(staging)) staging.destroy();
    };
    // No error scope of its own: a live tensor's buffer is valid, and the failures of the work
    // that wrote it are the tensor's (`failure`).
    const encoder = this.device.createCommandEncoder({ label: 'readback' });
    encoder.copyBufferToBuffer((t.storage as GpuStorage).buffer, 0, staging, 0, bytes);
    this.submit(encoder, 0);
    this.counters.readbacks++;
    try {
      await staging.mapAsync(MAP_MODE_READ);
    } catch (e) {
      release();
      this.checkUsable();
      throw new NNError(`data(): reading ${formatShape(t.shape)} back from the GPU failed: ${(e as Error).message}`);
    }
    if (!this.#buffers.has(staging)) throw new NNError('data(): the webgpu backend was disposed during the read');
    const out = new Float32Array(staging.getMappedRange().slice(0));
    staging.unmap();
    release();
    const error = failure && (await failure);
    if (error) throw new NNError(`data(): the work that computed ${formatShape(t.shape)} failed on the GPU, so it has no values: ${error}`);
    return out;
  }

  /**
   * @internal Plans for this device: ops that can (convolutions) write their channel slice of a
   * concat in place, where the slice starts at an offset a storage binding may have.
   */
  readonly planOptions: PlanOptions = {
    writesSlice: (producer, byteOffset) => producer.op.gpuWritesSlices === true && byteOffset % this.limits.minStorageBufferOffsetAlignment === 0,
  };

  /** @internal Refuses a plan beyond the device's limits (or with an op without a WebGPU kernel), before anything is allocated. */
  checkPlan(graph: Graph, plan: Plan): void {
    this.checkUsable();
    checkGpuPlan(this, graph, plan);
  }

  /** @internal */
  async prepareGraph(graph: Graph): Promise<PreparedGraph> {
    this.checkUsable();
    return this.trackGraph(await prepareGpuGraph(this, graph));
  }

  override memory(): MemoryInfo {
    let gpuBytes = 0;
    for (const size of this.#buffers.values()) gpuBytes += size;
    return { ...super.memory(), gpuBuffers: this.#buffers.size, gpuBytes };
  }

  /** @internal Throws if the device was lost or the backend disposed. */
  checkUsable(): void {
    if (this.#disposed) throw new NNError('webgpu: the backend was disposed');
    if (this.#lost !== null) throw new DeviceLostError(`webgpu: the GPU device was lost (${this.#lost}); create a new backend (see backend.lost)`);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.flush();
    this.#disposed = true;
    // Runs waiting for a turn go on, and fail at once (the backend is disposed).
    for (const next of this.#runsWaiting.splice(0)) next();
    this.disposeAll();
    this.pipelines.clear();
    const buffers = [...this.#buffers.keys()];
    this.#buffers.clear();
    if (this.ownsDevice) {
      this.device.destroy();
      return;
    }
    // A caller's device stays usable: destroy only what this backend made, once the GPU is done with it.
    const destroy = () => buffers.forEach((b) => b.destroy());
    this.device.queue.onSubmittedWorkDone().then(destroy, destroy);
  }
}

/** The device has subgroups, every one 4 invocations wide (see KernelRecorder.quadSubgroups). */
function hasQuadSubgroups(device: GPUDevice): boolean {
  const info = device.adapterInfo as GPUAdapterInfo & { subgroupMinSize?: number; subgroupMaxSize?: number };
  return device.features.has('subgroups') && info.subgroupMinSize === 4 && info.subgroupMaxSize === 4;
}

/** SwiftShader, llvmpipe/lavapipe and other CPU implementations (see KernelRecorder.softwareAdapter). */
function isSoftwareAdapter(device: GPUDevice): boolean {
  const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  if (!info) return false;
  const text = `${info.vendor} ${info.architecture} ${info.description}`.toLowerCase();
  return /swiftshader|llvmpipe|lavapipe|software/.test(text) || (info as { isFallbackAdapter?: boolean }).isFallbackAdapter === true;
}

/** The first non-null error message of `failures`. */
function firstFailure(failures: readonly Promise<string | null>[]): Promise<string | null> {
  return Promise.all(failures).then((errors) => errors.find((e) => e !== null) ?? null);
}
