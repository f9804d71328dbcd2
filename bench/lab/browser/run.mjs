// Runs a kernel lab built by vite.config.ts in headless Chromium and prints its console:
//   LAB=matmul npx vite build -c bench/lab/browser/vite.config.ts
//   node bench/lab/browser/run.mjs matmul --cases sq1024 --variants 00-shipped,…
// The lab's arguments are passed through; the run ends when the lab prints its table (or fails).
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import puppeteer from 'puppeteer';

const [lab, ...argv] = process.argv.slice(2);
const root = path.resolve('bench/lab/browser/dist', lab);
const server = http.createServer(async (req, res) => {
  const rel = new URL(req.url ?? '/', 'http://x').pathname;
  if (rel === '/') {
    res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>lab</title>');
    return;
  }
  const body = await readFile(path.join(root, path.basename(rel))).catch(() => null);
  if (body) res.writeHead(200, { 'content-type': 'text/javascript' }).end(body);
  else res.writeHead(404).end();
});
/** utime + stime of the GPU process among the browser's descendants, in ms (Linux /proc). */
async function gpuProcessCpuMs(browserPid) {
  const { readdir } = await import('node:fs/promises');
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '');
    if (!cmd.includes('--type=gpu-process')) continue;
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[1] is the parent pid; 11 and 12 are utime and stime in clock ticks (100 per second).
    if (Number(fields[1]) !== browserPid && !(await isDescendant(Number(fields[1]), browserPid))) continue;
    return (Number(fields[11]) + Number(fields[12])) * 10;
  }
  throw new Error('no GPU process found');
}

async function isDescendant(pid, ancestor) {
  for (let p = pid; p > 1; ) {
    if (p === ancestor) return true;
    const stat = await readFile(`/proc/${p}/stat`, 'utf8').catch(() => null);
    if (!stat) return false;
    p = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return false;
}

await new Promise((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${server.address().port}/`;
const browser = await puppeteer.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--headless=new', '--no-sandbox', '--enable-unsafe-webgpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  protocolTimeout: 0,
});
let code = 0;
try {
  const page = await browser.newPage();
  page.on('console', (m) => console.log(m.text()));
  // --cpu-time: the lab's clock is the CPU time of Chromium's GPU process (where SwiftShader runs).
  await page.exposeFunction('labCpuMs', () => gpuProcessCpuMs(browser.process().pid));
  await page.goto(url);
  code = await page.evaluate(async (argv) => {
    globalThis.labArgv = ['node', 'lab.js', ...argv];
    return await new Promise((resolve) => {
      globalThis.labExit = (c) => resolve(c);
      const log = console.log;
      console.log = (...a) => {
        log(...a);
        if (String(a[0]).startsWith('\n|')) resolve(0);
      };
      import('/lab.js').catch((e) => (console.error(String(e)), resolve(1)));
    });
  }, argv);
} finally {
  await browser.close();
  server.close();
}
process.exit(code);
