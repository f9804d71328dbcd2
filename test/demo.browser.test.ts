// The draw-a-digit demo end to end in headless Chromium: the page is built by Vite, served
// from 127.0.0.1, and drawn on with the mouse along hand-made stroke paths (not MNIST
// images). On WebGPU and on the CPU path (navigator.gpu removed before the page's scripts run),
// and through a lost GPU device (the test destroys the page's device, caught by wrapping
// GPUAdapter.prototype.requestDevice before the page loads: the page itself has no test hook).
// With SCREENSHOTS=1 it also writes the README's screenshots into docs/.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGIT_STROKES, strokePath } from './browser/digitStrokes';
import { CHROMIUM_ARGS, serveDirectory } from './browser/server';

const repo = path.resolve(__dirname, '..');
const SCREENSHOTS = process.env.SCREENSHOTS === '1';
/** Per test: a page, ten drawn digits (or a short training run) on a software adapter, on a busy 2-core machine. */
const TIMEOUT = 300_000;

let browser: Browser;
let server: Awaited<ReturnType<typeof serveDirectory>>;
let outDir: string;

beforeAll(async () => {
  outDir = await mkdtemp(path.join(os.tmpdir(), 'webgpu-nn-demo-'));
  await build({ root: path.join(repo, 'demo'), configFile: false, logLevel: 'warn', build: { outDir, emptyOutDir: true, target: 'es2022' } });
  server = await serveDirectory(outDir);
  browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS, protocolTimeout: TIMEOUT });
});

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

const byTestId = (id: string) => `[data-testid="${id}"]`;

/** What the device-loss test adds to the page before its scripts run: every device it requests, and a switch that hides the adapter. */
interface DeviceSpy {
  __devices: GPUDevice[];
  __noAdapter: boolean;
}

async function openDemo(options: { withoutWebGpu?: boolean; width?: number; spyOnDevices?: boolean } = {}): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  await page.setViewport({ width: options.width ?? 1200, height: 900 });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
  if (options.withoutWebGpu) {
    await page.evaluateOnNewDocument(() => {
      delete (Navigator.prototype as { gpu?: unknown }).gpu;
    });
  }
  if (options.spyOnDevices) {
    await page.evaluateOnNewDocument(() => {
      const spy = window as unknown as DeviceSpy;
      spy.__devices = [];
      spy.__noAdapter = false;
      const requestDevice = GPUAdapter.prototype.requestDevice;
      GPUAdapter.prototype.requestDevice = async function (this: GPUAdapter, descriptor?: GPUDeviceDescriptor) {
        const device = await requestDevice.call(this, descriptor);
        spy.__devices.push(device);
        return device;
      };
      const requestAdapter = GPU.prototype.requestAdapter;
      GPU.prototype.requestAdapter = function (this: GPU, adapterOptions?: GPURequestAdapterOptions) {
        return spy.__noAdapter ? Promise.resolve(null) : requestAdapter.call(this, adapterOptions);
      };
    });
  }
  await page.goto(`${server.url}/index.html`, { waitUntil: 'domcontentloaded', timeout: 120_000 });
  await page.waitForFunction((sel) => document.querySelector(sel)!.textContent !== '', { timeout: 120_000 }, byTestId('backend'));
  return { page, errors };
}

/** Draws the digit's strokes with the mouse (or a finger) and waits for the page's inference to settle. */
async function drawDigit(page: Page, digit: number, input: 'mouse' | 'touch' = 'mouse'): Promise<void> {
  await page.click(byTestId('clear'));
  const box = (await (await page.$(byTestId('pad')))!.boundingBox())!;
  for (const stroke of DIGIT_STROKES[digit]) {
    const [first, ...rest] = strokePath(stroke).map(([x, y]) => [box.x + x * box.width, box.y + y * box.height] as const);
    if (input === 'mouse') {
      await page.mouse.move(...first);
      await page.mouse.down();
      for (const p of rest) await page.mouse.move(...p);
      await page.mouse.up();
    } else {
      await page.touchscreen.touchStart(...first);
      for (const p of rest) await page.touchscreen.touchMove(...p);
      await page.touchscreen.touchEnd();
    }
  }
  await page.waitForFunction(() => document.body.dataset.inference === 'idle', { timeout: 30_000 });
}

/** When the page became ready, and its stages (performance marks), in ms after navigation. */
async function readyTimes(page: Page): Promise<string> {
  return page.evaluate(() => {
    const marks = performance.getEntriesByType('mark').map((m) => `${m.name.replace('demo:', '')} ${m.startTime.toFixed(0)}`);
    return `ready ${document.body.dataset.readyMs} ms after navigation (${marks.join(', ')})`;
  });
}

