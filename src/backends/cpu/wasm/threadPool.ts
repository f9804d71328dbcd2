// Threads for the wasm kernels: a pool of workers (Web Workers in a page or a worker, worker_threads
// in Node) that instantiate the shared-memory build of the kernels (kernels.shared.generated.ts) on
// the calling thread's memory and take parts of its large GEMMs. A GEMM is cut into chunks of
// columns of C (rows when C is narrow); the caller and the workers claim chunks from one shared
// counter until none are left, each packing its own panels in its own scratch. Every output sums
// its k terms in the same order as on one thread, so the results are bit-identical.
//
// Waiting: workers sleep in Atomics.wait between GEMMs. The caller runs chunks too and then waits
// for the chunks others claimed: with Atomics.wait where the thread may block (Node's main thread,
// a worker), by spinning on Atomics.load on a page's main thread, where Atomics.wait throws (the
// kernels are synchronous calls, so Atomics.waitAsync cannot help; the spin only lasts while the
// last claimed chunks finish, as the caller works through the queue first).
import { NNError } from '../../../errors.js';
import { KERNELS_SHARED_WASM_BASE64, SHARED_MAXIMUM_PAGES } from './kernels.shared.generated.js';
import { isNode, threadsUnavailableReason } from './threadSupport.js';
import { kernelsWasmBytes, WasmKernels, type KernelExports } from './wasmKernels.js';

/**
 * Multiply-adds (m·n·k) below which a GEMM stays on the calling thread. `npm run bench:threads`
 * (forced splits of s³ GEMMs on 2 threads) measured the hand-off (wake a worker, wait for its
 * chunks) at 15–40 µs; a 2^20 product takes ~60–110 µs on one thread, so halving it pays.
 */
export const MIN_POOLED_MACS = 2 ** 20;

/** Narrowest chunk of columns (a multiple of the micro-kernel's 8): each chunk packs all of A again. */
const MIN_CHUNK_COLUMNS = 32;
/** Fewest rows in a row chunk (a multiple of the micro-kernel's 4; rows < 4 would take the GEMV path). */
const MIN_CHUNK_ROWS = 16;
/** Chunks per thread: more than one, so that a thread the OS delays leaves its share to the others. */
const CHUNKS_PER_THREAD = 3;

/** How long a worker may take to start (load, instantiate the module) before the pool gives up. */
const START_TIMEOUT_MS = 20_000;

/**
 * Where each word lives in the control block (an Int32Array over a SharedArrayBuffer). The words
 * the caller and workers write often sit on cache lines of their own.
 */
const LAYOUT = {
  /** Bumped by the caller for each GEMM (and for quit): workers wait on it. */
  gen: 0,
  /** 1: workers leave their loop. */
  quit: 1,
  /** The next chunk: (gen & 0x7fff) << 16 | chunk index; claimed by compare-and-swap. */
  next: 16,
  /** Chunks finished, by anyone. */
  done: 32,
  /** 1 when a chunk threw (in a worker or the caller). */
  failed: 33,
  /** Chunks the workers ran, all GEMMs together (tests: the threads are used). */
  byWorkers: 34,
  /** The GEMM: chunk count, split (0 columns, 1 rows), chunk size, then gemm's 18 arguments. */
  chunks: 48,
  split: 49,
  size: 50,
  args: 51,
  words: 80,
} as const;
type Layout = typeof LAYOUT;

/** Index of alpha and beta among gemm's arguments: stored as float32 bits. */
const ALPHA = 15;
const BETA = 16;

type Gemm = KernelExports['gemm'];

/**
 * Runs chunks of the GEMM in `ctl` until none is left for generation `tag`; returns how many it
 * ran. Runs in the workers from its source text (workerSource), so it names nothing but its
 * parameters and globals.
 */
