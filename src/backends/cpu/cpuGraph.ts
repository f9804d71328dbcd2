// Running a planned graph on the CPU: one Float32Array per liveness slot, allocated once per
// plan and reused by every run; each node calls its op's reference kernel on views of them.
// On the wasm kernels the slots lie in the kernels' memory (one region per plan, resident.ts),
// so the kernels read and write them in place; the slot views are made from (address, length)
// against the memory as it is, and a node during which the memory grew is run again on fresh
// views (resident.ts says why that is needed and why it is safe).
import { NNError } from '../../errors.js';
import { describeNode, type Graph } from '../../graph/ir.js';
import type { Plan } from '../../graph/plan.js';
import { makeProfile, type Profile } from '../../graph/profile.js';
import type { Executable } from '../../graph/session.js';
import type { CpuArg, CpuKernels } from '../../ops/op.js';
import { formatShape, sizeOf, type Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import type { TrackedGraph } from '../backendBase.js';
import { align, type ResidentKernels } from './wasm/resident.js';

/** What a compiled graph uses of the CPU backend (cpuBackend.ts implements it). */
export interface CpuGraphHost {
  /** The dense kernels every node runs with (wasm or the TypeScript references). */
  readonly kernels: CpuKernels;
  view(t: Tensor): Float32Array;
  adopt(data: Float32Array, shape: Shape): Tensor;
  checkTensorSize(shape: Shape, what: string): void;
}

/** Every tensor of the plan within the CPU backend's per-tensor limit, checked before allocating. */
export function checkCpuPlan(backend: CpuGraphHost, graph: Graph, plan: Plan): void {
  graph.inputs.forEach((input) => backend.checkTensorSize(plan.shapes[input.id], `input '${input.name}' ${formatShape(plan.shapes[input.id])}`));
  for (const node of graph.nodes) {
    node.outputs.forEach((id, k) => backend.checkTensorSize(plan.shapes[id], `${describeNode(node)}: output ${k} ${formatShape(plan.shapes[id])}`));
  }
}

/** The kernels' resident copies (the wasm kernels have them), or null. */
function residentOf(kernels: CpuKernels): ResidentKernels | null {
  return 'retain' in kernels ? (kernels as CpuKernels & ResidentKernels) : null;
}

export function prepareCpuGraph(backend: CpuGraphHost, graph: Graph): TrackedGraph {
  // Parameters are read once per session (a later loadWeights needs a new compile). Those the
  // graph updates are copied, so training never writes into the model's own arrays.
  const updated = new Set((graph.updates ?? []).map((u) => u.target));
  const params = new Map(
    graph.values.filter((v) => v.kind === 'param').map((v) => [v.id, updated.has(v.id) ? v.data!().slice() : v.data!()]),
  );
  // The others stay as they are (but for writeParam): the wasm kernels keep copies of them in
  // their memory (and the packed forms they run from) instead of copying them in on every run.
  const resident = residentOf(backend.kernels);
  const constants = [...params].filter(([id]) => !updated.has(id)).map(([, data]) => data);
  for (const data of constants) resident?.retain(data);
  const param = (id: number, what: string) => {
    const data = params.get(id);
    if (!data) throw new NNError(`${what}: value ${id} is not a parameter of this graph`);
    return data;
  };
  const executables = new Set<CpuExecutable>();
  let disposed = false;
  return {
    instantiate: (plan, control) => {
      control?.signal?.throwIfAborted();
      // A run started before dispose() plans its batch after it: it fails here, not on cleared parameters.
      if (disposed) return Promise.reject(new NNError('run: the session was disposed (or its backend)'));
      checkCpuPlan(backend, graph, plan);
      control?.onProgress?.({ built: 0, total: 0 }); // no kernels to build on the CPU
      const e = new CpuExecutable(backend, graph, plan, params, resident);
      executables.add(e);
      return Promise.resolve(e);
    },
    readParams: (ids) => Promise.resolve(ids.map((id) => param(id, 'readParams').slice())),
    writeParam: (id, data) => {
      const target = param(id, 'writeParam');
      target.set(data);
      resident?.changed(target);
    },
    bytes: () => {
      let n = 0;
      for (const p of params.values()) n += p.byteLength;
      for (const e of executables) n += e.bytes();
      return n;
    },
    dispose: () => {
      disposed = true;
      for (const data of constants) resident?.release(data);
      constants.length = 0;
      params.clear();
      for (const e of executables) e.dispose();
      executables.clear();
    },
  };
}

/** Bytes a compiled graph expects its wasm calls to need past their operands (im2col's patches and the like). */
const SCRATCH_ROOM = 4 * 2 ** 20;

/** A plan's slots in the wasm kernels' memory: one region, each slot at its byte address. */
class ResidentSlots {
  readonly #addresses: number[] = [];
  #views: Float32Array[] = [];
  #buffer: ArrayBufferLike | null = null;

  constructor(
    readonly kernels: ResidentKernels,
    readonly region: number,
    private readonly sizes: readonly number[],
  ) {
    let at = region;
    for (const n of sizes) {
      this.#addresses.push(at);
      at += align(4 * n);
    }
  }

  /** Bytes the region must hold for slots of these sizes. */
  static bytes(sizes: readonly number[]): number {
    return sizes.reduce((n, size) => n + align(4 * size), 0);
  }

  /** The slots as views of the memory as it is now (made again after a growth replaced it). */
  views(): Float32Array[] {
    const buffer = this.kernels.buffer;
    if (buffer !== this.#buffer) {
      this.#views = this.sizes.map((n, s) => new Float32Array(buffer, this.#addresses[s], n));
      this.#buffer = buffer;
    }
    return this.#views;
  }
}

class CpuExecutable implements Executable {
  /** The slots as arrays of their own (the TypeScript kernels, or no room in the wasm memory), else null. */
  #own: Float32Array[] | null = null;
  #resident: ResidentSlots | null = null;
  #disposed = false;
  readonly stats;
  readonly outputShapes;

  constructor(
    private readonly backend: CpuGraphHost,
    private readonly graph: Graph,
    private readonly plan: Plan,
    private readonly params: Map<number, Float32Array>,
    resident: ResidentKernels | null,
  ) {
    const region = resident && plan.slotSizes.length ? resident.allocate(ResidentSlots.bytes(plan.slotSizes)) : 0;
    if (region) {
      this.#resident = new ResidentSlots(resident!, region, plan.slotSizes);
      // Room for what the first run places: its weights' copies, the inputs' copies and the calls' scratch (a guess: a node that needs more is redone).
      const inputs = graph.inputs.reduce((n, input) => n + 4 * sizeOf(plan.shapes[input.id]), 0);
      resident!.makeRoom(inputs + SCRATCH_ROOM);
    } else {
      this.#own = plan.slotSizes.map((n) => new Float32Array(n));
    }
    this.stats = { buffers: plan.slotSizes.length };
    this.outputShapes = graph.outputs.map((o) => plan.shapes[o.id]);
  }

  bytes(): number {
    return this.plan.slotSizes.reduce((n, size) => n + 4 * size, 0);
  }

  run(inputs: readonly Tensor[], into?: readonly Tensor[]): Tensor[] {
    return this.#run(inputs, into, null);
  }

  /** run() with each node's kernel timed (compile's `profile`). */
  runProfiled(inputs: readonly Tensor[], into: readonly Tensor[] | undefined): Promise<{ outputs: Tensor[]; profile: Profile }> {
    const ms = new Array<number>(this.graph.nodes.length).fill(0);
    try {
      const outputs = this.#run(inputs, into, ms);
      const timings = this.graph.nodes.map((node, i) => ({ kernel: node.op.view ? 'view' : 'cpu', dispatch: '', dispatches: 0, ms: ms[i], parts: [] }));
      const profile = makeProfile(this.graph, this.plan, timings, {
        backend: 'cpu',
        method: 'wall-clock',
        approximate: false,
        note: "each node's kernel timed with performance.now()",
      });
      return Promise.resolve({ outputs, profile });
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** Runs every node; `ms` (when given) receives each node's time. */
  #run(inputs: readonly Tensor[], into: readonly Tensor[] | undefined, ms: number[] | null): Tensor[] {
    if (this.#disposed) throw new NNError('run: the session was disposed (or its backend)');
    const { graph, plan } = this;
    const external: (Float32Array | undefined)[] = new Array(graph.values.length);
    graph.inputs.forEach((input, i) => (external[input.id] = this.backend.view(inputs[i])));
    for (const [id, data] of this.params) external[id] = data;
    // A value's elements: an input's or a parameter's array, else its slot's first elements (a
    // view shares its source's storage), from the slot views of the moment.
    let slots = this.#slots();
    const arg = (id: number): CpuArg => {
      const shape = plan.shapes[id];
      const root = plan.storageOf[id];
      return { data: external[root] ?? slots[plan.slotOf[root]].subarray(0, sizeOf(shape)), shape };
    };
    const resident = this.#resident?.kernels;
    if (resident) resident.pinned = true;
    try {
      graph.nodes.forEach((node, i) => {
        if (node.op.view) return;
        const start = ms ? performance.now() : 0;
        for (;;) {
          const buffer = resident?.buffer;
          try {
            node.op.cpu(node.inputs.map((id) => (id === null ? null : arg(id))), node.outputs.map(arg), node.attrs, this.backend.kernels);
          } catch (e) {
            if (!resident || resident.buffer === buffer) throw e;
          }
          if (!resident || resident.buffer === buffer) break;
          // The memory grew during the node (MemoryGrew, or any error a stale view caused): its
          // inputs are intact where they were, so it runs again on views of the grown memory.
          // Each pass grew the memory, which has a maximum: this ends.
          slots = this.#slots();
        }
        if (ms) ms[i] = performance.now() - start;
      });
    } finally {
      if (resident) resident.pinned = false;
    }
    slots = this.#slots();
    for (const u of graph.updates ?? []) this.params.get(u.target)!.set(arg(u.source).data);
    // Outputs are copies: they must stay valid after later runs reuse the slots.
    if (into) {
      graph.outputs.forEach((o, i) => this.backend.view(into[i]).set(arg(o.id).data));
      return [...into];
    }
    return graph.outputs.map((o) => this.backend.adopt(arg(o.id).data.slice(), plan.shapes[o.id]));
  }

  /** The slot arrays for this run. */
  #slots(): Float32Array[] {
    return this.#resident ? this.#resident.views() : this.#own!;
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#own = null;
    if (this.#resident) this.#resident.kernels.free(this.#resident.region);
    this.#resident = null;
  }
}
