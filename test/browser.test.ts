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
    await page.goto(`${server.url}/test/browser/blank.html`);
    const result = await page.evaluate(async () => {
      const nn = await import(/* @vite-ignore */ `${location.origin}/dist/webgpu-nn.js`);
      const gpu = await nn.createBackend('webgpu');
      const cpu = await nn.createBackend('cpu');
      const auto = await nn.createBackend();
      const L = nn.layers;
      const model = nn.sequential([L.conv2d(1, 4, 3, { padding: 1 }), L.relu(), L.maxPool2d(2), L.flatten(), L.linear(4 * 4 * 4, 10)], {
        inputShape: [1, 8, 8],
        seed: 1,
      });
      const x = Float32Array.from({ length: 2 * 64 }, (_, i) => Math.sin(i));
      const run = async (backend: typeof gpu) => {
        const session = await nn.compile(model, backend);
        const y = await session.run(backend.tensor(x, [2, 1, 8, 8]));
        const data: number[] = Array.from(await y.data());
        session.dispose();
        return { data, shape: y.shape };
      };
      const g = await run(gpu);
      const c = await run(cpu);
      const out = { name: gpu.name, autoName: auto.name, fallbackReason: auto.fallbackReason ?? null, gpu: g, cpu: c };
      gpu.dispose();
      auto.dispose();
      return out;
    });
    expect(errors).toEqual([]);
    expect(result.name).toBe('webgpu');
    expect(result.autoName).toBe('webgpu');
    expect(result.fallbackReason).toBeNull();
    expect(result.gpu.shape).toEqual([2, 10]);
    expectClose(result.gpu.data, result.cpu.data, 'browser webgpu vs cpu');
  });
});
