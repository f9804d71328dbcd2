// npm run bench: the same models, seeded weights and inputs in webgpu-nn (WebGPU, CPU),
// TensorFlow.js (WebGPU, CPU), ONNX Runtime Web (native WebGPU EP, JSEP, wasm) and LiteRT.js
// (WebGPU fp32, wasm), each in its own headless Chromium (fresh per model), timed in
// interleaved rounds; every output checked against a float64 reference. Flags:
//   --models a,b   models by key (default: all but those behind --full)
//   --libs a,b     libraries (webgpu-nn, tfjs, onnxruntime-web or ort, litert) or library/backend
//   --runs N       warm runs per library (default per model)
//   --full         add the full-size models (vgg11 at 224)
//   --node         webgpu-nn only, in Node through Dawn (the `webgpu` package): no browser
//   --budget S     stop timing a library on a model after S seconds of warm runs, never before
//                  its third (default 30)
//   --jobs N       libraries set up (browser, init, first inference) at once, per model (default 4);
//                  warm runs are always one at a time, in interleaved rounds
//   --timeout S    a library's step (init, first inference, one warm run) that takes longer fails
//                  its row with a timeout and its browser is killed (default 600)
//   --out DIR      where results go (default bench/results); written after every model
//   --merge a,b    writes one result set from several results JSON files (runs made side by side)
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import puppeteer, { type Browser, type Page } from 'puppeteer';
import { CHROMIUM_ARGS, ISOLATION_HEADERS } from '../test/browser/server.js';
import { MODELS, type BenchModel } from './models.js';
import { prepareModel, type PreparedModel } from './prepare.js';
import { ortPlacement } from './placement.js';
import { checkOutput } from './reference.js';
import { median, ratiosOf, variantName, writeResults, type BenchResults, type LibBackend, type Library, type Row } from './report.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const CACHE = path.join(ROOT, 'bench/.cache');

export interface Variant {
  library: Library;
  backend: LibBackend;
  /** The page entry in bench/dist/pages. */
  adapter: string;
  /** What the adapter is asked for. */
  arg: string;
  /** The page is served cross-origin isolated (COOP/COEP headers): SharedArrayBuffer, wasm threads. */
  isolated?: true;
}

export const VARIANTS: readonly Variant[] = [
  { library: 'webgpu-nn', backend: 'webgpu', adapter: 'webgpu-nn', arg: 'webgpu' },
  { library: 'webgpu-nn', backend: 'cpu', adapter: 'webgpu-nn', arg: 'cpu' },
  { library: 'webgpu-nn', backend: 'cpu-threads', adapter: 'webgpu-nn', arg: 'cpu-threads', isolated: true },
  { library: 'tfjs', backend: 'webgpu', adapter: 'tfjs-webgpu', arg: 'webgpu' },
  { library: 'tfjs', backend: 'cpu', adapter: 'tfjs-cpu', arg: 'cpu' },
  { library: 'onnxruntime-web', backend: 'webgpu', adapter: 'ort-webgpu', arg: 'webgpu' },
  { library: 'onnxruntime-web', backend: 'jsep', adapter: 'ort-jsep', arg: 'jsep' },
  { library: 'onnxruntime-web', backend: 'wasm', adapter: 'ort-wasm', arg: 'wasm' },
  { library: 'onnxruntime-web', backend: 'wasm-threads', adapter: 'ort-wasm', arg: 'wasm-threads', isolated: true },
  { library: 'litert', backend: 'webgpu', adapter: 'litert', arg: 'webgpu' },
  { library: 'litert', backend: 'wasm', adapter: 'litert', arg: 'wasm' },
];

interface Options {
  models: BenchModel[];
  variants: Variant[];
  runs: number | null;
  node: boolean;
  budgetS: number;
  jobs: number;
  timeoutS: number;
  out: string;
}

/** Warm runs a library gets on a model before the time budget may stop it. */
const MIN_RUNS = 3;

