// The CPU backend's threads in headless Chromium (built dist/: `npm run build` first): on a
// cross-origin-isolated page (COOP/COEP headers) and in a module worker of it, threads: 2 runs
// GEMMs and convolutions over several images on a worker pool with the bits of one thread, also under a Content-Security-Policy that allows
// workers from the page's origin only (the pool's worker is a module file of the bundle, not a blob:)
// and when a worker hangs holding a chunk; where no worker may start, or on a page that is not
// isolated, one thread and the reason.
import { describe, expect, it } from 'vitest';
import { pageResults, useBrowser } from './browser/session';

interface Result {
  error?: string;
  crossOriginIsolated: boolean;
  info: { kernels: string; threads: number; threadsReason?: string };
  workerChunks: number;
  /** Chunks the workers took during the graph's runs: images of its convolutions. */
  graphChunks: number;
  /** With ?stall: the pool's worker claimed a chunk and hung. */
  hookFired: boolean;
  differences: number;
  finite: number;
}

describe('the CPU backend on threads in a browser (headless Chromium, built dist/)', () => {
  const browser = useBrowser();

  it('a cross-origin-isolated page and its module worker: 2 threads, the workers take chunks of GEMMs and images of convolutions, the same bits as one thread', async () => {
    const results = await pageResults<Result>(browser, 'test/browser/cpuThreads.html?isolated', ['result', 'workerResult']);
    for (const result of results) {
      expect(result.error).toBeUndefined();
      expect(result.crossOriginIsolated).toBe(true);
      expect(result.info).toEqual({ kernels: 'wasm-simd', threads: 2 });
      expect(result.workerChunks).toBeGreaterThan(result.graphChunks);
      expect(result.graphChunks).toBeGreaterThan(0);
      expect(result.differences).toBe(0);
      expect(result.finite).toBeGreaterThan(0);
    }
  });

  // The policy of a strict page: scripts and workers from its origin only (no blob: workers), wasm allowed.
  const csp = (workers: string) => `&csp=${encodeURIComponent(`default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; worker-src ${workers}`)}`;

  it("a cross-origin-isolated page whose Content-Security-Policy allows workers from its origin only (worker-src 'self'), and its module worker: 2 threads on the module worker file", async () => {
    const results = await pageResults<Result>(browser, `test/browser/cpuThreads.html?isolated${csp("'self'")}`, ['result', 'workerResult']);
    for (const result of results) {
      expect(result.error).toBeUndefined();
      expect(result.info).toEqual({ kernels: 'wasm-simd', threads: 2 });
      expect(result.workerChunks).toBeGreaterThan(0);
      expect(result.differences).toBe(0);
    }
  });

  it("a page whose Content-Security-Policy allows no workers (worker-src 'none'): one thread, saying why", async () => {
    const [result] = await pageResults<Result>(browser, `test/browser/cpuThreads.html?isolated${csp("'none'")}`, ['result']);
    expect(result.error).toBeUndefined();
    expect(result.info.threads).toBe(1);
    expect(result.info.threadsReason).toMatch(/^a worker failed to start \(module worker: .+; blob: worker: .+\)$/);
    expect(result.differences).toBe(0);
  });

  it('a worker of the pool that hangs holding a chunk, on the page (spinning) and in its module worker (Atomics.wait): the same bits, then one thread, saying why', async () => {
    const results = await pageResults<Result>(browser, 'test/browser/cpuThreads.html?isolated&stall', ['result', 'workerResult']);
    for (const result of results) {
      expect(result.error).toBeUndefined();
      expect(result.hookFired).toBe(true);
      expect(result.info.threads).toBe(1);
      expect(result.info.threadsReason).toMatch(/^a worker stopped during a (GEMM|convolution) \(no chunk finished for \d+\.\d s\): it was terminated and its chunks ran on the calling thread; 1 of 2 threads are left$/);
      expect(result.differences).toBe(0);
    }
  });

  it('a page that is not cross-origin isolated: one thread, saying why', async () => {
    const [result] = await pageResults<Result>(browser, 'test/browser/cpuThreads.html', ['result']);
    expect(result.error).toBeUndefined();
    expect(result.crossOriginIsolated).toBe(false);
    expect(result.info.threads).toBe(1);
    expect(result.info.threadsReason).toMatch(/^SharedArrayBuffer is unavailable: the page is not cross-origin isolated \(serve it with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp\)/);
    expect(result.workerChunks).toBe(0);
    expect(result.differences).toBe(0);
  });
});
