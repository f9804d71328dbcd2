// The CPU backend of the built dist/ in headless Chromium: the wasm SIMD kernels in a page and in
// a module worker, and the TypeScript kernels (with the reason) in a page whose
// Content-Security-Policy forbids compiling WebAssembly. Needs `npm run build` (pretest runs it).
import { describe, expect, it } from 'vitest';
import { pageResults, useBrowser } from './browser/session';
import { expectClose } from './helpers';

interface Result {
  error?: string;
  info: { kernels: string; reason?: string; threads: number; threadsReason?: string };
  wasm: number[];
  typescript: number[];
}

describe('the CPU backend in a browser (headless Chromium, built dist/)', () => {
  const browser = useBrowser();


  it('runs the wasm kernels in a page and in a module worker, with the TypeScript kernels\' results', async () => {
    for (const result of await pageResults<Result>(browser, 'test/browser/cpuWasm.html', ['result', 'workerResult'])) {
      expect(result.error).toBeUndefined();
      expect(result.info).toMatchObject({ kernels: 'wasm-simd', threads: 1 });
      expect(result.info.threadsReason).toMatch(/the page is not cross-origin isolated/);
      expectClose(result.wasm, result.typescript, 'wasm vs typescript kernels');
    }
  });

  it("falls back to the TypeScript kernels, saying why, in a page whose CSP lacks 'wasm-unsafe-eval'", async () => {
    const [result] = await pageResults<Result>(browser, 'test/browser/cpuWasmCsp.html');
    expect(result.error).toBeUndefined();
    expect(result.info.kernels).toBe('typescript');
    expect(result.info.reason).toMatch(/^the wasm kernels cannot run here: compiling WebAssembly failed/);
    expect(result.wasm).toEqual(result.typescript);
  });
});
