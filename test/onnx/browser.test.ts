// nn.importOnnx in a page in headless Chromium with the built dist/: the lazily loaded decoder
// chunk, protobufjs in the browser and the imported GRU on navigator.gpu give PyTorch's outputs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, serveDirectory } from '../browser/server';
import { expectClose } from '../helpers';

describe('importOnnx in the browser (headless Chromium, built dist/)', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveDirectory>>;

  beforeAll(async () => {
    server = await serveDirectory(path.resolve(__dirname, '..', '..'));
    browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });

  it("imports a torch.onnx.export GRU + Linear and runs it on navigator.gpu with PyTorch's outputs at two shapes", async () => {
    const name = 'gru_2layer_bidirectional';
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${server.url}/test/onnx/browser/onnx.html?model=${name}`);
    await page.waitForFunction('window.result !== undefined', { timeout: 60_000 });
    const result = (await page.evaluate('window.result')) as { error?: string; backend: string; outputs: { shape: number[]; data: number[] }[] };
    expect(result.error).toBeUndefined();
    expect(errors).toEqual([]);
    expect(result.backend).toBe('webgpu');
    const fixture = JSON.parse(readFileSync(path.join(__dirname, '..', 'data', 'onnx', 'torch', `${name}.json`), 'utf8')) as { runs: { output: { shape: number[]; data: number[] } }[] };
    expect(result.outputs.map((o) => o.shape)).toEqual(fixture.runs.map((r) => r.output.shape));
    fixture.runs.forEach((run, i) => expectClose(result.outputs[i].data, run.output.data, `${name} run ${i}`));
  });
});