function parseArgs(argv: string[]): Options {
  const value = (flag: string) => {
    const i = argv.indexOf(flag);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`bench: ${flag} needs a value`);
    return v;
  };
  const known = new Set(['--models', '--libs', '--runs', '--full', '--node', '--budget', '--jobs', '--timeout', '--out', '--merge']);
  for (const a of argv) if (a.startsWith('--') && !known.has(a)) throw new Error(`bench: unknown flag ${a} (flags: ${[...known].join(' ')})`);
  const full = argv.includes('--full');
  const modelKeys = value('--models')?.split(',');
  for (const k of modelKeys ?? []) if (!MODELS.some((m) => m.key === k)) throw new Error(`bench: no model '${k}'; the models are ${MODELS.map((m) => m.key).join(', ')}`);
  const models = modelKeys ? MODELS.filter((m) => modelKeys.includes(m.key)) : MODELS.filter((m) => full || !m.full);
  const libs = value('--libs')?.split(',').map((l) => l.replace(/^ort\b/, 'onnxruntime-web'));
  const variants = libs ? VARIANTS.filter((v) => libs.includes(v.library) || libs.includes(variantName(v))) : [...VARIANTS];
  if (variants.length === 0) throw new Error(`bench: --libs ${libs!.join(',')} names none of ${VARIANTS.map(variantName).join(', ')}`);
  const runsFlag = value('--runs');
  const runs = runsFlag === undefined ? null : Number(runsFlag);
  if (runs !== null && !(Number.isInteger(runs) && runs >= 1)) throw new Error(`bench: --runs must be a positive integer, got ${runsFlag}`);
  const positive = (flag: string, fallback: number, integer = false) => {
    const v = Number(value(flag) ?? fallback);
    if (!(v > 0) || (integer && !Number.isInteger(v))) throw new Error(`bench: ${flag} must be a positive ${integer ? 'integer' : 'number'}, got ${value(flag)}`);
    return v;
  };
  return {
    models,
    variants,
    runs,
    node: argv.includes('--node'),
    budgetS: positive('--budget', 30),
    jobs: positive('--jobs', 4, true),
    timeoutS: positive('--timeout', 600),
    out: path.resolve(value('--out') ?? path.join(ROOT, 'bench/results')),
  };
}

const log = (line: string) => console.log(line);

/** `work`, or a rejection naming `what` once `seconds` have passed (then `onTimeout` cleans up). */
async function withTimeout<T>(work: Promise<T>, seconds: number, what: string, onTimeout: () => Promise<void>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    // Rejects before cleaning up, so that the row names the timeout, not the closed page it causes.
    timer = setTimeout(() => {
      reject(new Error(`${what} timed out after ${seconds} s (--timeout)`));
      void onTimeout();
    }, seconds * 1000);
  });
  try {
    return await Promise.race([work, timedOut]);
  } finally {
    clearTimeout(timer);
  }
}

/** Runs `task` on every item, at most `jobs` at a time. */
async function inPool<T>(items: readonly T[], jobs: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await task(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, worker));
}

// ---- the static server: the repository root on 127.0.0.1 (a secure context for navigator.gpu)

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.html': 'text/html',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

