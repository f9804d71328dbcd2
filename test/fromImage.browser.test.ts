// backend.fromImage with real browser sources in headless Chromium (the built dist/, WebGPU on
// navigator.gpu): canvas, OffscreenCanvas, ImageBitmap, <img>, VideoFrame and ImageData give the
// same tensor, on WebGPU (copyExternalImageToTexture + kernel) and on the CPU (2D canvas).
import { describe, expect, it } from 'vitest';
import { pageResults, useBrowser } from './browser/session';
import { expectClose } from './helpers';

describe('fromImage in the browser (headless Chromium, built dist/)', () => {
  const browser = useBrowser();

  it('every kind of source gives the ImageData values, on WebGPU and on the CPU; a batch; an <img> without an image is a typed error', async () => {
    const [result] = await pageResults<{
      error?: string;
      backend: string;
      shapes: Record<string, number[]>;
      gpu: Record<string, number[]>;
      cpu: Record<string, number[]>;
      batchShape: number[];
      batch: number[];
      batchRef: number[];
      unloaded: string;
    }>(browser, 'test/browser/fromImage.html');
    expect(result.error).toBeUndefined();
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
