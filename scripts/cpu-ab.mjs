// Two builds of the library on the CPU backend in one Node process, runs alternating (A, B, A, B …)
// so that the machine's load hits both alike: LeNet at batch 256 (with --models lenet_b1 at batch 1,
// 10× the runs; lstm: the bench's LSTM) and GoogLeNet at 3×224×224, on one thread (--threads N:
// N, the worker pool's threads; the process's CPU time then counts every thread). Per build: the
// median wall time and the median process CPU time of a run, and per node the median of its
// profiled time; the largest difference between the two builds' outputs.
//   node scripts/cpu-ab.mjs <repo or worktree A> <repo or worktree B> [--runs 30] [--models lenet,googlenet] [--threads 1]
// Each path must hold a built dist/ (vite build); e.g. main exported with `git archive main` and
// built, against this worktree.
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const at = args.indexOf(`--${name}`);
  if (at < 0) return fallback;
  return args.splice(at, 2)[1];
};
const runs = Number(option('runs', 30));
const models = option('models', 'lenet,googlenet').split(',');
const threads = Number(option('threads', 1));
if (args.length !== 2) throw new Error('usage: node scripts/cpu-ab.mjs <A> <B> [--runs N] [--models lenet,googlenet]');
const builds = await Promise.all(args.map(async (dir) => ({ dir, nn: await import(pathToFileURL(path.resolve(dir, 'dist/webgpu-nn.js')).href) })));

const MODELS = {
  lenet: { input: [256, 1, 28, 28], build: (nn) => nn.models.lenet({ seed: 1 }), runs },
  lenet_b1: { input: [1, 1, 28, 28], build: (nn) => nn.models.lenet({ seed: 1 }), runs: 10 * runs },
  lstm: { input: [64, 1, 128], build: (nn) => nn.sequential([nn.layers.lstm(128, 256)], { inputShape: [1, 128], seed: 1 }), runs },
  googlenet: { input: [1, 3, 224, 224], build: (nn) => nn.models.googlenet({ seed: 1 }), runs: Math.ceil(runs / 3) },
};
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const tensors = (nn, y) => (y instanceof nn.Tensor ? [y] : Object.values(y));

console.log(`load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}; threads ${threads}`);
for (const key of models) {
  const model = MODELS[key];
  const size = model.input.reduce((a, b) => a * b, 1);
  const sides = [];
  for (const { dir, nn } of builds) {
    const backend = await nn.createBackend('cpu', { threads });
    const session = await nn.compile(model.build(nn), backend, { inputShape: model.input, profile: true });
    const x = backend.tensor(Float32Array.from({ length: size }, (_, i) => Math.sin(i)), model.input);
    const y = await session.run(x);
    const output = await tensors(nn, y)[0].data();
    sides.push({ dir, nn, backend, session, x, output, wall: [], cpu: [], nodes: [] });
  }
  for (let r = 0; r < model.runs; r++) {
    for (const side of sides) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      const y = await side.session.run(side.x);
      side.wall.push(performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      side.cpu.push((cpu.user + cpu.system) / 1000);
      tensors(side.nn, y).forEach((t) => t.dispose());
      side.nodes.push(side.session.profile().rows.map((row) => row.ms));
    }
  }
  let diff = 0;
  for (let i = 0; i < sides[0].output.length; i++) diff = Math.max(diff, Math.abs(sides[0].output[i] - sides[1].output[i]));
  console.log(`\n${key} ${model.input.join('×')}, ${model.runs} runs each, max |A − B| ${diff}`);
  for (const side of sides) console.log(`  ${side.dir}: ${median(side.wall).toFixed(2)} ms wall, ${median(side.cpu).toFixed(2)} ms CPU (medians)`);
  const rows = sides[0].session.profile().rows;
  if (rows.length === sides[1].session.profile().rows.length) {
    console.log('  per node (median ms, A  B):');
    rows.forEach((row, i) => console.log(`    ${String(i).padStart(3)} ${row.op.padEnd(18)} ${sides.map((s) => median(s.nodes.map((n) => n[i])).toFixed(3).padStart(8)).join(' ')}`));
  }
  for (const side of sides) {
    side.session.dispose();
    side.backend.dispose();
  }
}
console.log(`\nload average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