async function serveRoot(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rel = decodeURIComponent(url.pathname);
    const file = path.join(ROOT, rel);
    if (!file.startsWith(ROOT + path.sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    // A page is cross-origin isolated when its document carries COOP and COEP (`&isolated` in its
    // URL: the threaded variants); scripts and workers carry them always, as workers of an
    // isolated page must be isolated themselves, and they change nothing for other pages.
    const document = path.extname(file) === '.html';
    const isolation = !document || url.searchParams.has('isolated') ? ISOLATION_HEADERS : {};
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store', ...isolation }).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

// ---- bytes a page downloads: JS (minified files, gzip -9) and wasm (raw and gzip)

const gzipCache = new Map<string, number>();
function gzipSize(file: string): number {
  let n = gzipCache.get(file);
  if (n === undefined) {
    n = gzipSync(readFileSync(file), { level: 9 }).length;
    gzipCache.set(file, n);
  }
  return n;
}

function downloadSizes(urls: Iterable<string>): { jsGzipBytes: number; wasmBytes: number; wasmGzipBytes: number } {
  let jsGzipBytes = 0;
  let wasmBytes = 0;
  let wasmGzipBytes = 0;
  for (const u of new Set(urls)) {
    const rel = decodeURIComponent(new URL(u).pathname);
    // The page's own harness and the model's files are the same for every library.
    if (!rel.startsWith('/node_modules/') && !rel.startsWith('/bench/dist/pages/')) continue;
    if (/\/chunks\/(harness|rolldown-runtime)-/.test(rel)) continue;
    const file = path.join(ROOT, rel);
    if (!existsSync(file)) continue;
    if (rel.endsWith('.wasm')) {
      wasmBytes += statSync(file).size;
      wasmGzipBytes += gzipSize(file);
    } else if (rel.endsWith('.js') || rel.endsWith('.mjs')) jsGzipBytes += gzipSize(file);
  }
  return { jsGzipBytes, wasmBytes, wasmGzipBytes };
}

// ---- one page per library

/** Counts the live bytes of GPU buffers the page creates (runs before any of its scripts). */
const GPU_COUNTER = `(() => {
  if (typeof GPUDevice === 'undefined') return;
  const live = new Map();
  let bytes = 0;
  window.__gpuBytes = () => bytes;
  const create = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (d) {
    const b = create.call(this, d);
    live.set(b, d.size);
    bytes += d.size;
    return b;
  };
  const destroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function () {
    if (live.has(this)) { bytes -= live.get(this); live.delete(this); }
    return destroy.call(this);
  };
})();`;

interface InitResult {
  initMs: number;
  info: { backend: string; fallbacks?: string[]; notes?: string[] };
  gpuBytesInit: number;
}

interface Lane {
  variant: Variant;
  row: Row;
  page?: Page;
  browser?: Browser;
  console: string[];
  urls: string[];
  warmMs: number;
  done: boolean;
}

function emptyRow(v: Variant, model: string): Row {
  return { library: v.library, backend: v.backend, model, medianMs: null, firstMs: null, initMs: null, maxAbsErr: null, tolerance: null, ok: false, runs: 0, samples: [] };
}

function decodeOutput(b64: string): Float32Array {
  const b = Buffer.from(b64, 'base64');
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
}

function recordCheck(row: Row, out: Float32Array, ref: Float64Array) {
  const c = checkOutput(out, ref);
  row.maxAbsErr = Math.max(row.maxAbsErr ?? 0, c.maxAbsErr);
  row.tolerance = c.tolerance;
  row.ok = row.maxAbsErr <= c.tolerance;
}

async function runModelInChromium(model: BenchModel, prep: PreparedModel, opts: Options, url: string, adapterInfo: { value?: BenchResults['adapter']; browser?: string }): Promise<Row[]> {
  const tag = `[${model.key}]`;
  const lanes: Lane[] = opts.variants.map((variant) => ({ variant, row: emptyRow(variant, model.key), console: [], urls: [], warmMs: 0, done: false }));
  // One browser per library, each with a fresh profile: a crash (a GPU process lost to one
  // library's shader) costs that library's row only, and no library inherits another's caches.
  const browsers: { browser: Browser; dir: string }[] = [];
  const launch = async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'webgpu-nn-bench-'));
    const browser = await puppeteer.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: [...CHROMIUM_ARGS, '--disable-gpu-shader-disk-cache', '--disable-quic'],
      userDataDir: dir,
      protocolTimeout: 30 * 60_000,
      timeout: 180_000,
    });
    browsers.push({ browser, dir });
    adapterInfo.browser ??= await browser.version();
    return browser;
  };
  /** A step of one library, bounded by --timeout: past it the row fails and its browser is killed. */
  const step = <T>(lane: Lane, what: string, work: () => Promise<T>) =>
    withTimeout(work(), opts.timeoutS, what, async () => {
      const proc = lane.browser?.process();
      await Promise.race([lane.browser?.close(), new Promise((r) => setTimeout(r, 10_000))]).catch(() => {});
      proc?.kill('SIGKILL');
    });
  const setUp = async (lane: Lane) => {
    const { variant, row } = lane;
    const name = variantName(variant);
    try {
      const page = await step(lane, 'launch and page load', async () => {
        lane.browser = await launch();
        const page = await lane.browser.newPage();
        page.on('console', (m) => lane.console.push(m.text()));
        page.on('pageerror', (e) => lane.console.push(`pageerror: ${String(e)}`));
        page.on('requestfinished', (r) => lane.urls.push(r.url()));
        await page.evaluateOnNewDocument(GPU_COUNTER);
        const adapter = model.train && variant.library === 'webgpu-nn' ? 'webgpu-nn-train' : variant.adapter;
        await page.goto(`${url}/bench/pages/index.html?adapter=${adapter}${variant.isolated ? '&isolated' : ''}`, { timeout: 0 });
        const ready = await page.evaluate('window.benchReady');
        if (ready !== 'ok') throw new Error(String(ready));
        return page;
      });
      lane.page = page;
      if (!adapterInfo.value && variant.backend === 'webgpu') {
        adapterInfo.value = (await page.evaluate(`(async () => {
          const a = await navigator.gpu.requestAdapter();
          const i = a.info;
          return { vendor: i.vendor, architecture: i.architecture, description: i.description, device: i.device };
        })()`)) as BenchResults['adapter'];
      }
      const train = model.train ? { lr: model.train.lr } : undefined;
      const init = await step(lane, 'init', () =>
        page.evaluate((k: string, b: string, t: { lr: number } | undefined) => (window.bench as { init(k: string, b: string, t?: { lr: number }): Promise<unknown> }).init(k, b, t), model.key, variant.arg, train),
      ) as InitResult;
      row.initMs = init.initMs;
      row.ranOn = init.info.backend;
      row.gpuBytesInit = init.gpuBytesInit;
      if (init.info.fallbacks?.length) row.fallbacks = [...init.info.fallbacks];
      const first = await step(lane, 'the first run', () => page.evaluate(() => (window.bench as { run(): Promise<{ ms: number; gpuBytes: number }> }).run()));
      row.firstMs = first.ms;
      row.gpuBytesRun = first.gpuBytes;
      recordCheck(row, decodeOutput((await page.evaluate(() => (window.bench as { output(): string }).output())) as string), prep.reference);
      Object.assign(row, downloadSizes(lane.urls));
      log(`${tag} ${name}: init ${row.initMs.toFixed(0)} ms, first ${row.firstMs.toFixed(1)} ms, max |err| ${row.maxAbsErr!.toExponential(2)} ${row.ok ? 'ok' : `BEYOND ${row.tolerance!.toExponential(2)}`}, ran on ${row.ranOn}`);
    } catch (e) {
      row.error = e instanceof Error ? e.message : String(e);
      lane.done = true;
      log(`${tag} ${name}: FAILED ${row.error.split('\n')[0]}`);
      lane.page = undefined;
    }
  };
  try {
    for (const lane of lanes) {
      const { variant, row } = lane;
      if (model.train && variant.library !== 'webgpu-nn' && variant.library !== 'tfjs') {
        row.error = `not a training benchmark for ${variant.library}: ${variant.library === 'litert' ? 'LiteRT.js runs inference only' : "ORT Web's training API needs artifacts made by Python onnxruntime-training"}`;
      } else if (variant.library === 'litert' && !prep.tflite) {
        row.error = 'no .tflite file for these weights: run bench/tflite/convert.py (see bench/README.md)';
      } else continue;
      lane.done = true;
      log(`${tag} ${variantName(variant)}: skipped (${row.error})`);
    }
    // Set-up (browser, init, first run) of up to --jobs libraries at once: init and first-run
    // times are then measured beside each other's set-up, as beside the machine's other load.
    // The GPU lanes first: their shader compilation makes their set-up the longest.
    const gpuFirst = (l: Lane) => (l.variant.backend === 'webgpu' || l.variant.backend === 'jsep' ? 0 : 1);
    await inPool(
      lanes.filter((l) => !l.done).sort((x, y) => gpuFirst(x) - gpuFirst(y)),
      opts.jobs,
      setUp,
    );

    const runs = opts.runs ?? model.runs;
    const perSample = model.runsPerSample ?? 1;
    for (let round = 0; round < runs; round++) {
      const active = lanes.filter((l) => !l.done);
      if (active.length === 0) break;
      // Rotate the order each round so that no library always runs after the same one.
      const order = active.map((_, i) => active[(i + round) % active.length]);
      const parts: string[] = [];
      for (const lane of order) {
        try {
          await lane.page!.bringToFront();
          const r = await step(lane, `warm run ${round + 1}`, () =>
            lane.page!.evaluate((repeat: number) => (window.bench as { run(repeat: number): Promise<{ ms: number }> }).run(repeat), perSample),
          );
          lane.row.samples.push(r.ms);
          lane.warmMs += r.ms * perSample;
          parts.push(`${variantName(lane.variant)} ${r.ms.toFixed(1)}`);
          if (lane.warmMs > opts.budgetS * 1000 && lane.row.samples.length >= MIN_RUNS && round < runs - 1) {
            lane.done = true;
            parts.push(`(${variantName(lane.variant)} over the ${opts.budgetS} s budget: no more rounds)`);
          }
        } catch (e) {
          lane.row.error = e instanceof Error ? e.message : String(e);
          lane.done = true;
          parts.push(`${variantName(lane.variant)} FAILED (${lane.row.error.split('\n')[0]})`);
        }
      }
      log(`${tag} round ${round + 1}/${runs} (ms): ${parts.join(' · ')}`);
    }

    for (const lane of lanes) {
      const { row, page } = lane;
      if (!page || row.samples.length === 0 || row.error) continue;
      try {
        // A training run's later losses follow updated weights: only the first step has a reference.
        if (!model.train) recordCheck(row, decodeOutput((await page.evaluate(() => (window.bench as { output(): string }).output())) as string), prep.reference);
        if (lane.variant.library === 'onnxruntime-web') {
          lane.console.length = 0;
          await page.evaluate(() => (window.bench as { verify(): Promise<unknown> }).verify());
          if (process.env.BENCH_DEBUG) for (const line of lane.console) log(`${tag} ${variantName(lane.variant)} console: ${line}`);
          const placement = ortPlacement(lane.console);
          if (placement.providers.length) row.ranOn = `${row.ranOn} (${placement.providers.join(', ')})`;
          if (lane.variant.backend !== 'wasm' && lane.variant.backend !== 'wasm-threads' && placement.cpuNodes.length) row.fallbacks = [...(row.fallbacks ?? []), ...placement.cpuNodes];
        }
      } catch (e) {
        row.error = `after the runs: ${e instanceof Error ? e.message : String(e)}`;
      }
    }
  } finally {
    for (const { browser, dir } of browsers) {
      const proc = browser.process();
      await Promise.race([browser.close(), new Promise((r) => setTimeout(r, 10_000))]).catch(() => {});
      proc?.kill('SIGKILL');
      // A browser killed mid-launch may still be writing its profile: a folder left in the temp
      // directory is not worth failing the run for.
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 500 });
      } catch (e) {
        log(`${tag} could not remove ${dir}: ${e instanceof Error ? e.message : String(e)}`);
      }
    }
  }
  for (const { row } of lanes) {
    row.runs = row.samples.length;
    row.medianMs = row.samples.length ? median(row.samples) : null;
    if (model.key === 'matmul1024' && row.medianMs) row.gflops = (2 * 1024 ** 3) / (row.medianMs * 1e6);
    if (model.train && row.medianMs) row.imagesPerSecond = model.batch / (row.medianMs / 1000);
  }
  return lanes.map((l) => l.row);
}

