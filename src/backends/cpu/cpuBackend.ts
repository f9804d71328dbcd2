// The CPU backend: eager ops run their reference kernel at once; compiled graphs run the same
// kernels over buffers planned by liveness (graph/plan.ts). Always available.
import { DeviceLimitError, NNError } from '../../errors.js';
import type { OpDef } from '../../ops/op.js';
import { sizeOf, type Shape } from '../../shape.js';
import { Tensor, type Storage } from '../../tensor.js';
import type { Graph } from '../../graph/ir.js';
import type { Plan } from '../../graph/plan.js';
import type { PreparedGraph } from '../../graph/session.js';
import { BackendBase, type DeviceLossInfo } from '../backendBase.js';
import { checkCpuPlan, prepareCpuGraph, type CpuGraphHost } from './cpuGraph.js';

export class CpuStorage implements Storage {
  refs = 0;
  constructor(public data: Float32Array) {}

  get bytes(): number {
    return this.data.byteLength;
  }
}

const EMPTY = new Float32Array(0);

/** Elements one CPU tensor may have (4 GiB of float32): past this, a typed error instead of a RangeError or a machine out of memory. */
export const CPU_MAX_ELEMENTS = 2 ** 30;

export class CpuBackend extends BackendBase implements CpuGraphHost {
  readonly name = 'cpu';
  /** There is no device to lose: never resolves. */
  readonly lost: Promise<DeviceLossInfo> = new Promise(() => {});
  #disposed = false;

  constructor(readonly fallbackReason: string | undefined = undefined) {
    super();
  }

  checkTensorSize(shape: Shape, what: string): void {
    const n = sizeOf(shape);
    if (n > CPU_MAX_ELEMENTS) {
      throw new DeviceLimitError(`${what} has ${n} elements; the CPU backend holds at most ${CPU_MAX_ELEMENTS} (4 GiB of float32) per tensor`);
    }
  }

  /** @internal A tensor over `data` itself (no copy): the caller hands the array over. */
  adopt(data: Float32Array, shape: Shape): Tensor {
    return new Tensor(this, shape, new CpuStorage(data));
  }

  protected upload(data: Float32Array, shape: Shape): Tensor {
    this.#checkUsable();
    return this.adopt(data.slice(), shape);
  }

  /** @internal The elements of a CPU tensor, without a copy. */
  view(t: Tensor): Float32Array {
    return (t.storage as CpuStorage).data;
  }

  readTensor(t: Tensor): Promise<Float32Array> {
    if (this.#disposed) return Promise.reject(new NNError('data(): the cpu backend was disposed'));
    return Promise.resolve(this.view(t).slice());
  }

  writeTensor(t: Tensor, data: Float32Array): void {
    this.view(t).set(data);
  }

  protected freeStorage(storage: Storage): void {
    (storage as CpuStorage).data = EMPTY;
  }

  protected execute<A>(op: OpDef<A>, inputs: readonly (Tensor | null)[], outShapes: Shape[], attrs: A): Tensor[] {
    this.#checkUsable();
    if (op.view) return [new Tensor(this, outShapes[0], inputs[0]!.storage)];
    const outs = outShapes.map((s) => this.adopt(new Float32Array(sizeOf(s)), s));
    op.cpu(
      inputs.map((t) => (t ? { data: this.view(t), shape: t.shape } : null)),
      outs.map((t) => ({ data: this.view(t), shape: t.shape })),
      attrs,
    );
    return outs;
  }

  /** @internal Refuses a plan with a tensor past CPU_MAX_ELEMENTS, before anything is allocated. */
  checkPlan(graph: Graph, plan: Plan): void {
    checkCpuPlan(this, graph, plan);
  }

  prepareGraph(graph: Graph): Promise<PreparedGraph> {
    this.#checkUsable();
    return Promise.resolve(this.trackGraph(prepareCpuGraph(this, graph)));
  }

  dispose(): void {
    this.#disposed = true;
    this.disposeAll();
  }

  #checkUsable(): void {
    if (this.#disposed) throw new NNError('cpu: the backend was disposed');
  }
}
