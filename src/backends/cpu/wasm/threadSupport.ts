// Whether the wasm kernels can have threads here, and how many by default: small, so that the CPU
// backend asks before it loads the pool's chunk (threadPool.ts) on a page that cannot use it.

/** Threads used when `threads` is not given: the hardware concurrency, at most this. */
export const DEFAULT_MAX_THREADS = 4;

// A specifier in a variable: bundlers leave the import alone (it only runs in Node).
const NODE_OS = 'node:os';
interface NodeOs {
  availableParallelism?(): number;
  cpus(): unknown[];
}

/** Node (worker_threads), as opposed to an environment with Web Workers. */
export const isNode = (): boolean => {
  const versions = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions;
  return typeof versions?.node === 'string' && typeof Worker !== 'function';
};

/** The threads when none are asked for: the hardware concurrency, at most DEFAULT_MAX_THREADS. */
export async function defaultThreads(): Promise<number> {
  let cores = typeof navigator === 'object' ? navigator.hardwareConcurrency : undefined;
  if (!cores && isNode()) {
    const os = (await import(/* @vite-ignore */ NODE_OS)) as NodeOs;
    cores = os.availableParallelism?.() ?? os.cpus().length;
  }
  return Math.max(1, Math.min(DEFAULT_MAX_THREADS, cores || 1));
}

/** Why threads cannot run here, or null when they can (SharedArrayBuffer and a shared wasm memory). */
export function threadsUnavailableReason(): string | null {
  if (globalThis.crossOriginIsolated === false || typeof SharedArrayBuffer !== 'function') {
    return 'SharedArrayBuffer is unavailable: the page is not cross-origin isolated (serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)';
  }
  if (typeof Atomics !== 'object') return 'this engine has no Atomics';
  return null;
}
