// The benchmark's outputs: bench/results/latest.json (and a dated copy), a Markdown table and
// an SVG bar chart of the ratios (ours ÷ each peer, per model), all from one results object.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export type Library = 'webgpu-nn' | 'tfjs' | 'onnxruntime-web' | 'litert';
/** cpu-threads, wasm-threads: on a cross-origin-isolated page, with the library's threads. */
export type LibBackend = 'webgpu' | 'jsep' | 'wasm' | 'cpu' | 'cpu-threads' | 'wasm-threads';

export interface Row {
  library: Library;
  backend: LibBackend;
  model: string;
  /** Median of the warm runs (ms); null when the library could not run the model. */
  medianMs: number | null;
  /** The first inference (pipelines compiled on first use are in here). */
  firstMs: number | null;
  /** Library and session set-up: weights uploaded, pipelines built where done up front. */
  initMs: number | null;
  /** Worst |output − float64 reference| over the first and the last run. */
  maxAbsErr: number | null;
  /** 1e-4 + 1e-3·max|ref|; outputs beyond it are flagged. */
  tolerance: number | null;
  /** maxAbsErr ≤ tolerance. */
  ok: boolean;
  /** Warm runs timed. */
  runs: number;
  /** Every warm run (ms), in round order. */
  samples: number[];
  /** What the library says it ran on (TF.js getBackend(), …). */
  ranOn?: string;
  /** Ops the library put on the CPU although it was asked for WebGPU. */
  fallbacks?: string[];
  /** Bytes of GPU buffers held after init, and after the first run (lazy libraries allocate then). */
  gpuBytesInit?: number;
  gpuBytesRun?: number;
  /** What the page downloaded for this library: JS (minified, gzip -9 size) and wasm (raw and gzip). */
  jsGzipBytes?: number;
  wasmBytes?: number;
  wasmGzipBytes?: number;
  /** GFLOP/s for matmul1024 (2·1024³ / median). */
  gflops?: number;
  /** Training benchmarks: images per second of the median step (batch / median). */
  imagesPerSecond?: number;
  error?: string;
}

export interface Ratio {
  model: string;
  /** 'webgpu-nn/webgpu' or 'webgpu-nn/cpu' */
  ours: string;
  /** 'tfjs/webgpu', 'onnxruntime-web/wasm', … */
  peer: string;
  /** Median over rounds of ours ÷ peer in the same round: < 1 means webgpu-nn was faster. */
  median: number;
  rounds: number;
}

export interface BenchResults {
  date: string;
  /** The WebGPU adapter the browser ran on (GPUAdapter.info). */
  adapter: { vendor: string; architecture: string; description: string; device: string };
  browser: string;
  machine: { cpus: number; cpuModel: string; loadAverage: number[] };
  /** 'chromium' or 'node' (--node: Dawn in Node, no browser). */
  mode: 'chromium' | 'node';
  /** train: a training benchmark (its rows time one step). */
  models: { key: string; title: string; train?: boolean }[];
  rows: Row[];
  ratios: Ratio[];
  notes: string[];
}

export const variantName = (r: { library: string; backend: string }) => `${r.library}/${r.backend}`;

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

export { median };

/** The peers' backends each of ours is compared with: WebGPU with WebGPU, one CPU thread with CPU/wasm, threads with threads. */
const PEER_BACKENDS: Partial<Record<LibBackend, readonly LibBackend[]>> = { webgpu: ['webgpu', 'jsep'], cpu: ['cpu', 'wasm'], 'cpu-threads': ['wasm-threads'] };

/** Per model, ours ÷ each peer on the same side (our WebGPU against WebGPU peers, our CPU against CPU/wasm ones), round by round. */
export function ratiosOf(rows: Row[]): Ratio[] {
  const out: Ratio[] = [];
  for (const model of [...new Set(rows.map((r) => r.model))]) {
    const ofModel = rows.filter((r) => r.model === model && r.samples.length > 0);
    for (const [oursSide, peerSides] of Object.entries(PEER_BACKENDS)) {
      const ours = ofModel.find((r) => r.library === 'webgpu-nn' && r.backend === oursSide);
      if (!ours) continue;
      const peers = ofModel.filter((r) => r.library !== 'webgpu-nn' && peerSides.includes(r.backend));
      for (const peer of peers) {
        const n = Math.min(ours.samples.length, peer.samples.length);
        if (n === 0) continue;
        const perRound = Array.from({ length: n }, (_, i) => ours.samples[i] / peer.samples[i]);
        out.push({ model, ours: variantName(ours), peer: variantName(peer), median: median(perRound), rounds: n });
      }
    }
  }
  return out;
}

const fmtMs = (ms: number | null | undefined) => (ms === null || ms === undefined ? '—' : ms >= 100 ? ms.toFixed(0) : ms >= 10 ? ms.toFixed(1) : ms.toFixed(2));
const fmtBytes = (b: number | undefined) => (b === undefined ? '—' : b >= 1e6 ? `${(b / 1e6).toFixed(1)} MB` : b >= 1e3 ? `${(b / 1e3).toFixed(0)} kB` : `${b} B`);
const fmtErr = (r: Row) => (r.maxAbsErr === null ? '—' : `${r.maxAbsErr.toExponential(1)}${r.ok ? '' : ' ✗'}`);

