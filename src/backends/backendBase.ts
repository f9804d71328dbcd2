// What every backend shares: the eager op table, argument checks, tensor creation, and the
// accounting behind memory() (live tensors, sessions, tensors dropped without dispose()).
import { ShapeError, UnsupportedError } from '../errors.js';
import type { PreparedGraph } from '../graph/session.js';
import { makeOps, type Ops } from '../ops/index.js';
import type { OpDef } from '../ops/op.js';
import { checkShape, formatShape, sizeOf, type Shape } from '../shape.js';
import { Tensor, type Storage } from '../tensor.js';
import type { FromImageOptions, ImageRequest, ImageSource } from './image.js';
import type { FromGpuBufferOptions } from './webgpu/gpuInterop.js';

export type TensorData = Float32Array | readonly number[];

/** What `backend.lost` resolves with: why the device went, in WebGPU's words. */
export interface DeviceLossInfo {
  /** 'destroyed' (someone called device.destroy()) or 'unknown' (driver reset, GPU removed, …). */
  readonly reason: string;
  readonly message: string;
}

/** `backend.memory()`, in the spirit of tf.memory(). */
export interface MemoryInfo {
  /** Tensors made and not yet disposed (a view counts as a tensor of its own). */
  readonly numTensors: number;
  /** Distinct storages behind them (views share their source's). */
  readonly numDataBuffers: number;
  /** Bytes those storages hold. */
  readonly numBytes: number;
  /** Compiled sessions not yet disposed. */
  readonly numSessions: number;
  /** Bytes the sessions hold: uploaded weights and the buffers planned per input shape. */
  readonly sessionBytes: number;
  /**
   * Tensors that were garbage-collected without dispose(). A FinalizationRegistry reclaims their
   * storage as a safety net: when that happens is up to the garbage collector (maybe never), so
   * dispose() stays the way to free memory; a count above 0 points at a leak in the app.
   */
  readonly numDroppedTensors: number;
  /** WebGPU: every GPU buffer the backend holds now (tensors, sessions, readbacks, buffers awaiting in-flight work). */
  readonly gpuBuffers?: number;
  readonly gpuBytes?: number;
}

/** @internal A prepared graph the backend counts in memory() until it is disposed. */
export interface TrackedGraph extends PreparedGraph {
  /** Bytes held by the weights and every instantiated plan. */
  bytes(): number;
}

// The backends are TensorOwners and OpRunners structurally (makeOps(this), Tensor.of(this, …)):
// no `implements` clause, so that the published types name none of those internal interfaces.
export abstract class BackendBase {
  abstract readonly name: 'cpu' | 'webgpu';
  abstract readonly fallbackReason: string | undefined;
  /** Resolves when the device is lost (never on the CPU); recover by creating a new backend and compiling again. */
  abstract readonly lost: Promise<DeviceLossInfo>;
  /** The eager ops: each returns at once (work is queued); `data()` is the only await. */
  readonly ops: Ops<Tensor> = makeOps<Tensor>(this);