/** --node: our two backends in Node, WebGPU through Dawn (the `webgpu` package). */
async function runModelInNode(model: BenchModel, prep: PreparedModel, opts: Options, adapterInfo: { value?: BenchResults['adapter'] }): Promise<Row[]> {
  const { create } = await import('webgpu');
  const { createModelAdapter } = await import('./pages/webgpu-nn-adapter.js');
  const { createTrainingAdapter } = await import('./pages/webgpu-nn-train-adapter.js');
  const gpu = create([]) as GPU;
  if (!adapterInfo.value) {
    const a = await gpu.requestAdapter();
    if (!a) throw new Error('bench --node: Dawn found no WebGPU adapter');
    adapterInfo.value = { vendor: a.info.vendor, architecture: a.info.architecture, description: a.info.description, device: a.info.device };
  }
  const files = {
    key: model.key,
    graph: prep.graph,
    params: prep.params,
    input: prep.input,
    bytes: async (f: string) => new Uint8Array(readFileSync(path.join(prep.dir, f))),
    training: model.train && prep.targets ? { lr: model.train.lr, targets: prep.targets } : undefined,
  };
  const rows: Row[] = [];
  for (const variant of opts.variants.filter((v) => v.library === 'webgpu-nn')) {
    const row = emptyRow(variant, model.key);
    rows.push(row);
    try {
      const adapter = model.train ? createTrainingAdapter(variant.backend === 'webgpu' ? 'webgpu' : 'cpu', { gpu }) : createModelAdapter(variant.backend === 'webgpu' ? 'webgpu' : variant.backend === 'cpu-threads' ? 'cpu-threads' : 'cpu', { gpu });
      let t0 = performance.now();
      row.ranOn = (await adapter.init(files)).backend;
      row.initMs = performance.now() - t0;
      t0 = performance.now();
      recordCheck(row, await adapter.run(prep.input), prep.reference);
      row.firstMs = performance.now() - t0;
      let out: Float32Array = new Float32Array(0);
      for (let r = 0; r < (opts.runs ?? model.runs); r++) {
        const perSample = model.runsPerSample ?? 1;
        t0 = performance.now();
        for (let i = 0; i < perSample; i++) out = await adapter.run(prep.input);
        row.samples.push((performance.now() - t0) / perSample);
      }
      if (!model.train) recordCheck(row, out, prep.reference);
      row.runs = row.samples.length;
      row.medianMs = median(row.samples);
      if (model.key === 'matmul1024') row.gflops = (2 * 1024 ** 3) / (row.medianMs * 1e6);
      if (model.train) row.imagesPerSecond = model.batch / (row.medianMs / 1000);
      log(`[${model.key}] ${variantName(variant)} (node): init ${row.initMs.toFixed(0)} ms, first ${row.firstMs.toFixed(1)} ms, median ${row.medianMs.toFixed(2)} ms, max |err| ${row.maxAbsErr!.toExponential(2)} ${row.ok ? 'ok' : 'BEYOND'}`);
    } catch (e) {
      row.error = e instanceof Error ? e.message : String(e);
      log(`[${model.key}] ${variantName(variant)} (node): FAILED ${row.error}`);
    }
  }
  return rows;
}

