// npm run profile -- <model> [options]: compiles a model with { profile: true } on WebGPU in Node
// (Dawn; SwiftShader here) and prints its per-node table, slowest nodes first: the median of
// several profiled runs after a warm-up.
//   node scripts/profile.mjs resnet18                ResNet-18, 3×224×224, batch 1
//   node scripts/profile.mjs lstm matmul1024         several models
//   --runs N      profiled runs (default 3); --top N rows shown (default 15; 0 = all)
//   --tune        compile with { tune: true } first (winners cached for this process) and print
//                 each choice's candidates with their times; --budget MS its budget (default 30 000)
//   --method M    'auto' (default), 'timestamp-query' or 'submit-per-node'
//   --cpu         the CPU backend instead (wall-clock per node)
//   --tuning T    createBackend's kernel table: 'auto' (default), 'gpu' (what real GPUs get) or 'software'
// Reads the built library (dist/), so run it after `vite build` (npm run profile does both).
import { create } from 'webgpu';
import * as nn from '../dist/webgpu-nn.js';
import { seededInput } from './mulberry32.mjs';

/** The benchmark's models (bench/models.ts), with the same shapes. */
const MODELS = {
  resnet18: { title: 'ResNet-18, 3×224×224, batch 1', input: [1, 3, 224, 224], build: () => nn.models.resnet18({ seed: 1 }) },
  lstm: {
    title: 'LSTM, input 128, hidden 256, 64 steps, batch 1',
    input: [64, 1, 128],
    build: () => nn.sequential([nn.layers.lstm(128, 256)], { inputShape: [1, 128], seed: 1 }),
  },
  matmul1024: {
    title: '1024×1024 · 1024×1024 (a linear layer without bias)',
    input: [1024, 1024],
    build: () => nn.sequential([nn.layers.linear(1024, 1024, { bias: false })], { inputShape: [1024], seed: 1 }),
  },
  lenet: { title: 'LeNet (d2l), batch 1', input: [1, 1, 28, 28], build: () => nn.models.lenet({ seed: 1 }) },
  googlenet: { title: "GoogLeNet (the lecture's table), 3×224×224, batch 1", input: [1, 3, 224, 224], build: () => nn.models.googlenet({ seed: 1 }) },
};

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  const value = args[at + 1];
  args.splice(at, 2);
  return value;
};
const flag = (name) => {
  const at = args.indexOf(`--${name}`);
  if (at >= 0) args.splice(at, 1);
  return at >= 0;
};
const runs = Number(option('runs', '3'));
const top = Number(option('top', '15'));
const method = option('method', 'auto');
const tune = flag('tune');
const budgetMs = Number(option('budget', '30000'));
const onCpu = flag('cpu');
const tuning = option('tuning', 'auto');
const wanted = args.length > 0 ? args : ['resnet18'];
for (const name of wanted) {
  if (!MODELS[name]) {
    console.error(`profile: no model '${name}'; the models are ${Object.keys(MODELS).join(', ')}`);
    process.exit(1);
  }
}

const gpu = onCpu ? null : create([]); // held while the backend lives (see src/backends/webgpu/device.ts)
const backend = await nn.createBackend(onCpu ? 'cpu' : 'webgpu', { gpu, tuning });
const info = backend.device?.adapterInfo;
console.log(`backend: ${backend.name}${info ? ` (${[info.vendor, info.architecture, info.description].filter(Boolean).join(', ')})` : ''}`);

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

for (const name of wanted) {
  const { title, input, build } = MODELS[name];
  const model = build();
  if (tune) {
    const started = performance.now();
    const choices = new Set();
    const onProgress = (p) => {
      if (p.stage !== 'tuning') return;
      choices.add(p.kernel);
      process.stderr.write(`\rtuning ${p.built}/${p.total} ${p.kernel}`.padEnd(100));
    };
    const tuning = await nn.compile(model, backend, { inputShape: input, tune: { budgetMs }, onProgress });
    process.stderr.write('\n');
    console.log(`\n${name}: tuned in ${((performance.now() - started) / 1000).toFixed(1)} s (budget ${budgetMs / 1000} s)`);
    for (const key of choices) {
      const entry = backend.tunedChoices.get(key); // the backend's store of tuned winners (src/backends/webgpu/tunedChoices.ts)
      const times = entry ? Object.entries(entry.ms).map(([c, ms]) => `${c} ${ms.toFixed(1)} ms${c === entry.winner ? ' (winner)' : ''}`).join(', ') : 'not finished within the budget: the table decides';
      console.log(`  ${key}: ${times}`);
    }
    tuning.dispose();
  }
  const session = await nn.compile(model, backend, { inputShape: input, profile: { method } });
  const x = backend.tensor(seededInput(input.reduce((a, b) => a * b, 1), 7), input);
  const dispose = (y) => (y instanceof nn.Tensor ? y.dispose() : Object.values(y).forEach((t) => t.dispose()));
  dispose(await session.run(x)); // warm-up: first-use costs
  const profiles = [];
  for (let r = 0; r < runs; r++) {
    dispose(await session.run(x));
    profiles.push(session.profile());
  }
  const last = profiles[profiles.length - 1];
  const rows = last.rows.map((row, i) => {
    const ms = median(profiles.map((p) => p.rows[i].ms));
    const parts = row.parts.map((part, k) => ({ ...part, ms: median(profiles.map((p) => p.rows[i].parts[k].ms)) }));
    return { ...row, ms, parts, gflops: row.flops !== null && ms > 0 ? row.flops / (ms * 1e6) : null };
  });
  const totalMs = median(profiles.map((p) => p.totalMs));
  const profile = { ...last, rows, totalMs, note: `${last.note}; median of ${runs} runs` };
  console.log(`\n${name}: ${title}${tune ? ' (tuned)' : ''}`);
  console.log(nn.formatProfile(profile, { sort: 'time', top: top > 0 ? top : undefined, parts: true }));
  const inPlace = rows.filter((row) => row.kernel === 'in place').length;
  console.log(`dispatches per run: ${rows.reduce((n, row) => n + row.dispatches, 0)}${inPlace ? `; concats written in place by their producers: ${inPlace}` : ''}`);
  x.dispose();
  session.dispose();
}
backend.dispose();
