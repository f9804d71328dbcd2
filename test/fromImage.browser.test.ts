// backend.fromImage with real browser sources in headless Chromium (the built dist/, WebGPU on
// navigator.gpu): canvas, OffscreenCanvas, ImageBitmap, <img>, VideoFrame and ImageData give the
// same tensor, on WebGPU (copyExternalImageToTexture + kernel) and on the CPU (2D canvas).
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, serveDirectory } from './browser/server';
import { expectClose } from './helpers';

describe('fromImage in the browser (headless Chromium, built dist/)', () => {
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

  it('every kind of source gives the ImageData values, on WebGPU and on the CPU; a batch; an <img> without an image is a typed error', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/test/browser/fromImage.html`);
    await page.waitForFunction('window.result !== undefined', { timeout: 60_000 });
    const result = (await page.evaluate('window.result')) as {
      error?: string;
      backend: string;
      shapes: Record<string, number[]>;
      gpu: Record<string, number[]>;
      cpu: Record<string, number[]>;
      batchShape: number[];
      batch: number[];
      batchRef: number[];
      unloaded: string;
    };
    await page.close();
    expect(result.error).toBeUndefined();
    expect(errors).toEqual([]);
    expect(result.backend).toBe('webgpu');
    const reference = result.cpu.imageData;
    expect(Object.keys(result.gpu)).toEqual(['imageData', 'canvas', 'offscreen', 'bitmap', 'img', 'videoFrame']);
    for (const name of Object.keys(result.gpu)) {
      expect(result.shapes[name], name).toEqual([1, 3, 5, 12]);
      expectClose(result.gpu[name], reference, `${name} on WebGPU`);
      expectClose(result.cpu[name], reference, `${name} on the CPU`);
    }
    expect(result.batchShape).toEqual([2, 1, 7, 9]);
    expectClose(result.batch, result.batchRef, 'ImageBitmap and <img> as a grayscale batch');
    expect(result.unloaded).toMatch(/^NNError: fromImage: the <img> (failed to load|has not loaded)/);
  });
});