/**
 * Starts bench/tflite/convert.py (BENCH_PYTHON: a Python with TensorFlow) in the background on
 * every model folder without a current .tflite file, one process for all (TensorFlow is imported
 * once), while the runner times the models before. The returned function waits for one model's file.
 */
function convertInBackground(preps: readonly PreparedModel[], keyOf: (p: PreparedModel) => string): { ready: (p: PreparedModel) => Promise<PreparedModel>; stop: () => void } {
  const python = process.env.BENCH_PYTHON;
  const todo = preps.filter((p) => !p.tflite && !p.targets);
  if (!python || todo.length === 0) return { ready: async (p) => p, stop: () => {} };
  log(`converting ${todo.map(keyOf).join(', ')} to .tflite in the background: ${python} bench/tflite/convert.py`);
  let exited = false;
  let failure = '';
  const child = execFile(python, [path.join(ROOT, 'bench/tflite/convert.py'), ...todo.map((p) => p.dir)], { maxBuffer: 64 << 20 }, (err) => {
    exited = true;
    if (err) failure = err.message.split('\n')[0];
  });
  child.stderr?.on('data', (d: Buffer) => process.stderr.write(d));
  const current = (p: PreparedModel) => {
    const f = path.join(p.dir, 'model.tflite.hash');
    return existsSync(f) && readFileSync(f, 'utf8').trim() === p.hash;
  };
  return {
    async ready(p) {
      if (!todo.includes(p)) return p;
      while (!current(p) && !exited) await new Promise((r) => setTimeout(r, 2000));
      if (current(p)) return { ...p, tflite: true };
      log(`[${keyOf(p)}] .tflite conversion failed${failure ? `: ${failure}` : ''}`);
      return p;
    },
    stop: () => {
      if (!exited) child.kill();
    },
  };
}

