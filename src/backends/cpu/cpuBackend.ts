// The CPU backend: eager ops run their reference kernel at once; compiled graphs run the same
// kernels over buffers planned by liveness (graph/plan.ts). Always available.
import { DeviceLimitError, NNError } from '../../errors.js';
import { referenceKernels } from '../../ops/cpuKernels.js';
import type { CpuKernels, OpDef } from '../../ops/op.js';
import { sizeOf, type Shape } from '../../shape.js';
import { Tensor, type Storage } from '../../tensor.js';
import type { Graph } from '../../graph/ir.js';
import type { Plan } from '../../graph/plan.js';
import type { PreparedGraph } from '../../graph/session.js';
import { BackendBase, type DeviceLossInfo } from '../backendBase.js';
import { checkCpuPlan, prepareCpuGraph } from './cpuGraph.js';
import type { GemmPool } from './wasm/threadPool.js';
import { defaultThreads, threadsUnavailableReason } from './wasm/threadSupport.js';

/** @internal */
export class CpuStorage implements Storage {
  refs = 0;
  constructor(public data: Float32Array) {}

  get bytes(): number {
    return this.data.byteLength;
  }
}

const EMPTY = new Float32Array(0);

/**
 * Bytes of released input arrays kept for reuse (see CpuBackend's #spare): enough for a few
 * batches of images; past it, released arrays go to the garbage collector as before.
 */
const SPARE_BYTES = 32 * 2 ** 20;

export interface CpuBackendOptions {
  /**
   * Run the dense kernels (matmul, linear, convolution, the recurrent input projections) in
   * WebAssembly SIMD where the engine allows it (default true); false forces the TypeScript
   * reference kernels.
   */
  wasm?: boolean;
  /**
   * Threads the wasm GEMMs (matmul, linear, convolutions, recurrent projections) may use: the
   * calling thread and `threads − 1` workers sharing the module's memory, started by `create`.
   * Default: the hardware concurrency, at most 4. 1: no workers. Threads need SharedArrayBuffer: a
   * page must be cross-origin isolated (served with `Cross-Origin-Opener-Policy: same-origin` and
   * `Cross-Origin-Embedder-Policy: require-corp`); Node uses worker_threads. Where threads cannot
   * run, the backend runs on one thread and says why in `info.threadsReason`.
   */
  threads?: number;
}

/** Which kernels a CPU backend runs, and why not the fastest ones. */
export interface CpuBackendInfo {
  /** 'wasm-simd': the dense kernels run in WebAssembly SIMD; 'typescript': the reference kernels. */
  readonly kernels: 'wasm-simd' | 'typescript';
  /** Why the kernels are 'typescript' ({ wasm: false }, no WebAssembly or SIMD, a CSP forbidding wasm …). */
  readonly reason?: string;
  /** Threads the GEMMs use (the calling thread included); 1 without a worker pool. */
  readonly threads: number;
  /**
   * Why `threads` is 1 with the wasm kernels ({ threads: 1 }, a page that is not cross-origin
   * isolated, workers that cannot start …), or fewer than asked (a worker that failed to start, or
   * stopped during a run: the pool goes on without it).
   */
  readonly threadsReason?: string;
}

/** Elements one CPU tensor may have (4 GiB of float32): past this, a typed error instead of a RangeError or a machine out of memory. */
export const CPU_MAX_ELEMENTS = 2 ** 30;

// A CpuGraphHost structurally (prepareCpuGraph(this, …)): the published types name no internal interface.
export class CpuBackend extends BackendBase {
  readonly name = 'cpu';
  /** There is no device to lose: never resolves. */
  readonly lost: Promise<DeviceLossInfo> = new Promise(() => {});
  #disposed = false;
  /** The wasm kernels' workers, terminated by dispose(). */
  #pool: GemmPool | null = null;
  /**
   * Arrays that upload() allocated, back from released tensors, by length: the next upload of
   * that length copies into one of them. A page running a model in a loop then allocates no
   * ArrayBuffer for its inputs per run — in Chromium each costs 0.1–0.5 ms at 32 KB (zeroing and
   * the garbage collections that external memory brings on), as much as a step of a small model.
   */
  readonly #spare = new Map<number, Float32Array[]>();
  #spareBytes = 0;
  /** The arrays upload() allocated: only these are reused (an adopted one may still be its caller's). */
  readonly #uploaded = new WeakSet<Float32Array>();

  /**
   * A backend on the TypeScript reference kernels, or on `kernels` (the wasm ones): prefer
   * `CpuBackend.create` / `createBackend('cpu')`, which load the wasm kernels where they run.
   */
  constructor(
    readonly fallbackReason: string | undefined = undefined,
    /** The dense kernels its ops run with (CpuBackend.create picks them). */
    readonly kernels: CpuKernels = referenceKernels,
    info: CpuBackendInfo = { kernels: 'typescript', reason: 'constructed without the wasm kernels (use CpuBackend.create)', threads: 1 },
  ) {
    super();
    this.#info = info;
  }

  readonly #info: CpuBackendInfo;

