// What the wasm thread pool's caller and workers share (threadPool.ts starts them): the layout of
// the control block, the loop that claims and runs chunks of a job (a GEMM's columns or rows, or a
// convolution's images), and a worker's body. Nothing here imports anything: the workers run these
// functions from their source text (Node) or from poolWorker.ts, a module of its own the bundle
// emits (pages: `worker-src 'self'` is enough).

/**
 * Where each word lives in the control block (an Int32Array over a SharedArrayBuffer). The words
 * the caller and workers write often sit on cache lines of their own.
 */
export const LAYOUT = {
  /** Bumped by the caller for each job (and for quit): workers wait on it. */
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
  /** Chunks the workers ran, all jobs together (tests: the threads are used). */
  byWorkers: 34,
  /**
   * The job: its kind (JOB_GEMM, JOB_CONV), chunk count, split (GEMM: 0 columns, 1 rows), chunk
   * size (columns, rows or images), images (JOB_CONV), then its arguments: gemm's 18, or a
   * convolution's CONV_WORDS (convWords).
   */
  kind: 48,
  chunks: 49,
  split: 50,
  size: 51,
  images: 52,
  args: 53,
  /**
   * One word per chunk: tag << 16 | who, tag the job's generation & 0x7fff; who 0 free, 1 + the
   * thread holding it (0 the caller, 1 … the workers), DONE finished. Claims and releases are
   * compare-and-swaps on it, so the caller can take back a chunk from a worker that stopped, and
   * a late worker's release of a chunk taken from it changes nothing.
   */
  state: 96,
} as const;
export type Layout = typeof LAYOUT;

/** Job kinds: a GEMM split by columns or rows of C; a convolution split by images. */
export const JOB_GEMM = 0;
export const JOB_CONV = 1;

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

/** The kernels a chunk runs (the wasm exports of the module, either build). */
export interface ChunkKernels {
  gemm: Gemm;
  convDirect(
    x: number, N: number, C: number, H: number, W: number, w: number, O: number, kh: number, kw: number, dh: number, dw: number,
    pt: number, pl: number, pb: number, pr: number, bias: number, act: number, alpha: number, beta: number, y: number, scratch: number,
  ): void;
  im2col(
    x: number, channels: number, H: number, W: number, kh: number, kw: number, sh: number, sw: number,
    dh: number, dw: number, pt: number, pl: number, OW: number, p0: number, count: number, dst: number,
  ): void;
}

/**
 * A convolution over images [N, C, H, W] at byte address x into [N, O, OH, OW] at y, by
 * wasm/conv.ts's direct kernel (`direct`: stride 1, one group) or by im2col tiles of `tile` pixels,
 * each one GEMM (`pointwise`: a 1×1 kernel read in place, no patches). w: [O, C/groups, kh, kw];
 * bias 0 for none; act/alpha/beta: gemm's epilogue. Each thread's scratch is its slot `who` of
 * `scratchBytes` from `scratch` (the direct kernel's, or the patches) and of `gemmScratchBytes`
 * from `gemmScratch` (gemm's packing).
 */
export interface ConvJob {
  direct: number; pointwise: number;
  x: number; C: number; H: number; W: number;
  w: number; O: number; kh: number; kw: number; groups: number;
  sh: number; sw: number; dh: number; dw: number; pt: number; pl: number; pb: number; pr: number;
  bias: number; act: number; alpha: number; beta: number;
  y: number; OH: number; OW: number; tile: number;
  scratch: number; scratchBytes: number; gemmScratch: number; gemmScratchBytes: number;
}

/** Words of a ConvJob in the control block; alpha and beta (at CONV_ALPHA, + 1) as float32 bits. */
export const CONV_WORDS = 31;
const CONV_ALPHA = 21;

/** A ConvJob as the control block's argument words (readConv's order). */
export function convWords(j: ConvJob): Int32Array {
  const words = new Int32Array(CONV_WORDS);
  words.set([
    j.direct, j.pointwise, j.x, j.C, j.H, j.W, j.w, j.O, j.kh, j.kw, j.groups, j.sh, j.sw, j.dh, j.dw, j.pt, j.pl, j.pb, j.pr, j.bias, j.act,
    0, 0, j.y, j.OH, j.OW, j.tile, j.scratch, j.scratchBytes, j.gemmScratch, j.gemmScratchBytes,
  ]);
  new Float32Array(words.buffer).set([j.alpha, j.beta], CONV_ALPHA);
  return words;
}

