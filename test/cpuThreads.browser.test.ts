// The CPU backend's threads in headless Chromium (built dist/: `npm run build` first): on a
// cross-origin-isolated page (COOP/COEP headers) and in a module worker of it, threads: 2 runs
// GEMMs on a worker pool with the bits of one thread; on a page that is not isolated, one thread
// and the reason.
import { describe, expect, it } from 'vitest';
import { pageResults, useBrowser } from './browser/session';

interface Result {
  error?: string;
  crossOriginIsolated: boolean;
  info: { kernels: string; threads: number; threadsReason?: string };
  workerChunks: number;
  differences: number;
  finite: number;
}

describe('the CPU backend on threads in a browser (headless Chromium, built dist/)', () => {
  const browser = useBrowser();

  it('a cross-origin-isolated page and its module worker: 2 threads, the workers take chunks, the same bits as one thread', async () => {
    const results = await pageResults<Result>(browser, 'test/browser/cpuThreads.html?isolated', ['result', 'workerResult']);
    for (const result of results) {
      expect(result.error).toBeUndefined();
      expect(result.crossOriginIsolated).toBe(true);
      expect(result.info).toEqual({ kernels: 'wasm-simd', threads: 2 });
      expect(result.workerChunks).toBeGreaterThan(0);
      expect(result.differences).toBe(0);
      expect(result.finite).toBeGreaterThan(0);
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