  /** Which kernels this backend runs, on how many threads (fewer once a worker stopped), and why not more. */
  get info(): CpuBackendInfo {
    const pool = this.#pool;
    if (!pool || pool.threads === this.#info.threads) return this.#info;
    return { kernels: this.#info.kernels, threads: pool.threads, threadsReason: pool.reason };
  }

  /**
   * A CPU backend on the wasm SIMD kernels where WebAssembly with SIMD runs (loaded here, in a
   * chunk of its own), else on the TypeScript kernels with the reason in `info.reason`.
   */
  static async create(options: CpuBackendOptions = {}, fallbackReason?: string): Promise<CpuBackend> {
    const { threads } = options;
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
      throw new NNError(`createBackend('cpu'): threads must be a whole number ≥ 1, got ${String(threads)}`);
    }
    if (options.wasm === false) return new CpuBackend(fallbackReason, referenceKernels, { kernels: 'typescript', reason: 'wasm: false was asked for', threads: 1 });
    try {
      const { instantiateWasmKernels } = await import('./wasm/wasmKernels.js');
      const kernels = await instantiateWasmKernels();
      const pooled = await CpuBackend.#startThreads(threads);
      if ('reason' in pooled) {
        warmUp(kernels);
        return new CpuBackend(fallbackReason, kernels, { kernels: 'wasm-simd', threads: 1, threadsReason: pooled.reason });
      }
      warmUp(pooled.kernels);
      const { reason } = pooled.pool;
      const backend = new CpuBackend(fallbackReason, pooled.kernels, { kernels: 'wasm-simd', threads: pooled.pool.threads, ...(reason && { threadsReason: reason }) });
      backend.#pool = pooled.pool;
      return backend;
    } catch (e) {
      const reason = `the wasm kernels cannot run here: ${e instanceof Error ? e.message : String(e)}`;
      return new CpuBackend(fallbackReason, referenceKernels, { kernels: 'typescript', reason, threads: 1 });
    }
  }

  /** The wasm kernels on a worker pool (in a chunk of its own), or why one thread. */
  static async #startThreads(requested: number | undefined) {
    if (requested === 1) return { reason: 'threads: 1 was asked for' };
    const unavailable = threadsUnavailableReason();
    if (unavailable) return { reason: unavailable };
    const threads = requested ?? (await defaultThreads());
    if (threads === 1) return { reason: 'this machine reports one core (pass threads to use more)' };
    try {
      const { startThreadedKernels } = await import('./wasm/threadPool.js');
      return await startThreadedKernels(threads);
    } catch (e) {
      return { reason: e instanceof Error ? e.message : String(e) };
    }
  }

  /** @internal The wasm kernels' worker pool, null without one (tests and `npm run bench:threads` look inside). */
  get pool(): GemmPool | null {
    return this.#pool;
  }

  /** @internal */
  checkTensorSize(shape: Shape, what: string): void {
    const n = sizeOf(shape);
    if (n > CPU_MAX_ELEMENTS) {
      throw new DeviceLimitError(`${what} has ${n} elements; the CPU backend holds at most ${CPU_MAX_ELEMENTS} (4 GiB of float32) per tensor`);
    }
  }

  /** @internal A tensor over `data` itself (no copy): the caller hands the array over. */
  adopt(data: Float32Array, shape: Shape): Tensor {
    return Tensor.of(this, shape, new CpuStorage(data));
  }

  /** @internal */
  protected upload(data: Float32Array, shape: Shape): Tensor {
    this.#checkUsable();
    let copy = this.#spare.get(data.length)?.pop();
    if (copy) {
      this.#spareBytes -= copy.byteLength;
      copy.set(data);
    } else {
      copy = data.slice();
      this.#uploaded.add(copy);
    }
    return this.adopt(copy, shape);
  }

  /** @internal The elements of a CPU tensor, without a copy. */
  view(t: Tensor): Float32Array {
    return (t.storage as CpuStorage).data;
  }

  /** @internal */
  readTensor(t: Tensor): Promise<Float32Array> {
    if (this.#disposed) return Promise.reject(new NNError('data(): the cpu backend was disposed'));
    return Promise.resolve(this.view(t).slice());
  }

  /** @internal */
  writeTensor(t: Tensor, data: Float32Array): void {
    this.view(t).set(data);
  }

  /** @internal */
  protected freeStorage(storage: Storage): void {
    const { data } = storage as CpuStorage;
    (storage as CpuStorage).data = EMPTY;
    if (this.#disposed || !this.#uploaded.has(data) || this.#spareBytes + data.byteLength > SPARE_BYTES) return;
    const spare = this.#spare.get(data.length);
    if (spare) spare.push(data);
    else this.#spare.set(data.length, [data]);
    this.#spareBytes += data.byteLength;
  }

  /** @internal */
  protected execute<A>(op: OpDef<A>, inputs: readonly (Tensor | null)[], outShapes: Shape[], attrs: A): Tensor[] {
    this.#checkUsable();
    if (op.view) return [Tensor.of(this, outShapes[0], inputs[0]!.storage)];
    const outs = outShapes.map((s) => this.adopt(new Float32Array(sizeOf(s)), s));
    op.cpu(
      inputs.map((t) => (t ? { data: this.view(t), shape: t.shape } : null)),
      outs.map((t) => ({ data: this.view(t), shape: t.shape })),
      attrs,
      this.kernels,
    );
    return outs;
  }

  /** @internal Refuses a plan with a tensor past CPU_MAX_ELEMENTS, before anything is allocated. */
  checkPlan(graph: Graph, plan: Plan): void {
    checkCpuPlan(this, graph, plan);
  }

  /** @internal */
  prepareGraph(graph: Graph): Promise<PreparedGraph> {
    this.#checkUsable();
    return Promise.resolve(this.trackGraph(prepareCpuGraph(this, graph)));
  }

  dispose(): void {
    this.#disposed = true;
    this.#pool?.dispose();
    this.disposeAll();
    this.#spare.clear();
    this.#spareBytes = 0;
  }

  #checkUsable(): void {
    if (this.#disposed) throw new NNError('cpu: the backend was disposed');
  }
}

/** The kernels' warm-up (WasmKernels.warmUp): only for speed, so a failure leaves the kernels as they are (test/wasmKernels.test.ts checks that it runs). */
function warmUp(kernels: { warmUp(): void }): void {
  try {
    kernels.warmUp();
  } catch {
    // A first inference is slower, nothing else.
  }
}