/** The ConvJob whose words (convWords) start at ctl[a]. */
export function readConv(ctl: Int32Array, f32: Float32Array, a: number): ConvJob {
  const [direct, pointwise, x, C, H, W, w, O, kh, kw, groups, sh, sw, dh, dw, pt, pl, pb, pr, bias, act] = ctl.subarray(a, a + 21);
  const [y, OH, OW, tile, scratch, scratchBytes, gemmScratch, gemmScratchBytes] = ctl.subarray(a + 23, a + 31);
  const alpha = f32[a + 21], beta = f32[a + 22];
  return { direct, pointwise, x, C, H, W, w, O, kh, kw, groups, sh, sw, dh, dw, pt, pl, pb, pr, bias, act, alpha, beta, y, OH, OW, tile, scratch, scratchBytes, gemmScratch, gemmScratchBytes };
}

/**
 * Images n0 … n0 + count − 1 of the convolution `j`, on thread `who`'s scratch: one thread runs
 * all of them with this, the pool's threads a chunk each, so every image is computed by the same
 * calls (bit-identical whatever the split).
 */
export function runImages(k: ChunkKernels, j: ConvJob, n0: number, count: number, who: number): void {
  const xImage = 4 * j.C * j.H * j.W;
  const yImage = 4 * j.O * j.OH * j.OW;
  const scratch = j.scratch + who * j.scratchBytes;
  if (j.direct) {
    k.convDirect(j.x + n0 * xImage, count, j.C, j.H, j.W, j.w, j.O, j.kh, j.kw, j.dh, j.dw, j.pt, j.pl, j.pb, j.pr, j.bias, j.act, j.alpha, j.beta, j.y + n0 * yImage, scratch);
    return;
  }
  const gemmScratch = j.gemmScratch + who * j.gemmScratchBytes;
  const pixels = j.OH * j.OW;
  const Cg = j.C / j.groups;
  const Og = j.O / j.groups;
  const K = Cg * j.kh * j.kw;
  for (let n = n0; n < n0 + count; n++) {
    for (let g = 0; g < j.groups; g++) {
      const xGroup = j.x + n * xImage + 4 * g * Cg * j.H * j.W;
      const yGroup = j.y + n * yImage + 4 * g * Og * pixels;
      const wGroup = j.w + 4 * g * Og * K;
      const biasGroup = j.bias && j.bias + 4 * g * Og;
      for (let p0 = 0; p0 < pixels; p0 += j.tile) {
        const tile = Math.min(j.tile, pixels - p0);
        let patches = xGroup + 4 * p0;
        let ldPatches = pixels;
        if (!j.pointwise) {
          k.im2col(xGroup, Cg, j.H, j.W, j.kh, j.kw, j.sh, j.sw, j.dh, j.dw, j.pt, j.pl, j.OW, p0, tile, scratch);
          patches = scratch;
          ldPatches = tile;
        }
        // y_g[:, p0 …] = w_g [O/g, K] · patches [K, tile] + bias per row, activated.
        k.gemm(0, 0, Og, tile, K, wGroup, K, patches, ldPatches, yGroup + 4 * p0, pixels, 0, biasGroup, biasGroup ? 2 : 0, j.act, j.alpha, j.beta, gemmScratch);
      }
    }
  }
}

/**
 * Runs chunk `i` of the job in `ctl` on thread `who` (0 the caller): a GEMM's rows or columns of C
 * (gemm's scratch: the one in its arguments + who · scratchBytes), or a convolution's images;
 * false when it trapped.
 */
