// Threads for the wasm kernels: a pool of workers (Web Workers in a page or a worker, worker_threads
// in Node) that instantiate the shared-memory build of the kernels (kernels.shared.generated.ts) on
// the calling thread's memory and take parts of its large jobs. A GEMM is cut into chunks of
// columns of C (rows when C is narrow); a convolution over several images into chunks of whole
// images. The caller and the workers claim chunks (poolProtocol.ts) until none are left, each on
// its own scratch (packed panels, patches, padded images). Every output is computed by the same
// calls, summing its terms in the same order as on one thread, so the results are bit-identical.
//
// Waiting: workers sleep in Atomics.wait between jobs. The caller runs chunks too and then waits
// for the chunks others claimed: with Atomics.wait where the thread may block (Node's main thread,
// a worker), by spinning on Atomics.load on a page's main thread, where Atomics.wait throws (the
// kernels are synchronous calls, so Atomics.waitAsync cannot help; the spin only lasts while the
// last claimed chunks finish, as the caller works through the queue first).
//
// A worker that stops holding a chunk (terminated, crashed, stuck): the waiting caller receives no
// events, so it watches the clock instead. When no chunk has finished for the pool's patience
// (stallMs plus 20 times what a chunk of this job takes the caller), it terminates the workers that
// hold unfinished chunks, takes their chunks back and runs them itself — a GEMM that writes C (no
// accumulate), or a convolution (it writes y only), computes the same bits again from its inputs.
// A GEMM that adds into C cannot be redone (the stopped worker may have added part of its share):
// it fails with an NNError. Either way the pool goes on with the workers that are left, and says so
// (CpuBackend.info.threadsReason).
import { NNError } from '../../../errors.js';
import { KERNELS_SHARED_WASM_BASE64, SHARED_MAXIMUM_PAGES } from './kernels.shared.generated.js';
import {
  controlWords, convWords, DONE, CHUNKS_PER_THREAD, HOOK_EXIT, HOOK_HANG, HOOK_SLEEP, JOB_CONV, JOB_GEMM, LAYOUT, runChunk, runChunks, runImages, workerSource, ALPHA, BETA,
  type ChunkKernels, type ConvJob, type Gemm, type WorkerMessage, type WorkerStart,
} from './poolProtocol.js';
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

/** How long a worker may take to start (load, instantiate the module) before the pool gives up on it. */
const START_TIMEOUT_MS = 20_000;

/**
 * How long the caller waits with no chunk finishing before it takes the unfinished chunks back: a
 * worker descheduled by a loaded machine is late by milliseconds to a few hundred, one that died
 * is late forever. Plus STALL_CHUNKS times what a chunk of the GEMM takes the caller (at its last
 * measured speed), for large GEMMs.
 */
const STALL_MS = 2_000;
const STALL_CHUNKS = 20;

/** A started worker, whichever kind. */
export interface PoolWorker {
  post(message: WorkerStart): void;
  /** Calls `handler` with each message the worker posts, and with { error } when it fails to load, crashes or exits. Called once. */
  listen(handler: (message: WorkerMessage) => void): void;
  terminate(): void;
}

/** A way to start a worker: `spawn` throws or rejects where it cannot work here. */
export interface SpawnWorker {
  /** Named in the reason when it fails ('module worker', …). */
  what: string;
  spawn(): Promise<PoolWorker>;
}

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

/** A worker_threads Worker running the protocol from its source text. */
async function spawnNodeWorker(): Promise<PoolWorker> {
  const threads = (await import(/* @vite-ignore */ NODE_WORKER_THREADS)) as NodeWorkerThreads;
  const worker = new threads.Worker(workerSource('node'), { eval: true });
  return {
    post: (m) => worker.postMessage(m),
    listen: (h) => {
      // Unref'd once ready (before, the start awaits its message), so that an idle pool never keeps
      // the process alive: an unref() before this would not hold, a 'message' listener refs it again.
      worker.on('message', (m: WorkerMessage) => {
        if (m.ready) worker.unref();
        h(m);
      });
      worker.on('error', (e: Error) => h({ error: e.message }));
      worker.on('exit', (code: number) => h({ error: `the worker exited (code ${code})` }));
    },
    terminate: () => void worker.terminate(),
  };
}

