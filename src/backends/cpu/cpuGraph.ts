// Running a planned graph on the CPU: one Float32Array per liveness slot, allocated once per
// plan and reused by every run; each node calls its op's reference kernel on views of them.
import { NNError } from '../../errors.js';
import { describeNode, type Graph } from '../../graph/ir.js';
import type { Plan } from '../../graph/plan.js';
import { makeProfile, type Profile } from '../../graph/profile.js';
import type { Executable } from '../../graph/session.js';
import type { CpuArg, CpuKernels } from '../../ops/op.js';
import { formatShape, sizeOf, type Shape } from '../../shape.js';
import type { Tensor } from '../../tensor.js';
import type { TrackedGraph } from '../backendBase.js';
import type { ResidentKernels } from './wasm/resident.js';

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
      const e = new CpuExecutable(backend, graph, plan, params);
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

class CpuExecutable implements Executable {
  readonly #slots: Float32Array[];
  #disposed = false;
  readonly stats;
  readonly outputShapes;

  constructor(
    private readonly backend: CpuGraphHost,
    private readonly graph: Graph,
    private readonly plan: Plan,
    private readonly params: Map<number, Float32Array>,
  ) {
    this.#slots = plan.slotSizes.map((n) => new Float32Array(n));
    this.stats = { buffers: plan.slotSizes.length };
    this.outputShapes = graph.outputs.map((o) => plan.shapes[o.id]);
  }

  bytes(): number {
    return this.#slots.reduce((n, s) => n + s.byteLength, 0);
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
    const args: (CpuArg | undefined)[] = new Array(graph.values.length);
    graph.inputs.forEach((input, i) => (args[input.id] = { data: this.backend.view(inputs[i]), shape: inputs[i].shape }));
    for (const [id, data] of this.params) args[id] = { data, shape: plan.shapes[id] };
    graph.nodes.forEach((node, i) => {
      const ins = node.inputs.map((id) => (id === null ? null : args[id]!));
      if (node.op.view) {
        args[node.outputs[0]] = { data: ins[0]!.data, shape: plan.shapes[node.outputs[0]] };
        return;
      }
      const outs = node.outputs.map((id) => {
        const shape = plan.shapes[id];
        return (args[id] = { data: this.#slots[plan.slotOf[id]].subarray(0, sizeOf(shape)), shape });
      });
      const start = ms ? performance.now() : 0;
      node.op.cpu(ins, outs, node.attrs, this.backend.kernels);
      if (ms) ms[i] = performance.now() - start;
    });
    for (const u of graph.updates ?? []) this.params.get(u.target)!.set(args[u.source]!.data);
    // Outputs are copies: they must stay valid after later runs reuse the slots.
    if (into) {
      graph.outputs.forEach((o, i) => this.backend.view(into[i]).set(args[o.id]!.data));
      return [...into];
    }
    return graph.outputs.map((o) => this.backend.adopt(args[o.id]!.data.slice(), plan.shapes[o.id]));
  }

  dispose(): void {
    this.#disposed = true;
    this.#slots.length = 0;
  }
}
