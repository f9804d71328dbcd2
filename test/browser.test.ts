// The built library (dist/) in a page in headless Chromium: compiles a conv → pool → linear
// graph on navigator.gpu and checks it against the CPU backend in the same page.
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, serveDirectory } from './browser/server';
import { expectClose } from './helpers';

describe('browser (headless Chromium, built dist/)', () => {
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

  it('compiles a conv → pool → linear graph on navigator.gpu and matches the CPU backend', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/test/browser/graph.html`);
    await page.waitForFunction('window.result !== undefined', { timeout: 60_000 });
    const result = (await page.evaluate('window.result')) as {
      error?: string;
      name: string;
      autoName: string;
      fallbackReason: string | null;
      gpu: { data: number[]; shape: number[] };
      cpu: { data: number[]; shape: number[] };
    };
    expect(result.error).toBeUndefined();
    expect(errors).toEqual([]);
    expect(result.name).toBe('webgpu');
    expect(result.autoName).toBe('webgpu');
    expect(result.fallbackReason).toBeNull();
    expect(result.gpu.shape).toEqual([2, 10]);
    expectClose(result.gpu.data, result.cpu.data, 'browser webgpu vs cpu');
  });
});