/** A Web Worker as a PoolWorker; `loadError` names what to check when it fails to load. */
function webWorker(worker: Worker, loadError: string): PoolWorker {
  return {
    post: (m) => worker.postMessage(m),
    listen: (h) => {
      worker.onmessage = (e) => h(e.data);
      worker.onerror = (e) => {
        e.preventDefault();
        h({ error: e.message || loadError });
      };
    },
    terminate: () => worker.terminate(),
  };
}

/**
 * The module poolWorker.ts as the bundle emits it (a file beside the library, so a
 * Content-Security-Policy with `worker-src 'self'` allows it; under COEP it must be served with
 * `Cross-Origin-Embedder-Policy: require-corp` like the page).
 */
async function spawnModuleWorker(): Promise<PoolWorker> {
  return webWorker(
    new Worker(new URL('./poolWorker.ts', import.meta.url), { type: 'module' }),
    "the module worker's script failed to load (assets/poolWorker-….js beside the library: not served, served without Cross-Origin-Embedder-Policy: require-corp to an isolated page, or not allowed by the Content-Security-Policy's worker-src)",
  );
}

/** A classic worker from a blob: URL of the protocol's source text: where the module file is missing (a library copied without its assets). */
async function spawnBlobWorker(): Promise<PoolWorker> {
  const url = URL.createObjectURL(new Blob([workerSource('web')], { type: 'text/javascript' }));
  try {
    return webWorker(new Worker(url), 'the blob: worker failed to load (a Content-Security-Policy without worker-src blob:?)');
  } finally {
    // The worker has fetched its script once it runs; revoking later would race the fetch.
    setTimeout(() => URL.revokeObjectURL(url), START_TIMEOUT_MS);
  }
}

/** The ways to start a worker here, tried in order. */
export function defaultSpawners(): SpawnWorker[] {
  if (isNode()) return [{ what: 'worker_threads', spawn: spawnNodeWorker }];
  if (typeof Worker !== 'function') throw new Error('this environment has no Worker');
  return [
    { what: 'module worker', spawn: spawnModuleWorker },
    { what: 'blob: worker', spawn: spawnBlobWorker },
  ];
}

/** Whether this thread may block in Atomics.wait (not a page's main thread). */
function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}

/** The workers of one backend, and the GEMMs and convolutions that split work between them and the calling thread. */
export class GemmPool {
  readonly #x: KernelExports;
  /** The kernels on the calling thread alone, but for gemm: this pool's (a convolution not split by images still splits its large GEMMs). */
  readonly #local: ChunkKernels;
  /** gemm's scratch per thread. */
  readonly #scratchBytes: number;
  /** By index − 1; null once lost (terminated after it stopped, or found dead). */
  readonly #workers: (PoolWorker | null)[];
  readonly #ctl: Int32Array;
  readonly #f32: Float32Array;
  readonly #block = canBlock();
  #gen = 0;
  #disposed = false;
  /**
   * What a multiply-add took the calling thread in its chunks, last time it ran one (ms). Before it
   * has, 1 ns: slower than wasm SIMD anywhere, so that a large first GEMM is given time.
   */
  #msPerMac = 1e-6;
  #reason: string | undefined;

  /** GEMMs of fewer multiply-adds stay on the calling thread (`npm run bench:threads` sweeps it). */
  minMacs = MIN_POOLED_MACS;
  /** The caller's patience with a chunk a worker holds, before STALL_CHUNKS × a chunk's time (ms; tests shorten it). */
  stallMs = STALL_MS;

  /** `workers` by index − 1 (index: the worker's scratch slot); `reason`: why fewer threads than asked, from the start. */
  constructor(exports: KernelExports, workers: (PoolWorker | null)[], control: SharedArrayBuffer, reason?: string) {
    this.#x = exports;
    this.#local = { gemm: this.gemm, convDirect: exports.convDirect, im2col: exports.im2col };
    this.#scratchBytes = exports.gemmScratchBytes();
    this.#workers = workers;
    this.#ctl = new Int32Array(control);
    this.#f32 = new Float32Array(control);
    this.#reason = reason;
  }