function runChunks(ctl: Int32Array, f32: Float32Array, gemm: Gemm, scratch: number, tag: number, L: Layout): number {
  for (let ran = 0; ; ran++) {
    const v = Atomics.load(ctl, L.next);
    if (v >>> 16 !== tag) return ran;
    const i = v & 0xffff;
    const chunks = Atomics.load(ctl, L.chunks);
    if (i >= chunks) return ran;
    // Claimed: the caller waits for this chunk before it writes another GEMM, so the arguments stay.
    if (Atomics.compareExchange(ctl, L.next, v, v + 1) !== v) {
      ran--;
      continue;
    }
    const a = L.args;
    const transA = ctl[a], transB = ctl[a + 1], lda = ctl[a + 6], ldb = ctl[a + 8], ldc = ctl[a + 10], biasPer = ctl[a + 13];
    let m = ctl[a + 2], n = ctl[a + 3], pa = ctl[a + 5], pb = ctl[a + 7], pc = ctl[a + 9], bias = ctl[a + 12];
    const size = ctl[L.size];
    const first = i * size;
    if (ctl[L.split] === 0) {
      n = i === chunks - 1 ? n - first : size;
      pb += 4 * first * (transB ? ldb : 1);
      pc += 4 * first;
      if (biasPer === 1) bias += 4 * first;
    } else {
      m = i === chunks - 1 ? m - first : size;
      pa += 4 * first * (transA ? 1 : lda);
      pc += 4 * first * ldc;
      if (biasPer === 2) bias += 4 * first;
    }
    try {
      gemm(transA, transB, m, n, ctl[a + 4], pa, lda, pb, ldb, pc, ldc, ctl[a + 11], bias, biasPer, ctl[a + 14], f32[a + 15], f32[a + 16], scratch);
    } catch {
      Atomics.store(ctl, L.failed, 1);
    }
    if (Atomics.add(ctl, L.done, 1) + 1 === chunks) Atomics.notify(ctl, L.done);
  }
}

/** What a worker is sent once: the compiled module, the memory, the control block, its place. */
interface WorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** 1 … threads − 1: its scratch is the caller's + index · scratchBytes. */
  index: number;
  scratchBytes: number;
  layout: Layout;
}

/** A worker's body (from its source text): instantiate, say ready, then run chunks of each GEMM until quit. */
function workerMain(receive: (handler: (start: WorkerStart) => void) => void, send: (message: { ready?: true; error?: string }) => void): void {
  receive(async (start) => {
    let ctl: Int32Array, f32: Float32Array, gemm: Gemm;
    try {
      const instance = await WebAssembly.instantiate(start.module, { env: { memory: start.memory } });
      gemm = (instance.exports as unknown as { gemm: Gemm }).gemm;
      ctl = new Int32Array(start.control);
      f32 = new Float32Array(start.control);
    } catch (e) {
      send({ error: String((e as Error)?.message ?? e) });
      return;
    }
    send({ ready: true });
    const L = start.layout;
    let seen = Atomics.load(ctl, L.gen);
    for (;;) {
      Atomics.wait(ctl, L.gen, seen);
      if (Atomics.load(ctl, L.quit)) return;
      const gen = Atomics.load(ctl, L.gen);
      if (gen === seen) continue;
      seen = gen;
      const ran = runChunks(ctl, f32, gemm, ctl[L.args + 17] + start.index * start.scratchBytes, gen & 0x7fff, L);
      Atomics.add(ctl, L.byWorkers, ran);
    }
  });
}

/** The worker script: runChunks and workerMain from their source text, wired to the host's messages. */
function workerSource(host: 'web' | 'node'): string {
  const main = `${runChunks.toString()}\nconst main = ${workerMain.toString()};\n`;
  if (host === 'web') return `${main}main((h) => { self.onmessage = (e) => h(e.data); }, (m) => self.postMessage(m));\n`;
  // import(), not require: Node evaluates the source as a module where the parent runs as one (--input-type=module).
  return `${main}import('node:worker_threads').then(({ parentPort: p }) => main((h) => p.on('message', h), (m) => p.postMessage(m)));\n`;
}

/** A started worker, whichever kind. */
export interface PoolWorker {
  post(message: WorkerStart): void;
  /** Calls `handler` with each message the worker posts, and with { error } when it fails to load or crashes. */
  listen(handler: (message: { ready?: true; error?: string }) => void): void;
  terminate(): void;
}

/** Starts one worker running `source` (a classic script); throws or rejects where workers cannot run. */
export type SpawnWorker = (source: { web: string; node: string }) => Promise<PoolWorker>;