/**
 * Results of several runs (JSON files) as one. Each model comes whole from the first file that has
 * it, so every ratio still compares libraries timed in the same rounds; models keep the benchmark's order.
 */
function mergeResults(files: string[]): BenchResults {
  const parts = files.map((f) => JSON.parse(readFileSync(f, 'utf8')) as BenchResults);
  const order = (key: string) => MODELS.findIndex((m) => m.key === key);
  const source = new Map<string, BenchResults>();
  for (const p of parts) for (const m of p.models) if (!source.has(m.key)) source.set(m.key, p);
  const keys = [...source.keys()].sort((x, y) => order(x) - order(y));
  const models = keys.map((k) => source.get(k)!.models.find((m) => m.key === k)!);
  const rows = keys.flatMap((k) => source.get(k)!.rows.filter((r) => r.model === k));
  const notes = [...new Set(parts.flatMap((p) => p.notes))];
  const used = parts.filter((p) => keys.some((k) => source.get(k) === p));
  notes.push(`Merged from ${used.length} runs: ${used.map((p) => `${keys.filter((k) => source.get(k) === p).join(', ')} from the run started ${p.date} (${[...new Set(p.rows.map(variantName))].join(', ')})`).join('; ')}.`);
  // Dated when merged: each source keeps its own dated file.
  return { ...parts[0], date: new Date().toISOString(), models, rows, ratios: ratiosOf(rows), notes };
}

