// Builds page.ts and runs it in headless Chromium: the CPU backend's LSTM row against ONNX Runtime
// Web's wasm provider in one page (see page.ts). Needs bench/.cache/lstm/model.onnx, which
// `npm run bench -- --models lstm …` writes. From the repository root:
//   node bench/lab/recurrent/page.mjs [rounds, default 300] [--cold]
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import puppeteer from 'puppeteer';
import { build } from 'vite';

const OUT = 'node_modules/.lab-page';
const rounds = Number(process.argv.find((a) => /^\d+$/.test(a)) ?? 300);
const cold = process.argv.includes('--cold');
await build({
  configFile: false,
  logLevel: 'warn',
  build: { lib: { entry: 'bench/lab/recurrent/page.ts', formats: ['es'], fileName: () => 'page.js' }, outDir: OUT, emptyOutDir: true, target: 'es2022' },
});
const server = http.createServer(async (req, res) => {
  const rel = new URL(req.url ?? '/', 'http://x').pathname;
  if (rel === '/') return res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>lstm page lab</title>');
  const file = rel.startsWith('/node_modules/onnxruntime-web/dist/') ? `.${rel}` : rel === '/model.onnx' ? 'bench/.cache/lstm/model.onnx' : path.join(OUT, path.basename(rel));
  const body = await readFile(file).catch(() => null);
  const type = rel.endsWith('.wasm') ? 'application/wasm' : rel.endsWith('.onnx') ? 'application/octet-stream' : 'text/javascript';
  if (body) res.writeHead(200, { 'content-type': type }).end(body);
  else res.writeHead(404).end();
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const browser = await puppeteer.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  protocolTimeout: 0,
});
try {
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  console.log(await page.evaluate(async (rounds, cold) => (await import('/page.js')).compare(rounds, cold), rounds, cold));
} finally {
  await browser.close();
  server.close();
}
