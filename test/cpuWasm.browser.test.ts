// The CPU backend of the built dist/ in headless Chromium: the wasm SIMD kernels in a page and in
// a module worker, and the TypeScript kernels (with the reason) in a page whose
// Content-Security-Policy forbids compiling WebAssembly. Needs `npm run build` (pretest runs it).
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, serveDirectory } from './browser/server';
import { expectClose } from './helpers';

interface Result {
  error?: string;
  info: { kernels: string; reason?: string; threads: number };
  wasm: number[];
  typescript: number[];
}

describe('the CPU backend in a browser (headless Chromium, built dist/)', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveDirectory>>;

  beforeAll(async () => {
    server = await serveDirectory(path.resolve(__dirname, '..'));
    browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  async function load(page: string, globals: string[]): Promise<Result[]> {
    const tab = await browser.newPage();
    const errors: string[] = [];
    tab.on('pageerror', (e) => errors.push(String(e)));
    await tab.goto(`${server.url}/test/browser/${page}`);
    const results: Result[] = [];
    for (const name of globals) {
      await tab.waitForFunction(`window.${name} !== undefined`, { timeout: 60_000 });
      results.push((await tab.evaluate(`window.${name}`)) as Result);
    }
    expect(errors).toEqual([]);
    await tab.close();
    return results;
  }

  it('runs the wasm kernels in a page and in a module worker, with the TypeScript kernels\' results', async () => {
    for (const result of await load('cpuWasm.html', ['result', 'workerResult'])) {
      expect(result.error).toBeUndefined();
      expect(result.info).toEqual({ kernels: 'wasm-simd', threads: 1 });
      expectClose(result.wasm, result.typescript, 'wasm vs typescript kernels');
    }
  });

  it("falls back to the TypeScript kernels, saying why, in a page whose CSP lacks 'wasm-unsafe-eval'", async () => {
    const [result] = await load('cpuWasmCsp.html', ['result']);
    expect(result.error).toBeUndefined();
    expect(result.info.kernels).toBe('typescript');
    expect(result.info.reason).toMatch(/^the wasm kernels cannot run here: compiling WebAssembly failed/);
    expect(result.wasm).toEqual(result.typescript);
  });
});