async function main() {
  const argv = process.argv.slice(2);
  const merge = argv.indexOf('--merge');
  if (merge >= 0) {
    const results = mergeResults(argv[merge + 1].split(','));
    const out = argv.indexOf('--out') >= 0 ? path.resolve(argv[argv.indexOf('--out') + 1]) : path.join(ROOT, 'bench/results');
    for (const f of writeResults(out, results)) log(`wrote ${path.relative(process.cwd(), f)}`);
    return;
  }
  const opts = parseArgs(argv);
  const started = new Date();
  const adapterInfo: { value?: BenchResults['adapter']; browser?: string } = {};
  const rows: Row[] = [];
  const notes: string[] = [];
  if (opts.node) notes.push('--node: webgpu-nn only, in Node through Dawn (the webgpu package); the peers run in the browser only.');
  notes.push('CPU work is single-threaded for every library (pages not cross-origin isolated), except the -threads rows: webgpu-nn/cpu-threads and onnxruntime-web/wasm-threads run on a cross-origin-isolated page with up to 4 threads each (the cores, at most 4; each row says how many it got).');
  if (!opts.node) {
    notes.push(
      `Per model, up to ${opts.jobs} libraries are set up at once (browser, init, first run: those times include each other's load); warm runs go one library at a time in interleaved rounds, and a library stops after ${opts.budgetS} s of warm runs, never before its ${MIN_RUNS}rd (or the model's runs, if fewer).`,
    );
  }
  const done: BenchModel[] = [];
  // Written after every model, so that a run cut short keeps what it measured.
  const write = () => {
    const cpu = os.cpus();
    const results: BenchResults = {
      date: started.toISOString(),
      adapter: adapterInfo.value ?? { vendor: '', architecture: '', description: 'no WebGPU adapter', device: '' },
      browser: opts.node ? `Node ${process.version} + Dawn` : (adapterInfo.browser ?? 'chromium'),
      machine: { cpus: cpu.length, cpuModel: cpu[0]?.model ?? 'unknown', loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100) },
      mode: opts.node ? 'node' : 'chromium',
      models: done.map((m) => ({ key: m.key, title: m.title, ...(m.train ? { train: true } : {}) })),
      rows,
      ratios: ratiosOf(rows),
      notes,
    };
    return writeResults(opts.out, results);
  };
  // Every model's files first (float64 references are cached by hash), then the .tflite
  // conversions run in the background while the first models are timed.
  const preps = opts.models.map((model) => {
    log(`[${model.key}] ${model.title}: preparing files`);
    return prepareModel(CACHE, model, log);
  });
  const keyOf = (p: PreparedModel) => opts.models[preps.indexOf(p)].key;
  const conversions = !opts.node && opts.variants.some((v) => v.library === 'litert') ? convertInBackground(preps, keyOf) : null;
  const server = opts.node ? null : await serveRoot();
  try {
    for (const [i, model] of opts.models.entries()) {
      const prep = conversions ? await conversions.ready(preps[i]) : preps[i];
      rows.push(...(opts.node ? await runModelInNode(model, prep, opts, adapterInfo) : await runModelInChromium(model, prep, opts, server!.url, adapterInfo)));
      done.push(model);
      write();
    }
  } finally {
    conversions?.stop();
    await server?.close();
  }
  for (const f of write()) log(`wrote ${path.relative(process.cwd(), f)}`);
  const flagged = rows.filter((r) => r.maxAbsErr !== null && !r.ok);
  for (const r of flagged) log(`FLAGGED: ${r.model} ${variantName(r)} max |err| ${r.maxAbsErr} > ${r.tolerance}`);
}

main().catch((e) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
