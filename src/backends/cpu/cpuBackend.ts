// The CPU backend: eager ops run their reference kernel at once; compiled graphs run the same
// kernels over buffers planned by liveness (graph/plan.ts). Always available.
import { ShapeError } from '../../errors.js';
import type { OpDef } from '../../ops/op.js';
import { formatShape, sizeOf, type Shape } from '../../shape.js';
import { Tensor, type Storage } from '../../tensor.js';
import type { Graph } from '../../graph/ir.js';
import type { PreparedGraph } from '../../graph/session.js';
import { BackendBase } from '../backendBase.js';
import { prepareCpuGraph, type CpuGraphHost } from './cpuGraph.js';

export class CpuStorage implements Storage {
  refs = 0;
  constructor(public data: Float32Array) {}
}

const EMPTY = new Float32Array(0);

export class CpuBackend extends BackendBase implements CpuGraphHost {
  readonly name = 'cpu';

  constructor(readonly fallbackReason: string | undefined = undefined) {
    super();
  }

  /** @internal A tensor over `data` itself (no copy): the caller hands the array over. */
  adopt(data: Float32Array, shape: Shape): Tensor {
    return new Tensor(this, shape, new CpuStorage(data));
  }

  protected upload(data: Float32Array, shape: Shape): Tensor {
    return this.adopt(data.slice(), shape);
  }

  /** @internal The elements of a CPU tensor, without a copy. */
  view(t: Tensor): Float32Array {
    return (t.storage as CpuStorage).data;
  }

  readTensor(t: Tensor): Promise<Float32Array> {
    return Promise.resolve(this.view(t).slice());
  }

  writeTensor(t: Tensor, data: Float32Array): void {
    this.view(t).set(data);
  }

  releaseStorage(storage: Storage): void {
    (storage as CpuStorage).data = EMPTY;
  }

  protected execute<A>(op: OpDef<A>, inputs: readonly (Tensor | null)[], outShapes: Shape[], attrs: A): Tensor[] {
    if (op.view) return [new Tensor(this, outShapes[0], inputs[0]!.storage)];
    const outs = outShapes.map((s) => {
      const n = sizeOf(s);
      if (n > 2 ** 30) throw new ShapeError(`${op.name}: output ${formatShape(s)} has ${n} elements, more than the CPU backend holds`);
      return this.adopt(new Float32Array(n), s);
    });
    op.cpu(
      inputs.map((t) => (t ? { data: this.view(t), shape: t.shape } : null)),
      outs.map((t) => ({ data: this.view(t), shape: t.shape })),
      attrs,
    );
    return outs;
  }

  prepareGraph(graph: Graph): Promise<PreparedGraph> {
    return Promise.resolve(prepareCpuGraph(this, graph));
  }

  dispose(): void {}
}