async function text(page: Page, id: string): Promise<string> {
  return page.$eval(byTestId(id), (el) => el.textContent ?? '');
}

/** Draws 0–9, returns what the page predicted for each. */
async function classifyDigits(page: Page): Promise<string[]> {
  const predicted: string[] = [];
  for (let d = 0; d < 10; d++) {
    await drawDigit(page, d);
    predicted.push((await text(page, 'prediction')).charAt(0));
  }
  return predicted;
}

async function checkPage(page: Page): Promise<void> {
  // Ten bars, the probabilities summing to 1; the feature maps drawn; a time shown.
  const probabilities = await page.$$eval(`${byTestId('probabilities')} .bar`, (bars) => bars.map((b) => Number((b as HTMLElement).dataset.p)));
  expect(probabilities).toHaveLength(10);
  expect(probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 2);
  expect(await page.$$eval(`${byTestId('feature-maps')} .maps-of-layer canvas`, (c) => c.length)).toBe(6 + 16);
  expect(await text(page, 'inference-time')).toMatch(/^\d+(\.\d+)? ms/);
  expect(await page.$eval(byTestId('progress'), (el) => (el as HTMLElement).hidden)).toBe(true);
  // The 28×28 input has ink, centred: its centre of mass within a pixel of (14, 14).
  const centre = await page.$eval(byTestId('input'), (c) => {
    const { data } = (c as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 28, 28);
    let m = 0;
    let x = 0;
    let y = 0;
    for (let i = 0; i < 784; i++) {
      const v = data[i * 4];
      m += v;
      x += v * ((i % 28) + 0.5);
      y += v * (Math.floor(i / 28) + 0.5);
    }
    return [x / m, y / m];
  });
  expect(Math.abs(centre[0] - 14)).toBeLessThan(1);
  expect(Math.abs(centre[1] - 14)).toBeLessThan(1);
}

