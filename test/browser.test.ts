// The built library (dist/) in a page in headless Chromium: compiles a conv → pool → linear
// graph on navigator.gpu and checks it against the CPU backend in the same page.
import { describe, expect, it } from 'vitest';
import { pageResults, useBrowser } from './browser/session';
import { expectClose } from './helpers';

describe('browser (headless Chromium, built dist/)', () => {
  const browser = useBrowser();

  it('compiles a conv → pool → linear graph on navigator.gpu and matches the CPU backend', async () => {
    const [result] = await pageResults<{
      error?: string;
      name: string;
      autoName: string;
      fallbackReason: string | null;
      gpu: { data: number[]; shape: number[] };
      cpu: { data: number[]; shape: number[] };
    }>(browser, 'test/browser/graph.html');
    expect(result.error).toBeUndefined();
    expect(result.name).toBe('webgpu');
    expect(result.autoName).toBe('webgpu');
    expect(result.fallbackReason).toBeNull();
    expect(result.gpu.shape).toEqual([2, 10]);
    expectClose(result.gpu.data, result.cpu.data, 'browser webgpu vs cpu');
  });
});
