// What the wasm thread pool's caller and workers share (threadPool.ts starts them): the layout of
// the control block, the loop that claims and runs chunks of a GEMM, and a worker's body. Nothing
// here imports anything: the workers run these functions from their source text (Node) or from
// poolWorker.ts, a module of its own the bundle emits (pages: `worker-src 'self'` is enough).

/**
 * Where each word lives in the control block (an Int32Array over a SharedArrayBuffer). The words
 * the caller and workers write often sit on cache lines of their own.
 */
export const LAYOUT = {
  /** Bumped by the caller for each GEMM (and for quit): workers wait on it. */
  gen: 0,
  /** 1: workers leave their loop. */
  quit: 1,
  /** Test hook (GemmPool.misbehave): the worker that misbehaves after its next claim, 0: none. */
  hookWorker: 2,
  /** Test hook: how (HOOK_HANG, HOOK_EXIT, HOOK_SLEEP) … */
  hookMode: 3,
  /** … and for how long (ms, HOOK_SLEEP). */
  hookMs: 4,
  /** Never written: a hung worker waits on it. */
  never: 5,
  /** Bumped (and notified) after each chunk, by whoever ran it: the caller waits on it. */
  progress: 32,
  /** 1 when a chunk threw (in a worker or the caller). */
  failed: 33,
  /** Chunks the workers ran, all GEMMs together (tests: the threads are used). */
  byWorkers: 34,
  /** The GEMM: chunk count, split (0 columns, 1 rows), chunk size, then gemm's 18 arguments. */
  chunks: 48,
  split: 49,
  size: 50,
  args: 51,
  /**
   * One word per chunk: tag << 16 | who, tag the GEMM's generation & 0x7fff; who 0 free, 1 + the
   * thread holding it (0 the caller, 1 … the workers), DONE finished. Claims and releases are
   * compare-and-swaps on it, so the caller can take back a chunk from a worker that stopped, and
   * a late worker's release of a chunk taken from it changes nothing.
   */
  state: 80,
} as const;
export type Layout = typeof LAYOUT;

/** A chunk's `who` once finished. */
export const DONE = 0xffff;
/** Chunks per thread at most (threadPool.ts's chunking): the control block has this many state words per thread. */
export const CHUNKS_PER_THREAD = 3;

export const HOOK_HANG = 1;
export const HOOK_EXIT = 2;
export const HOOK_SLEEP = 3;

/** Words of the control block for a pool of `threads`. */
export const controlWords = (threads: number): number => LAYOUT.state + CHUNKS_PER_THREAD * threads;

/** Index of alpha and beta among gemm's arguments: stored as float32 bits. */
export const ALPHA = 15;
export const BETA = 16;

export type Gemm = (
  transA: number, transB: number, m: number, n: number, k: number,
  a: number, lda: number, b: number, ldb: number, c: number, ldc: number, accumulate: number,
  bias: number, biasPer: number, act: number, alpha: number, beta: number, scratch: number,
) => void;

/** Runs chunk `i` of the GEMM in `ctl` (its rows or columns of C); false when it trapped. */
export function runChunk(ctl: Int32Array, f32: Float32Array, gemm: Gemm, scratch: number, i: number, L: Layout): boolean {
  const a = L.args;
  const chunks = ctl[L.chunks];
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
    return true;
  } catch {
    return false;
  }
}

/**
 * Claims and runs free chunks of the GEMM of generation `tag` until none is left; returns how many
 * it ran. `who`: 0 the caller, 1 … a worker; `claimed` runs after each claim (the workers' test hook).
 * Named by workerMain: both run in the workers from their source text, so they name nothing but
 * their parameters, each other, runChunk and globals.
 */
export function runChunks(ctl: Int32Array, f32: Float32Array, gemm: Gemm, scratch: number, tag: number, who: number, L: Layout, claimed: (() => void) | null): number {
  let ran = 0;
  const chunks = Atomics.load(ctl, L.chunks);
  const free = tag << 16;
  const mine = free | (who + 1);
  for (let i = 0; i < chunks; i++) {
    // A worker still in the previous GEMM finds no free chunk of its tag: the caller resets the
    // state words only after writing the arguments, and every chunk ends finished.
    if (Atomics.compareExchange(ctl, L.state + i, free, mine) !== free) continue;
    claimed?.();
    if (!runChunk(ctl, f32, gemm, scratch, i, L)) Atomics.store(ctl, L.failed, 1);
    ran++;
    Atomics.compareExchange(ctl, L.state + i, mine, free | 0xffff);
    Atomics.add(ctl, L.progress, 1);
    Atomics.notify(ctl, L.progress);
  }
  return ran;
}

/** What a worker is sent once: the compiled module, the memory, the control block, its place. */
export interface WorkerStart {
  module: WebAssembly.Module;
  memory: WebAssembly.Memory;
  control: SharedArrayBuffer;
  /** 1 … threads − 1: its scratch is the caller's + index · scratchBytes. */
  index: number;
  scratchBytes: number;
  layout: Layout;
}

export type WorkerMessage = { ready?: true; error?: string };

/**
 * A worker's body: instantiate, say ready, then run chunks of each GEMM until quit. `exit` ends
 * the worker's thread where the host can (Node), for the test hook HOOK_EXIT.
 */
export function workerMain(receive: (handler: (start: WorkerStart | null) => void) => void, send: (message: WorkerMessage) => void, exit: () => void): void {
  // null: the start message could not be received (a messageerror), so that the start fails at once.
  receive(async (start) => {
    if (!start) {
      send({ error: 'the worker could not receive the shared memory (is it cross-origin isolated?)' });
      return;
    }
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
    const me = start.index;
    // The test hook: once, after a claim, hang (until terminated), end the thread, or sleep.
    const claimed = () => {
      if (Atomics.load(ctl, L.hookWorker) !== me) return;
      Atomics.store(ctl, L.hookWorker, 0);
      const mode = Atomics.load(ctl, L.hookMode);
      if (mode === 2) exit();
      Atomics.wait(ctl, L.never, 0, mode === 3 ? Atomics.load(ctl, L.hookMs) : Infinity);
    };
    let seen = Atomics.load(ctl, L.gen);
    for (;;) {
      Atomics.wait(ctl, L.gen, seen);
      if (Atomics.load(ctl, L.quit)) return;
      const gen = Atomics.load(ctl, L.gen);
      if (gen === seen) continue;
      seen = gen;
      const ran = runChunks(ctl, f32, gemm, ctl[L.args + 17] + me * start.scratchBytes, gen & 0x7fff, me, L, claimed);
      Atomics.add(ctl, L.byWorkers, ran);
    }
  });
}

/** The classic-script source of a worker (Node's eval, a page's blob: fallback): these functions from their text, wired to the host. */
export function workerSource(host: 'web' | 'node'): string {
  const main = `${runChunk.toString()}\n${runChunks.toString()}\nconst main = ${workerMain.toString()};\n`;
  if (host === 'web') return `${main}main((h) => { self.onmessage = (e) => h(e.data); self.onmessageerror = () => h(null); }, (m) => self.postMessage(m), () => self.close());\n`;
  // import(), not require: Node evaluates the source as a module where the parent runs as one (--input-type=module).
  return `${main}import('node:worker_threads').then(({ parentPort: p }) => main((h) => p.on('message', h).on('messageerror', () => h(null)), (m) => p.postMessage(m), () => process.exit(1)));\n`;
}