/** The Markdown report: medians, ratios, errors and fallbacks, sizes. */
export function markdown(res: BenchResults): string {
  const variants = [...new Set(res.rows.map(variantName))];
  const models = res.models.map((m) => m.key).filter((k) => res.rows.some((r) => r.model === k));
  const cell = (model: string, v: string) => res.rows.find((r) => r.model === model && variantName(r) === v);
  const lines: string[] = [];
  const a = res.adapter;
  lines.push(`Adapter: ${[a.vendor, a.architecture, a.description, a.device].filter(Boolean).join(' / ') || 'unknown'} · ${res.browser} · ${res.machine.cpus} × ${res.machine.cpuModel} · ${res.date}`);
  lines.push('');
  lines.push('Median warm inference (ms; first inference in parentheses; training rows: one step, and images/s; ✗ = output beyond 1e-4 + 1e-3·max|ref| of the float64 reference — for training, the first step\'s loss; — = did not run):');
  lines.push('');
  lines.push(`| model | ${variants.join(' | ')} |`);
  lines.push(`| --- | ${variants.map(() => '---:').join(' | ')} |`);
  for (const m of models) {
    const cells = variants.map((v) => {
      const r = cell(m, v);
      if (!r) return '';
      if (r.medianMs === null) return r.error ? 'error' : '—';
      const rate = r.imagesPerSecond ? ` · ${r.imagesPerSecond.toFixed(0)} img/s` : '';
      return `${fmtMs(r.medianMs)} (${fmtMs(r.firstMs)})${rate}${r.ok ? '' : ' ✗'}`;
    });
    lines.push(`| ${m} | ${cells.join(' | ')} |`);
  }
  const peers = [...new Set(res.ratios.map((r) => `${r.ours} ÷ ${r.peer}`))];
  if (peers.length) {
    lines.push('');
    lines.push('webgpu-nn ÷ peer, median of per-round ratios (< 1: webgpu-nn faster):');
    lines.push('');
    lines.push(`| model | ${peers.join(' | ')} |`);
    lines.push(`| --- | ${peers.map(() => '---:').join(' | ')} |`);
    for (const m of models) {
      const cells = peers.map((p) => {
        const r = res.ratios.find((q) => q.model === m && `${q.ours} ÷ ${q.peer}` === p);
        return r ? r.median.toFixed(2) : '';
      });
      lines.push(`| ${m} | ${cells.join(' | ')} |`);
    }
  }
  lines.push('');
  lines.push('Max |error| against the float64 reference, and what each library says it ran on:');
  lines.push('');
  lines.push(`| model | ${variants.join(' | ')} |`);
  lines.push(`| --- | ${variants.map(() => '---').join(' | ')} |`);
  for (const m of models) {
    const cells = variants.map((v) => {
      const r = cell(m, v);
      if (!r) return '';
      const fb = r.fallbacks?.length ? ` CPU: ${r.fallbacks.join('; ')}` : '';
      return r.error && r.medianMs === null ? `error: ${r.error.split('\n')[0].slice(0, 80)}` : `${fmtErr(r)} ${r.ranOn ?? ''}${fb}`.trim();
    });
    lines.push(`| ${m} | ${cells.join(' | ')} |`);
  }
  lines.push('');
  lines.push('Per library, inference models: bytes a page downloads (JS min + gzip; wasm raw / gzip), median init (ms), GPU buffer bytes after init / after the first run (largest model):');
  lines.push('');
  lines.push('| library | JS (gzip) | wasm | init (ms, median over models) | GPU bytes |');
  lines.push('| --- | ---: | ---: | ---: | ---: |');
  for (const v of variants) {
    // Inference only: a training row's init compiles a different graph (and its page other code).
    const training = new Set(res.models.filter((m) => m.train).map((m) => m.key));
    const rs = res.rows.filter((r) => variantName(r) === v && !training.has(r.model));
    const js = rs.find((r) => r.jsGzipBytes !== undefined);
    const inits = rs.map((r) => r.initMs).filter((x): x is number => x !== null);
    const big = rs.reduce<Row | undefined>((best, r) => ((r.gpuBytesRun ?? 0) > (best?.gpuBytesRun ?? -1) ? r : best), undefined);
    const wasm = js?.wasmBytes ? `${fmtBytes(js.wasmBytes)} / ${fmtBytes(js.wasmGzipBytes)}` : '—';
    const gpu = big && (big.gpuBytesRun ?? 0) > 0 ? `${fmtBytes(big.gpuBytesInit)} / ${fmtBytes(big.gpuBytesRun)} (${big.model})` : '—';
    lines.push(`| ${v} | ${fmtBytes(js?.jsGzipBytes)} | ${wasm} | ${inits.length ? fmtMs(median(inits)) : '—'} | ${gpu} |`);
  }
  const failed = res.rows.filter((r) => r.error);
  if (failed.length) {
    lines.push('');
    lines.push('Errors:');
    lines.push('');
    for (const r of failed) lines.push(`- ${r.model} ${variantName(r)}: ${r.error!.split('\n')[0].slice(0, 300)}`);
  }
  if (res.notes.length) {
    lines.push('');
    for (const n of res.notes) lines.push(`- ${n}`);
  }
  return lines.join('\n') + '\n';
}