// A specifier in a variable: bundlers leave the import alone (it only runs in Node). The library's
// declarations do not depend on @types/node, hence the few Node shapes used here.
const NODE_WORKER_THREADS = 'node:worker_threads';
interface NodeWorker {
  postMessage(message: unknown): void;
  on(event: 'message' | 'error' | 'exit', listener: (value: never) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}
interface NodeWorkerThreads {
  Worker: new (source: string, options: { eval: true }) => NodeWorker;
}

/** A Web Worker from a blob: URL where `Worker` exists, else a worker_threads Worker (Node, unref'd: it never keeps the process alive). */
export const spawnWorker: SpawnWorker = async (source) => {
  if (!isNode()) {
    if (typeof Worker !== 'function') throw new Error('this environment has no Worker');
    const url = URL.createObjectURL(new Blob([source.web], { type: 'text/javascript' }));
    let worker: Worker;
    try {
      worker = new Worker(url);
    } finally {
      // The worker has fetched its script once it runs; revoking later would race the fetch.
      setTimeout(() => URL.revokeObjectURL(url), START_TIMEOUT_MS);
    }
    return {
      post: (m) => worker.postMessage(m),
      listen: (h) => {
        worker.onmessage = (e) => h(e.data);
        worker.onerror = (e) => h({ error: e.message || 'the worker failed to load (a Content-Security-Policy without worker-src blob:?)' });
      },
      terminate: () => worker.terminate(),
    };
  }
  const threads = (await import(/* @vite-ignore */ NODE_WORKER_THREADS)) as NodeWorkerThreads;
  const worker = new threads.Worker(source.node, { eval: true });
  worker.unref();
  return {
    post: (m) => worker.postMessage(m),
    listen: (h) => {
      worker.on('message', h);
      worker.on('error', (e: Error) => h({ error: e.message }));
      worker.on('exit', (code: number) => h({ error: `the worker exited (code ${code})` }));
    },
    terminate: () => void worker.terminate(),
  };
};

/** Whether this thread may block in Atomics.wait (not a page's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** The workers of one backend and the GEMM that splits work between them and the calling thread. */
export class GemmPool {
  readonly #x: KernelExports;
  readonly #workers: PoolWorker[];
  readonly #ctl: Int32Array;
  readonly #f32: Float32Array;
  readonly #block = canBlock();
  #gen = 0;
  #disposed = false;

  /** Threads the GEMMs use: the workers and the caller. */
  readonly threads: number;
  /** GEMMs of fewer multiply-adds stay on the calling thread (`npm run bench:threads` sweeps it). */
  minMacs = MIN_POOLED_MACS;

  constructor(exports: KernelExports, workers: PoolWorker[], control: SharedArrayBuffer) {
    this.#x = exports;
    this.#workers = workers;
    this.#ctl = new Int32Array(control);
    this.#f32 = new Float32Array(control);
    this.threads = workers.length + 1;
  }

