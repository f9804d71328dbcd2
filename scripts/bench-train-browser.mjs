// npm run bench:train:browser — LeNet training throughput in headless Chromium (bench/train/):
// WebGPU (navigator.gpu, whatever adapter Chromium finds) and the CPU backend in the same page.
//   node scripts/bench-train-browser.mjs [--steps 20] [--batch 64]
// Reads the built library (dist/).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer';
import { CHROMIUM_ARGS, serveRoot } from './static-server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const server = await serveRoot(root);
const browser = await puppeteer.launch({
  protocolTimeout: 900_000, // the page's main thread is busy for seconds at a time while the CPU backend trains
  executablePath: '/usr/bin/chromium',
  args: CHROMIUM_ARGS,
});
try {
  const page = await browser.newPage();
  await page.goto(`${server.url}/bench/train/train.html?steps=${option('steps', 20)}&batch=${option('batch', 64)}`);
  await page.waitForFunction('window.result !== undefined', { timeout: 600_000, polling: 1000 });
  const result = await page.evaluate('window.result');
  if (result.error) throw new Error(result.error);
  for (const r of result.results) {
    const where = r.backend === 'webgpu' ? `WebGPU (${result.adapter})` : 'the CPU backend';
    console.log(`headless Chromium, LeNet training, batch ${result.batch}, ${result.steps} steps on ${where}: ${r.imagesPerSecond.toFixed(0)} images/s (${r.msPerStep.toFixed(1)} ms per step)`);
  }
} finally {
  await browser.close();
  server.close();
}