export function runChunk(ctl: Int32Array, f32: Float32Array, k: ChunkKernels, i: number, who: number, scratchBytes: number, L: Layout): boolean {
  const a = L.args;
  const chunks = ctl[L.chunks];
  const size = ctl[L.size];
  const first = i * size;
  try {
    // 1: JOB_CONV (a literal: the workers run this from its source text).
    if (ctl[L.kind] === 1) {
      const images = ctl[L.images];
      runImages(k, readConv(ctl, f32, a), first, i === chunks - 1 ? images - first : size, who);
      return true;
    }
    const transA = ctl[a], transB = ctl[a + 1], lda = ctl[a + 6], ldb = ctl[a + 8], ldc = ctl[a + 10], biasPer = ctl[a + 13];
    let m = ctl[a + 2], n = ctl[a + 3], pa = ctl[a + 5], pb = ctl[a + 7], pc = ctl[a + 9], bias = ctl[a + 12];
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
    const scratch = ctl[a + 17] + who * scratchBytes;
    k.gemm(transA, transB, m, n, ctl[a + 4], pa, lda, pb, ldb, pc, ldc, ctl[a + 11], bias, biasPer, ctl[a + 14], f32[a + 15], f32[a + 16], scratch);
    return true;
  } catch {
    return false;
  }
}

/**
 * Claims and runs free chunks of the job of generation `tag` until none is left; returns how many
 * it ran. `who`: 0 the caller, 1 … a worker; `claimed` runs after each claim (the workers' test hook).
 * Named by workerMain: both run in the workers from their source text, so they name nothing but
 * their parameters, each other, runChunk, runImages, readConv and globals.
 */
export function runChunks(ctl: Int32Array, f32: Float32Array, k: ChunkKernels, tag: number, who: number, scratchBytes: number, L: Layout, claimed: (() => void) | null): number {
  let ran = 0;
  const chunks = Atomics.load(ctl, L.chunks);
  const free = tag << 16;
  const mine = free | (who + 1);
  for (let i = 0; i < chunks; i++) {
    // A worker still in the previous job finds no free chunk of its tag: the caller resets the
    // state words only after writing the arguments, and every chunk ends finished.
    if (Atomics.compareExchange(ctl, L.state + i, free, mine) !== free) continue;
    claimed?.();
    if (!runChunk(ctl, f32, k, i, who, scratchBytes, L)) Atomics.store(ctl, L.failed, 1);
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
  /** 1 … threads − 1: its gemm scratch is the caller's + index · scratchBytes. */
  index: number;
  scratchBytes: number;
  layout: Layout;
}

export type WorkerMessage = { ready?: true; error?: string };

/**
 * A worker's body: instantiate, say ready, then run chunks of each job until quit. `exit` ends
 * the worker's thread where the host can (Node), for the test hook HOOK_EXIT.
 */
export function workerMain(receive: (handler: (start: WorkerStart | null) => void) => void, send: (message: WorkerMessage) => void, exit: () => void): void {
  // null: the start message could not be received (a messageerror), so that the start fails at once.
  receive(async (start) => {
    if (!start) {
      send({ error: 'the worker could not receive the shared memory (is it cross-origin isolated?)' });
      return;
    }
    let ctl: Int32Array, f32: Float32Array, kernels: ChunkKernels;
    try {
      const instance = await WebAssembly.instantiate(start.module, { env: { memory: start.memory } });
      kernels = instance.exports as unknown as ChunkKernels;
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
      const ran = runChunks(ctl, f32, kernels, gen & 0x7fff, me, start.scratchBytes, L, claimed);
      Atomics.add(ctl, L.byWorkers, ran);
    }
  });
}

/** The classic-script source of a worker (Node's eval, a page's blob: fallback): these functions from their text, wired to the host. */
export function workerSource(host: 'web' | 'node'): string {
  const main = `${readConv.toString()}\n${runImages.toString()}\n${runChunk.toString()}\n${runChunks.toString()}\nconst main = ${workerMain.toString()};\n`;
  if (host === 'web') return `${main}main((h) => { self.onmessage = (e) => h(e.data); self.onmessageerror = () => h(null); }, (m) => self.postMessage(m), () => self.close());\n`;
  // import(), not require: Node evaluates the source as a module where the parent runs as one (--input-type=module).
  return `${main}import('node:worker_threads').then(({ parentPort: p }) => main((h) => p.on('message', h).on('messageerror', () => h(null)), (m) => p.postMessage(m), () => process.exit(1)));\n`;
}