  /** wasm gemm's signature: large products split over the pool, the rest on the calling thread. */
  gemm: Gemm = (transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias, biasPer, act, alpha, beta, scratch) => {
    const split = this.#disposed || m * n * k < this.minMacs ? null : chunking(m, n, this.threads);
    if (!split) {
      this.#x.gemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias, biasPer, act, alpha, beta, scratch);
      return;
    }
    const ctl = this.#ctl;
    const L = LAYOUT;
    const gen = (this.#gen = (this.#gen + 1) | 0);
    const tag = gen & 0x7fff;
    // Workers still claiming for the previous GEMM see a tag that is not theirs, and stop.
    Atomics.store(ctl, L.next, -1);
    ctl.set([transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias, biasPer, act, 0, 0, scratch], L.args);
    this.#f32[L.args + ALPHA] = alpha;
    this.#f32[L.args + BETA] = beta;
    ctl[L.chunks] = split.chunks;
    ctl[L.split] = split.rows ? 1 : 0;
    ctl[L.size] = split.size;
    Atomics.store(ctl, L.done, 0);
    Atomics.store(ctl, L.failed, 0);
    Atomics.store(ctl, L.next, tag << 16);
    Atomics.store(ctl, L.gen, gen);
    Atomics.notify(ctl, L.gen);
    runChunks(ctl, this.#f32, this.#x.gemm, scratch, tag, L);
    for (let d = Atomics.load(ctl, L.done); d < split.chunks; d = Atomics.load(ctl, L.done)) {
      if (this.#block) Atomics.wait(ctl, L.done, d);
    }
    if (Atomics.load(ctl, L.failed)) throw new NNError('a chunk of a pooled wasm GEMM failed (a trap in the kernels)');
  };

  /** Chunks of GEMMs the workers ran so far (the rest ran on the calling thread). */
  get workerChunks(): number {
    return Atomics.load(this.#ctl, LAYOUT.byWorkers);
  }

  /** Stops and terminates the workers (idempotent); later GEMMs run on the calling thread. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    Atomics.store(this.#ctl, LAYOUT.quit, 1);
    Atomics.add(this.#ctl, LAYOUT.gen, 1);
    Atomics.notify(this.#ctl, LAYOUT.gen);
    for (const w of this.#workers) w.terminate();
  }
}

/** How a GEMM is cut: `chunks` pieces of `size` columns (or rows), the last one taking the rest; null: not worth it. */
export function chunking(m: number, n: number, threads: number): { rows: boolean; size: number; chunks: number } | null {
  const target = threads * CHUNKS_PER_THREAD;
  if (n >= 2 * MIN_CHUNK_COLUMNS) {
    const size = Math.max(MIN_CHUNK_COLUMNS, Math.ceil(n / target / 8) * 8);
    return { rows: false, size, chunks: Math.ceil(n / size) };
  }
  if (m >= 2 * MIN_CHUNK_ROWS) {
    // The last chunk takes the remainder, so that no chunk has fewer than MIN_CHUNK_ROWS rows.
    const size = Math.max(MIN_CHUNK_ROWS, Math.ceil(m / target / 4) * 4);
    return { rows: true, size, chunks: Math.floor(m / size) };
  }
  return null;
}

// Workers of backends dropped without dispose() end with them.
const registry = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<GemmPool>((pool) => pool.dispose()) : null;

/**
 * The wasm kernels on a shared memory with `threads − 1` workers (threads ≥ 2). Rejects, with a
 * sentence saying why, where threads cannot run (no SharedArrayBuffer, a worker that fails to start);
 * the caller then runs on one thread.
 */
export async function startThreadedKernels(threads: number, spawn: SpawnWorker = spawnWorker): Promise<{ kernels: WasmKernels; pool: GemmPool }> {
  const unavailable = threadsUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const module = await WebAssembly.compile(kernelsWasmBytes(KERNELS_SHARED_WASM_BASE64));
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAXIMUM_PAGES, shared: true });
  } catch (e) {
    throw new Error(`a shared WebAssembly memory cannot be made here: ${(e as Error).message}`);
  }
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  const control = new SharedArrayBuffer(LAYOUT.words * 4);
  const scratchBytes = exports.gemmScratchBytes();
  const source = { web: workerSource('web'), node: workerSource('node') };
  const workers: PoolWorker[] = [];
  let failed = false;
  try {
    await Promise.all(
      Array.from({ length: threads - 1 }, async (_, i) => {
        const worker = await spawn(source);
        workers.push(worker);
        // Another worker failed while this one was being made: the catch below has run already.
        if (failed) worker.terminate();
        await new Promise<void>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`a worker did not start within ${START_TIMEOUT_MS / 1000} s`)), START_TIMEOUT_MS);
          worker.listen((message) => {
            clearTimeout(timer);
            if (message.ready) resolve();
            else reject(new Error(`a worker failed to start: ${message.error}`));
          });
          worker.post({ module, memory, control, index: i + 1, scratchBytes, layout: LAYOUT });
        });
      }),
    );
  } catch (e) {
    failed = true;
    for (const w of workers) w.terminate();
    throw e;
  }
  const pool = new GemmPool(exports, workers, control);
  const kernels = new WasmKernels(exports, pool);
  registry?.register(kernels, pool);
  return { kernels, pool };
}