describe('draw-a-digit demo (headless Chromium)', () => {
  it('classifies hand-drawn 0–9 on WebGPU', async () => {
    const { page, errors } = await openDemo();
    expect(await text(page, 'backend')).toMatch(/^WebGPU/);
    console.log(`WebGPU: ${await readyTimes(page)}`);
    const predicted = await classifyDigits(page);
    console.log(`WebGPU predictions for 0–9: ${predicted.join(' ')}; ${await text(page, 'inference-time')}`);
    await checkPage(page);
    if (SCREENSHOTS) {
      await drawDigit(page, 3);
      await page.click(byTestId('students'));
      await page.screenshot({ path: path.join(repo, 'docs/demo-draw.png'), fullPage: true });
    }
    expect(predicted.filter((p, d) => p === String(d)).length).toBeGreaterThanOrEqual(9);
    expect(errors).toEqual([]);
    await page.close();
  }, TIMEOUT);

  // On the CPU path: a training step on the software WebGPU adapter here is slower than on the CPU
  // (train-core's tests run LeNet steps on WebGPU); the page's code is the same for both backends.
  it('trains a fresh LeNet in the page on the CPU: the loss falls, the page draws against it, then goes back to the shipped model', async () => {
    const { page, errors } = await openDemo({ withoutWebGpu: true });
    // A few steps in the test; the README's screenshot shows a longer run.
    const steps = SCREENSHOTS ? '100' : '20';
    await page.select(byTestId('train-steps'), steps);
    await page.click(byTestId('train'));
    const done = (sel: string) => ['done', 'failed'].includes(document.querySelector<HTMLElement>(sel)!.dataset.state ?? '');
    await page.waitForFunction(done, { timeout: TIMEOUT, polling: 500 }, byTestId('train-card'));
    const card = await page.$eval(byTestId('train-card'), (el) => ({ ...(el as HTMLElement).dataset }));
    const stats = await Promise.all(['train-step', 'train-loss', 'train-accuracy', 'train-speed', 'train-heldout'].map((id) => text(page, id)));
    console.log(`in-page training on the CPU: ${stats.join(' | ')}; mean loss of the first 10 steps ${card.firstLoss}, of the last 10 ${card.lastLoss}`);
    expect(card.state).toBe('done');
    expect(await text(page, 'train-backend')).toBe('on the CPU');
    expect(Number(card.lastLoss)).toBeLessThan(0.8 * Number(card.firstLoss));
    expect(stats[4]).toMatch(/^\d+(\.\d)?%$/);
    // The page now classifies with the model trained here…
    expect(await text(page, 'model-name')).toBe(`your model · ${steps} steps`);
    await drawDigit(page, 7);
    expect(await text(page, 'prediction')).toMatch(/^\d/);
    if (SCREENSHOTS) await (await page.$(byTestId('train-card')))!.screenshot({ path: path.join(repo, 'docs/demo-train.png') });
    // …and goes back to the shipped one.
    await page.click(byTestId('use-model'));
    expect(await text(page, 'model-name')).toBe('shipped weights');
    expect(errors).toEqual([]);
    await page.close();
  }, TIMEOUT);

  it('recovers from a lost GPU device by itself: says so, stops the training run with a message, and predicts on a new WebGPU device, then on the CPU when no adapter is left', async () => {
    const { page, errors } = await openDemo({ spyOnDevices: true });
    expect(await text(page, 'backend')).toMatch(/^WebGPU/);
    await drawDigit(page, 3);
    expect(await text(page, 'prediction')).toBe('3');
    // A training run in progress when the device goes.
    await page.select(byTestId('train-steps'), '3000');
    await page.click(byTestId('train'));
    const started = Date.now();
    await page.waitForFunction((sel) => /^\d/.test(document.querySelector(sel)!.textContent ?? ''), { timeout: TIMEOUT, polling: 200 }, byTestId('train-step'));
    const stepAtLoss = await text(page, 'train-step');
    const lostAt = Date.now();
    const destroyLatest = () => page.evaluate(() => (window as unknown as DeviceSpy).__devices.at(-1)!.destroy());
    const recovered = (n: number) =>
      page.waitForFunction((count) => document.body.dataset.recoveries === String(count), { timeout: 120_000, polling: 200 }, n);

    await destroyLatest();
    await recovered(1);
    console.log(`device destroyed at training step ${stepAtLoss} (${((lostAt - started) / 1000).toFixed(0)} s after Train); the page recovered ${((Date.now() - lostAt) / 1000).toFixed(1)} s later`);
    expect(await text(page, 'notice')).toMatch(/^The GPU device was lost \(destroyed.*Recovered on a new WebGPU device/);
    expect(await text(page, 'backend')).toMatch(/^WebGPU/);
    expect(await page.evaluate(() => (window as unknown as DeviceSpy).__devices.length)).toBe(2);
    expect(await page.$eval(byTestId('train-card'), (el) => (el as HTMLElement).dataset.state)).toBe('stopped');
    expect(await text(page, 'train-step')).toBe('stopped: the GPU device was lost');
    expect(await page.$eval(byTestId('train'), (b) => (b as HTMLButtonElement).disabled)).toBe(false);
    expect(await text(page, 'model-name')).toBe('shipped weights');
    // The drawing on the pad is classified again on the new device, and new drawings too.
    expect(await text(page, 'prediction')).toBe('3');
    const predicted = await classifyDigits(page);
    console.log(`after recovering on a new WebGPU device, predictions for 0–9: ${predicted.join(' ')}`);
    expect(predicted.filter((p, d) => p === String(d)).length).toBeGreaterThanOrEqual(9);
    await checkPage(page);

    // Lost again, and no adapter left: the CPU, with the reason shown.
    await page.evaluate(() => ((window as unknown as DeviceSpy).__noAdapter = true));
    await destroyLatest();
    await recovered(2);
    expect(await text(page, 'backend')).toMatch(/^CPU · WebGPU unavailable: .+/);
    expect(await text(page, 'notice')).toMatch(/Recovered on CPU · WebGPU unavailable: .+carry on drawing/);
    await drawDigit(page, 7);
    expect(await text(page, 'prediction')).toBe('7');
    expect(errors).toEqual([]);
    await page.close();
  }, TIMEOUT);

  it('classifies hand-drawn 0–9 on the CPU path when navigator.gpu is missing, on a 360 px wide screen', async () => {
    const { page, errors } = await openDemo({ withoutWebGpu: true, width: 360 });
    expect(await text(page, 'backend')).toMatch(/^CPU .*navigator\.gpu is missing/);
    console.log(`CPU: ${await readyTimes(page)}`);
    // Nothing sticks out of a phone-sized screen.
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
    const predicted = await classifyDigits(page);
    console.log(`CPU predictions for 0–9: ${predicted.join(' ')}; ${await text(page, 'inference-time')}`);
    await checkPage(page);
    // A finger draws as well as the mouse, and the page does not scroll under it.
    const scrollBefore = await page.evaluate(() => window.scrollY);
    await drawDigit(page, 7, 'touch');
    expect(await text(page, 'prediction')).toMatch(/^7/);
    expect(await page.evaluate(() => window.scrollY)).toBe(scrollBefore);
    if (SCREENSHOTS) await page.screenshot({ path: path.join(repo, 'docs/demo-phone.png'), fullPage: true });
    expect(predicted.filter((p, d) => p === String(d)).length).toBeGreaterThanOrEqual(9);
    expect(errors).toEqual([]);
    await page.close();
  }, TIMEOUT);
});