  #liveTensors = 0;
  #droppedTensors = 0;
  readonly #storages = new Set<Storage>();
  readonly #graphs = new Set<TrackedGraph>();
  /** The safety net for tensors dropped without dispose(): holds each one's storage, never the tensor. */
  readonly #finalizer = new FinalizationRegistry<Storage>((storage) => {
    this.#droppedTensors++;
    this.#liveTensors--;
    if (--storage.refs === 0) this.releaseStorage(storage);
  });

  /** A float32 tensor holding a copy of `data` (row-major, NCHW for images). */
  tensor(data: TensorData, shape: readonly number[]): Tensor {
    const dims = checkShape(shape, 'tensor');
    this.checkTensorSize(dims, `tensor ${formatShape(dims)}`);
    if (!(data instanceof Float32Array) && !Array.isArray(data)) {
      const kind = ArrayBuffer.isView(data) ? (data as object).constructor.name : data === null ? 'null' : typeof data;
      throw new UnsupportedError(`tensor: data must be a Float32Array or an array of numbers, got ${kind} (computation is float32)`);
    }
    const n = sizeOf(dims);
    if (data.length !== n) {
      throw new ShapeError(`tensor: shape ${formatShape(dims)} needs ${n} elements, data has ${data.length}`);
    }
    if (!(data instanceof Float32Array)) {
      const bad = data.findIndex((v) => typeof v !== 'number');
      if (bad >= 0) throw new ShapeError(`tensor: element ${bad} of the data is ${describeValue(data[bad])}, not a number`);
    }
    return this.upload(data instanceof Float32Array ? data : Float32Array.from(data), dims);
  }

  /**
   * An image (or several, as a batch) as an NCHW float32 tensor [N, C, H, W]: resized and
   * normalised as torchvision's Resize + ToTensor + Normalize do (see FromImageOptions: by default
   * RGB in 0..1 at the image's size). Sources: ImageData (or `{ data, width, height }` RGBA bytes,
   * the only kind in Node), ImageBitmap, OffscreenCanvas, VideoFrame, and <img>, <canvas>, <video>.
   * On WebGPU the browser copies each image into a texture and a kernel converts it (no pixel
   * passes through JavaScript); the CPU backend reads the pixels through a 2D canvas. An <img>
   * still loading is awaited (`img.decode()`). Asynchronous, as ONNX Runtime Web's
   * Tensor.fromImage: the conversion's code is loaded on first use, so apps without images do
   * not ship it.
   */
  async fromImage(source: ImageSource | readonly ImageSource[], options: FromImageOptions = {}): Promise<Tensor> {
    const image = await import('./image.js');
    await image.decodeImages(source);
    const request = image.imageRequest(source, options);
    this.checkTensorSize(request.shape, `fromImage: tensor [${request.shape.join(', ')}]`);
    return this.imageTensor(request);
  }

  /** @internal fromImage's conversion: the CPU reference, uploaded. */
  protected async imageTensor(request: ImageRequest): Promise<Tensor> {
    const { imageToFloat32 } = await import('./image.js');
    return this.upload(imageToFloat32(request), request.shape);
  }

  /**
   * A tensor over a GPUBuffer you made on the backend's device, without a copy (WebGPU backends;
   * the CPU backend has no device: it rejects with an UnsupportedError). See WebGpuBackend.fromGpuBuffer.
   */
  fromGpuBuffer(buffer: GPUBuffer, shape: readonly number[], options?: FromGpuBufferOptions): Promise<Tensor>;
  fromGpuBuffer(): Promise<Tensor> {
    return Promise.reject(new UnsupportedError(`fromGpuBuffer: the '${this.name}' backend has no GPU device; upload the data with backend.tensor(data, shape)`));
  }

  /** A tensor of zeros. */
  zeros(shape: readonly number[]): Tensor {
    const dims = checkShape(shape, 'zeros');
    this.checkTensorSize(dims, `zeros ${formatShape(dims)}`);
    return this.upload(new Float32Array(sizeOf(dims)), dims);
  }

  /** @internal What `ops` calls: validates the arguments, infers the output shapes, then runs the op (public: makeOps calls it). */
  runOp<A>(op: OpDef<A>, inputs: readonly (Tensor | null)[], attrs: A): Tensor[] {
    inputs.forEach((t, i) => {
      if (t === null) return;
      if (!(t instanceof Tensor)) throw new ShapeError(`${op.name}: input ${i} is not a Tensor (got ${typeof t})`);
      t.assertUsableBy(this, `${op.name}: input ${i}`);
    });
    const outShapes = op.inferShapes(
      inputs.map((t) => t?.shape ?? null),
      attrs,
    );
    if (!op.view) outShapes.forEach((s, i) => this.checkTensorSize(s, `${op.name}: output ${i} ${formatShape(s)}`));
    return this.execute(op, inputs, outShapes, attrs);
  }

  /** Live tensors and sessions and the bytes they hold (as tf.memory()); see MemoryInfo. */
  memory(): MemoryInfo {
    let numBytes = 0;
    for (const s of this.#storages) numBytes += s.bytes;
    let sessionBytes = 0;
    for (const g of this.#graphs) sessionBytes += g.bytes();
    return {
      numTensors: this.#liveTensors,
      numDataBuffers: this.#storages.size,
      numBytes,
      numSessions: this.#graphs.size,
      sessionBytes,
      numDroppedTensors: this.#droppedTensors,
    };
  }

  /** @internal */
  tensorCreated(t: Tensor): void {
    this.#liveTensors++;
    this.#storages.add(t.storage);
    this.#finalizer.register(t, t.storage, t);
  }

  /** @internal */
  tensorDisposed(t: Tensor): void {
    this.#liveTensors--;
    this.#finalizer.unregister(t);
  }

  /** @internal Frees a storage no tensor or run holds any more. */
  releaseStorage(storage: Storage): void {
    this.#storages.delete(storage);
    this.freeStorage(storage);
  }

  /** @internal Counts `graph` in memory() until its dispose(). */
  protected trackGraph(graph: TrackedGraph): PreparedGraph {
    this.#graphs.add(graph);
    return {
      instantiate: (plan, control) => graph.instantiate(plan, control),
      readParams: (ids) => graph.readParams(ids),
      writeParam: (id, data) => graph.writeParam(id, data),
      dispose: () => {
        if (this.#graphs.delete(graph)) graph.dispose();
      },
    };
  }

  /** @internal backend.dispose(): every session's graph, then every tensor's storage, tensors still referenced included. */
  protected disposeAll(): void {
    for (const g of [...this.#graphs]) g.dispose();
    this.#graphs.clear();
    for (const s of [...this.#storages]) this.freeStorage(s);
    this.#storages.clear();
  }

  /** @internal Throws a DeviceLimitError naming `what` if one tensor of `shape` is more than the backend holds; allocates nothing. */
  abstract checkTensorSize(shape: Shape, what: string): void;
  /** @internal */
  protected abstract upload(data: Float32Array, shape: Shape): Tensor;
  /** @internal */
  protected abstract execute<A>(op: OpDef<A>, inputs: readonly (Tensor | null)[], outShapes: Shape[], attrs: A): Tensor[];
  /** @internal */
  abstract readTensor(tensor: Tensor): Promise<Float32Array>;
  /** @internal */
  abstract writeTensor(tensor: Tensor, data: Float32Array): void;
  /** @internal */
  protected abstract freeStorage(storage: Storage): void;
  /**
   * Frees everything the backend made: tensors' storage, sessions, pending readbacks. Never
   * destroys a GPUDevice the caller passed in (it stays usable for other work).
   */
  abstract dispose(): void;
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'string') return `a string (${JSON.stringify(v.length > 20 ? `${v.slice(0, 20)}...` : v)})`;
  return Array.isArray(v) ? 'an array' : `a value of type ${typeof v}`;
}
