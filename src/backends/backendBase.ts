// What every backend shares: the eager op table, argument checks, tensor creation.
import { ShapeError, UnsupportedError } from '../errors.js';
import { makeOps, type Ops } from '../ops/index.js';
import type { OpDef, OpRunner } from '../ops/op.js';
import { checkShape, formatShape, sizeOf, type Shape } from '../shape.js';
import { Tensor, type Storage, type TensorOwner } from '../tensor.js';

export type TensorData = Float32Array | readonly number[];

export abstract class BackendBase implements TensorOwner, OpRunner<Tensor> {
  abstract readonly name: 'cpu' | 'webgpu';
  abstract readonly fallbackReason: string | undefined;
  /** The eager ops: each returns at once (work is queued); `data()` is the only await. */
  readonly ops: Ops<Tensor> = makeOps<Tensor>(this);

  /** A float32 tensor holding a copy of `data` (row-major, NCHW for images). */
  tensor(data: TensorData, shape: readonly number[]): Tensor {
    const dims = checkShape(shape, 'tensor');
    if (!(data instanceof Float32Array) && !Array.isArray(data)) {
      const kind = ArrayBuffer.isView(data) ? (data as object).constructor.name : typeof data;
      throw new UnsupportedError(`tensor: data must be a Float32Array or an array of numbers, got ${kind} (computation is float32)`);
    }
    const n = sizeOf(dims);
    if (data.length !== n) {
      throw new ShapeError(`tensor: shape ${formatShape(dims)} needs ${n} elements, data has ${data.length}`);
    }
    return this.upload(data instanceof Float32Array ? data : Float32Array.from(data), dims);
  }

  /** A tensor of zeros. */
  zeros(shape: readonly number[]): Tensor {
    const dims = checkShape(shape, 'zeros');
    return this.upload(new Float32Array(sizeOf(dims)), dims);
  }

  /** What `ops` calls: validates the arguments, infers the output shapes, then runs the op (kept public: the class implements OpRunner). */
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
    return this.execute(op, inputs, outShapes, attrs);
  }

  protected abstract upload(data: Float32Array, shape: Shape): Tensor;
  protected abstract execute<A>(op: OpDef<A>, inputs: readonly (Tensor | null)[], outShapes: Shape[], attrs: A): Tensor[];
  abstract readTensor(tensor: Tensor): Promise<Float32Array>;
  abstract writeTensor(tensor: Tensor, data: Float32Array): void;
  abstract releaseStorage(storage: Storage): void;
  /** Frees what the backend allocated; never destroys a GPUDevice the caller passed in. */
  abstract dispose(): void;
}
