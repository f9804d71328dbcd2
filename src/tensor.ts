// Tensor: a float32 array of a given shape that lives on one backend. The backend owns the
// storage; tensors that are views of one another (reshape, flatten) share it and count refs.
import { NNError, ShapeError, UnsupportedError } from './errors.js';
import { formatShape, sizeOf, type Shape } from './shape.js';

export type DType = 'float32';

/** @internal What a backend keeps for a tensor's data; shared by views, freed when the last one goes. */
export interface Storage {
  /** Tensors (and runs in progress) holding the storage. */
  refs: number;
  /** Bytes the storage holds (for memory()). */
  readonly bytes: number;
}

/** @internal The part of a backend that tensors talk to. */
export interface TensorOwner {
  readonly name: string;
  /** Copies the tensor's elements out (flushing queued work first). */
  readTensor(tensor: Tensor): Promise<Float32Array>;
  /** Replaces the tensor's elements in place (after the work queued so far has read them). */
  writeTensor(tensor: Tensor, data: Float32Array): void;
  releaseStorage(storage: Storage): void;
  /** The GPU buffer behind the tensor, with queued work submitted (WebGPU backends only). */
  gpuBufferOf?(tensor: Tensor): GPUBuffer;
  /** Accounting for memory(): a tensor was made, and disposed. */
  tensorCreated?(tensor: Tensor): void;
  tensorDisposed?(tensor: Tensor): void;
}

export class Tensor {
  readonly dtype: DType = 'float32';
  readonly shape: Shape;
  readonly size: number;
  #disposed = false;

  /** @internal A tensor over `storage` (a new reference to it), owned by a backend. */
  static of(owner: TensorOwner, shape: Shape, storage: Storage): Tensor {
    return new Tensor(owner, shape, storage);
  }

  /** Tensors are made by a backend (`backend.tensor`, `backend.zeros`) or returned by ops. */
  private constructor(
    /** @internal */ readonly owner: TensorOwner,
    shape: Shape,
    /** @internal */ readonly storage: Storage,
  ) {
    // Private in the types; from plain JavaScript, say how tensors are made.
    if (typeof owner?.readTensor !== 'function' || typeof storage?.refs !== 'number') {
      throw new NNError('new Tensor(): tensors are made by a backend (backend.tensor(data, shape), backend.zeros(shape)) or returned by ops');
    }
    this.shape = Object.freeze([...shape]);
    this.size = sizeOf(shape);
    storage.refs++;
    owner.tensorCreated?.(this);
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this.#disposed;
  }

  /** A copy of the elements, row-major. The only await of the eager API. */
  data(): Promise<Float32Array> {
    if (this.#disposed) return Promise.reject(new NNError(`data(): tensor ${formatShape(this.shape)} was disposed`));
    return this.owner.readTensor(this);
  }

  /**
   * Replaces the elements in place, keeping the tensor (and its GPU buffer): for a per-frame
   * input, write the new frame into the same tensor instead of making one per run. Work queued
   * before the write still sees the old values. Views of this tensor (reshape, flatten) share
   * its storage and see the new values too.
   */
  write(data: Float32Array | readonly number[]): this {
    if (this.#disposed) throw new NNError(`write(): tensor ${formatShape(this.shape)} was disposed`);
    if (!(data instanceof Float32Array) && !Array.isArray(data)) {
      throw new ShapeError(`write(): data must be a Float32Array or an array of numbers, got ${ArrayBuffer.isView(data) ? (data as object).constructor.name : typeof data}`);
    }
    if (data.length !== this.size) throw new ShapeError(`write(): tensor ${formatShape(this.shape)} has ${this.size} elements, data has ${data.length}`);
    this.owner.writeTensor(this, data instanceof Float32Array ? data : Float32Array.from(data));
    return this;
  }

  /**
   * The WebGPU buffer holding the elements, for other WebGPU code on the backend's device:
   * float32, row-major, from offset 0 (the buffer may be larger). Work queued that computes the
   * tensor is submitted first, so work you submit after this sees its values. It is the
   * tensor's: valid until the tensor and its views are disposed; never destroy it, and write to
   * it only as an input you fill. Views (reshape, flatten) share it. A CPU tensor has none
   * (an UnsupportedError).
   */
  get gpuBuffer(): GPUBuffer {
    if (this.#disposed) throw new NNError(`gpuBuffer: tensor ${formatShape(this.shape)} was disposed`);
    if (!this.owner.gpuBufferOf) throw new UnsupportedError(`gpuBuffer: tensor ${formatShape(this.shape)} is on the '${this.owner.name}' backend, which has no GPU buffers`);
    return this.owner.gpuBufferOf(this);
  }

  /** Frees the storage once no view of it is left. Safe to call twice. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.owner.tensorDisposed?.(this);
    if (--this.storage.refs === 0) this.owner.releaseStorage(this.storage);
  }

  /**
   * @internal Keeps the storage alive past a dispose() until the returned release is called: a
   * run takes its inputs when called, so disposing them before it resolves is safe.
   */
  hold(): () => void {
    const { storage, owner } = this;
    storage.refs++;
    let held = true;
    return () => {
      if (!held) return;
      held = false;
      if (--storage.refs === 0) owner.releaseStorage(storage);
    };
  }

  /** @internal Throws unless the tensor is alive and belongs to `owner`. */
  assertUsableBy(owner: TensorOwner, what: string): void {
    if (this.#disposed) throw new ShapeError(`${what}: tensor ${formatShape(this.shape)} was disposed`);
    if (this.owner !== owner) {
      throw new ShapeError(
        `${what}: tensor ${formatShape(this.shape)} belongs to another backend (a '${this.owner.name}' backend, this one is '${owner.name}'); copy it over with data() and tensor()`,
      );
    }
  }

  toString(): string {
    return `Tensor(${formatShape(this.shape)}, ${this.owner.name})`;
  }
}