const escapeXml = (s: string) => s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);

/** Horizontal bars on a log axis, one group per model: webgpu-nn ÷ each WebGPU peer (and CPU ÷ CPU peers). */
export function svgChart(res: BenchResults): string {
  const groups = res.models.map((m) => m.key).filter((k) => res.ratios.some((r) => r.model === k));
  const peers = [...new Set(res.ratios.map((r) => `${r.ours} ÷ ${r.peer}`))];
  const palette = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f', '#edc948', '#b07aa1', '#ff9da7', '#9c755f'];
  const bar = 12;
  const left = 110;
  const width = 720;
  const plot = width - left - 30;
  const legendHeight = 18 * Math.ceil(peers.length / 2) + 10;
  const top = 40 + legendHeight;
  const rowsPer = (g: string) => res.ratios.filter((r) => r.model === g).length;
  const height = top + groups.reduce((h, g) => h + rowsPer(g) * bar + 14, 0) + 40;
  const values = res.ratios.map((r) => r.median).filter((v) => v > 0 && Number.isFinite(v));
  const lo = Math.min(0.1, ...values) / 1.2;
  const hi = Math.max(10, ...values) * 1.2;
  const xOf = (v: number) => left + (plot * (Math.log(v) - Math.log(lo))) / (Math.log(hi) - Math.log(lo));
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="11">`);
  out.push(`<rect width="100%" height="100%" fill="white"/>`);
  out.push(`<text x="10" y="18" font-size="13" font-weight="bold">webgpu-nn ÷ peer, median per-round time ratio (log scale; left of 1 = webgpu-nn faster)</text>`);
  out.push(`<text x="10" y="32" fill="#555">${escapeXml(`${res.adapter.description || res.adapter.architecture || res.adapter.vendor} · ${res.date}`)}</text>`);
  peers.forEach((p, i) => {
    const x = 10 + (i % 2) * 360;
    const y = 44 + Math.floor(i / 2) * 18;
    out.push(`<rect x="${x}" y="${y}" width="12" height="12" fill="${palette[i % palette.length]}"/><text x="${x + 16}" y="${y + 10}">${escapeXml(p)}</text>`);
  });
  let y = top;
  for (const g of groups) {
    const rs = res.ratios.filter((r) => r.model === g);
    out.push(`<text x="${left - 6}" y="${y + (rs.length * bar) / 2 + 4}" text-anchor="end">${escapeXml(g)}</text>`);
    for (const r of rs) {
      const i = peers.indexOf(`${r.ours} ÷ ${r.peer}`);
      const x0 = xOf(1);
      const x1 = xOf(Math.min(hi, Math.max(lo, r.median)));
      out.push(`<rect x="${Math.min(x0, x1).toFixed(1)}" y="${y}" width="${Math.abs(x1 - x0).toFixed(1)}" height="${bar - 2}" fill="${palette[i % palette.length]}"/>`);
      out.push(`<text x="${(x1 + (x1 >= x0 ? 3 : -3)).toFixed(1)}" y="${y + bar - 3}" text-anchor="${x1 >= x0 ? 'start' : 'end'}" font-size="9">${r.median.toFixed(2)}</text>`);
      y += bar;
    }
    y += 14;
  }
  for (const t of [0.01, 0.1, 0.5, 1, 2, 10, 100]) {
    if (t < lo || t > hi) continue;
    const x = xOf(t);
    out.push(`<line x1="${x.toFixed(1)}" y1="${top - 6}" x2="${x.toFixed(1)}" y2="${y}" stroke="${t === 1 ? '#000' : '#ccc'}" stroke-width="${t === 1 ? 1.2 : 0.6}"/>`);
    out.push(`<text x="${x.toFixed(1)}" y="${y + 14}" text-anchor="middle">${t}</text>`);
  }
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Writes latest.json, a dated copy, latest.md and latest.svg into `dir`; returns their paths. */
export function writeResults(dir: string, res: BenchResults): string[] {
  mkdirSync(dir, { recursive: true });
  const json = JSON.stringify(res, null, 1) + '\n';
  const stamp = res.date.replace(/[:.]/g, '-');
  const files: [string, string][] = [
    ['latest.json', json],
    [`${stamp}.json`, json],
    ['latest.md', markdown(res)],
    ['latest.svg', svgChart(res)],
  ];
  for (const [name, text] of files) writeFileSync(path.join(dir, name), text);
  return files.map(([name]) => path.join(dir, name));
}