  /** Threads the GEMMs use: the workers left and the caller. */
  get threads(): number {
    return 1 + this.#workers.filter((w) => w !== null).length;
  }

  /** Why the pool has fewer threads than it was asked for (a worker that failed to start or stopped), if it has. */
  get reason(): string | undefined {
    return this.#reason;
  }

  /** wasm gemm's signature: large products split over the pool, the rest on the calling thread. */
  gemm: Gemm = (transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias, biasPer, act, alpha, beta, scratch) => {
    const threads = this.threads;
    const split = this.#disposed || threads === 1 || m * n * k < this.minMacs ? null : chunking(m, n, threads);
    if (!split) {
      this.#x.gemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias, biasPer, act, alpha, beta, scratch);
      return;
    }
    const ctl = this.#ctl;
    ctl.set([transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, bias, biasPer, act, 0, 0, scratch], LAYOUT.args);
    this.#f32[LAYOUT.args + ALPHA] = alpha;
    this.#f32[LAYOUT.args + BETA] = beta;
    ctl[LAYOUT.split] = split.rows ? 1 : 0;
    this.#run(JOB_GEMM, split.chunks, split.size, m * n * k, accumulate === 0);
  };

  /**
   * A convolution over `images` images (`macs` multiply-adds in all): split by images over the
   * pool (chunks of whole images, each thread on its own scratch slot), or on the calling thread
   * when it has one image or too little work, or fewer images than threads whose GEMMs (its im2col
   * tiles') are large enough to split over every thread by `gemm`, as they did before images were
   * split. The job writes y only, so a stopped worker's images are redone.
   */
  conv = (job: ConvJob, images: number, macs: number): void => {
    const threads = this.threads;
    const tileMacs = (job.O / job.groups) * Math.min(job.tile, job.OH * job.OW) * (job.C / job.groups) * job.kh * job.kw;
    const gemmsSplit = !job.direct && images < threads && tileMacs >= this.minMacs;
    if (this.#disposed || threads === 1 || images < 2 || macs < this.minMacs || gemmsSplit) {
      runImages(this.#local, job, 0, images, 0);
      return;
    }
    const size = Math.ceil(images / Math.min(images, CHUNKS_PER_THREAD * threads));
    this.#ctl.set(convWords(job), LAYOUT.args);
    this.#ctl[LAYOUT.images] = images;
    this.#run(JOB_CONV, Math.ceil(images / size), size, macs, true);
  };

  /** Runs the job whose arguments are written: chunks claimed by the caller and the workers, then waits for all. */
  #run(kind: number, chunks: number, size: number, macs: number, redoable: boolean): void {
    const ctl = this.#ctl;
    const L = LAYOUT;
    const gen = (this.#gen = (this.#gen + 1) | 0);
    const tag = gen & 0x7fff;
    ctl[L.kind] = kind;
    ctl[L.size] = size;
    Atomics.store(ctl, L.chunks, chunks);
    Atomics.store(ctl, L.failed, 0);
    // Free for this job only now that its arguments are written (a worker claims, then reads them).
    for (let i = 0; i < chunks; i++) Atomics.store(ctl, L.state + i, tag << 16);
    Atomics.store(ctl, L.gen, gen);
    Atomics.notify(ctl, L.gen);
    const start = performance.now();
    const ran = runChunks(ctl, this.#f32, this.#x, tag, 0, this.#scratchBytes, L, null);
    const chunkMacs = macs / chunks;
    if (ran) this.#msPerMac = (performance.now() - start) / (ran * chunkMacs);
    const what = kind === JOB_GEMM ? 'GEMM' : 'convolution';
    this.#await(chunks, tag, redoable, what, this.stallMs + STALL_CHUNKS * chunkMacs * this.#msPerMac);
    if (Atomics.load(ctl, L.failed)) throw new NNError(`a chunk of a pooled wasm ${what} failed (a trap in the kernels)`);
  }

  /** Waits until every chunk is finished, taking back the chunks of workers that stopped (see the top). */
  #await(chunks: number, tag: number, redoable: boolean, what: string, patience: number): void {
    const ctl = this.#ctl;
    const L = LAYOUT;
    let seen = Atomics.load(ctl, L.progress);
    let since = performance.now();
    for (;;) {
      let finished = 0;
      for (let i = 0; i < chunks; i++) if ((Atomics.load(ctl, L.state + i) & 0xffff) === DONE) finished++;
      if (finished === chunks) return;
      const progress = Atomics.load(ctl, L.progress);
      const now = performance.now();
      if (progress !== seen) {
        seen = progress;
        since = now;
        continue;
      }
      const left = patience - (now - since);
      if (left <= 0) return this.#takeBack(chunks, tag, redoable, what, patience);
      if (this.#block) Atomics.wait(ctl, L.progress, progress, left);
    }
  }

  /** Terminates the workers holding unfinished chunks and runs their chunks on the calling thread (or fails, where the job cannot be redone). */
  #takeBack(chunks: number, tag: number, redoable: boolean, what: string, patience: number): void {
    const ctl = this.#ctl;
    const L = LAYOUT;
    const mine = (tag << 16) | 1;
    const outcome = redoable ? 'its chunks ran on the calling thread' : `the ${what} it was in, which adds into its output, failed`;
    let lost = 0;
    for (let i = 0; i < chunks; i++) {
      const state = Atomics.load(ctl, L.state + i);
      const who = state & 0xffff;
      if (who === DONE) continue;
      if (who > 1) this.#lose(who - 1, `a worker stopped during a ${what} (no chunk finished for ${(patience / 1000).toFixed(1)} s): it was terminated and ${outcome}`);
      // Finished meanwhile (a late worker): its result stands.
      if (Atomics.compareExchange(ctl, L.state + i, state, mine) !== state) continue;
      if (!redoable) lost++;
      else if (!runChunk(ctl, this.#f32, this.#x, i, 0, this.#scratchBytes, L)) Atomics.store(ctl, L.failed, 1);
      Atomics.store(ctl, L.state + i, (tag << 16) | DONE);
    }
    if (lost) {
      throw new NNError(
        `a worker of the wasm thread pool stopped during a GEMM that adds into its output (accumulate), which cannot be redone: ${lost} chunk(s) of the output are lost. ` +
          `The worker was terminated; the backend goes on with ${this.threads} thread(s)`,
      );
    }
  }

  /** Drops worker `index` (terminated, its slot never used again) and records why. */
  #lose(index: number, why: string): void {
    const worker = this.#workers[index - 1];
    if (this.#disposed || !worker) return;
    this.#workers[index - 1] = null;
    worker.terminate();
    this.#reason = `${why}; ${this.threads} of ${this.#workers.length + 1} threads are left`;
  }

  /** @internal A worker's message after it started: an error or exit means it is gone (a GEMM never runs while this is delivered). */
  workerEvent(index: number, message: WorkerMessage): void {
    if (message.error !== undefined) this.#lose(index, `a worker stopped: ${message.error}`);
  }

  /**
   * @internal Test hook: worker `index` (1 …), after its next claim of a chunk, hangs until
   * terminated, ends its thread (Node; a page's worker hangs), or sleeps `ms` and carries on.
   */
  misbehave(index: number, how: 'hang' | 'exit' | 'sleep', ms = 0): void {
    Atomics.store(this.#ctl, LAYOUT.hookMode, how === 'hang' ? HOOK_HANG : how === 'exit' ? HOOK_EXIT : HOOK_SLEEP);
    Atomics.store(this.#ctl, LAYOUT.hookMs, ms);
    Atomics.store(this.#ctl, LAYOUT.hookWorker, index);
  }

  /** @internal Test hook: whether the worker given to misbehave() has not claimed a chunk yet. */
  get misbehaving(): boolean {
    return Atomics.load(this.#ctl, LAYOUT.hookWorker) !== 0;
  }

  /** @internal Test hook: terminates worker `index` behind the pool's back, as a crash would. */
  killWorker(index: number): void {
    this.#workers[index - 1]?.terminate();
  }

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
    for (const w of this.#workers) w?.terminate();
  }
}

/** How a GEMM is cut: `chunks` pieces of `size` columns (or rows), the last one taking the rest; null: not worth it. */
export function chunking(m: number, n: number, threads: number): { rows: boolean; size: number; chunks: number } | null {
  // At most CHUNKS_PER_THREAD · threads chunks: the control block's state words.
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

/** Starts one worker, trying each way in turn; resolves with it once it has instantiated the kernels, or rejects saying why for each way. */
async function startWorker(spawners: SpawnWorker[], start: WorkerStart, timeoutMs: number, onEvent: (message: WorkerMessage) => void): Promise<PoolWorker> {
  const errors: string[] = [];
  for (const { what, spawn } of spawners) {
    let worker: PoolWorker | undefined;
    try {
      const w = (worker = await spawn());
      await new Promise<void>((resolve, reject) => {
        let started = false;
        const timer = setTimeout(() => reject(new Error(`it did not start within ${timeoutMs / 1000} s`)), timeoutMs);
        w.listen((message) => {
          if (started) return onEvent(message);
          clearTimeout(timer);
          started = true;
          if (message.ready) resolve();
          else reject(new Error(message.error));
        });
        w.post(start);
      });
      return w;
    } catch (e) {
      worker?.terminate();
      errors.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  throw new Error(`a worker failed to start (${errors.join('; ')})`);
}

export interface StartOptions {
  /** The ways to start a worker, tried in order (default: worker_threads in Node; a module worker, then a blob: one, elsewhere). */
  spawners?: SpawnWorker[];
  /** How long a worker may take to start. */
  startTimeoutMs?: number;
}

/**
 * The wasm kernels on a shared memory with up to `threads − 1` workers (threads ≥ 2). Workers that
 * fail to start are left out (the pool's reason says so); rejects, with a sentence saying why, where
 * none starts or threads cannot run (no SharedArrayBuffer): the caller then runs on one thread.
 */
export async function startThreadedKernels(threads: number, options: StartOptions = {}): Promise<{ kernels: WasmKernels; pool: GemmPool }> {
  const unavailable = threadsUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const spawners = options.spawners ?? defaultSpawners();
  const module = await WebAssembly.compile(kernelsWasmBytes(KERNELS_SHARED_WASM_BASE64));
  let memory: WebAssembly.Memory;
  try {
    memory = new WebAssembly.Memory({ initial: 1, maximum: SHARED_MAXIMUM_PAGES, shared: true });
  } catch (e) {
    throw new Error(`a shared WebAssembly memory cannot be made here: ${(e as Error).message}`);
  }
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  const exports = instance.exports as unknown as KernelExports;
  const control = new SharedArrayBuffer(controlWords(threads) * 4);
  const scratchBytes = exports.gemmScratchBytes();
  // Events of a started worker go to its pool (made once all have answered).
  let pool: GemmPool | undefined;
  const settled = await Promise.allSettled(
    Array.from({ length: threads - 1 }, (_, i) =>
      startWorker(spawners, { module, memory, control, index: i + 1, scratchBytes, layout: LAYOUT }, options.startTimeoutMs ?? START_TIMEOUT_MS, (message) => pool?.workerEvent(i + 1, message)),
    ),
  );
  const workers = settled.map((s) => (s.status === 'fulfilled' ? s.value : null));
  const failure = settled.find((s) => s.status === 'rejected')?.reason as Error | undefined;
  if (failure && workers.every((w) => w === null)) throw failure;
  const started = workers.filter((w) => w !== null).length + 1;
  pool = new GemmPool(exports, workers, control, failure && `${failure.message}; ${started} of ${threads} threads started`);
  // Scratch for every slot asked for: a worker keeps its slot's scratch whichever others are gone.
  const kernels = new WasmKernels(exports, { threads, gemm: pool.gemm, conv: pool.conv });
  registry?.register(kernels, pool);
  return { kernels, pool };
}
