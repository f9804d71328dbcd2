// What the error scopes cost a compiled run: inferences per second (upload, run, read back) of
// LeNet batch 1 and a one-ReLU round trip, and eager ops per second, with and without the scopes
// (scripts/error-scopes/).
//   node scripts/bench-error-scopes.mjs [--browser] [--seconds 2]
// Node: Dawn (the `webgpu` package) on whatever adapter it finds (SwiftShader on a machine without
// a GPU); --browser: headless Chromium's navigator.gpu. Reads the built library (npm run build).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const seconds = Number(option('seconds', 2));

// CPU time is measured in Node only (NaN in the page, null once it has come through JSON).
const known = (v) => typeof v === 'number' && !Number.isNaN(v);
const print = (where, { callMicrosPerPair, callCpuMicrosPerPair, answeredMicrosPerPair, results }) => {
  const cpu = !known(callCpuMicrosPerPair) ? '' : ` (${callCpuMicrosPerPair.toFixed(1)} µs of CPU time)`;
  console.log(
    `${where}: one pair of error scopes (push, push, pop, pop) costs ${callMicrosPerPair.toFixed(1)} µs of calls${cpu}, ${answeredMicrosPerPair.toFixed(1)} µs until answered (2,000 in a row)`,
  );
  for (const r of results) {
    console.log(
      `${where}, ${r.model}: ${r.withScopes.toFixed(0)} ${r.unit} with the error scopes, ${r.withoutScopes.toFixed(0)} without (${r.costPercent.toFixed(1)}% cost)` +
        (!known(r.cpuMicrosWith) ? '' : `; CPU time per call ${r.cpuMicrosWith.toFixed(0)} µs with, ${r.cpuMicrosWithout.toFixed(0)} µs without`),
    );
  }
};

if (args.includes('--browser')) {
  const { default: puppeteer } = await import('puppeteer');
  const { CHROMIUM_ARGS, serveRoot } = await import('./static-server.mjs');
  const server = await serveRoot(root);
  const browser = await puppeteer.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}/scripts/error-scopes/page.html?seconds=${seconds}`);
    await page.waitForFunction('window.result !== undefined', { timeout: 600_000, polling: 1000 });
    const result = await page.evaluate('window.result');
    if (result.error) throw new Error(result.error);
    print(`headless Chromium, WebGPU (${result.adapter})`, result);
  } finally {
    await browser.close();
    server.close();
  }
} else {
  const nn = await import('../dist/webgpu-nn.js');
  const { measureErrorScopes } = await import('./error-scopes/measure.js');
  const { create } = await import('webgpu');
  const gpu = create([]);
  const backend = await nn.createBackend('webgpu', { gpu });
  const info = backend.device.adapterInfo;
  print(`Node (Dawn), WebGPU (${info?.description || info?.vendor || 'adapter'})`, await measureErrorScopes(nn, backend, { seconds }));
  backend.dispose();
}
