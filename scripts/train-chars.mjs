// npm run train:chars — trains the zoo's character models (nn.models.rnn, gru, lstm: d2l's
// RNNModel, 28 one-hot characters → 32 hidden units → scores of the next character) on the
// lecture text (data/lecture/lecture.txt), as d2l trains them on The Time Machine, and measures
// the lecture's claim that gated cells learn longer dependencies.
//   node scripts/train-chars.mjs [--epochs 30] [--steps 35] [--batch 32] [--lr 0.01] [--clip 1]
//        [--seed 0] [--models rnn,gru,lstm] [--backend cpu|webgpu] [--bench-steps 5] [--svg FILE]
// Truncated backpropagation through time: each epoch cuts the text (from a random offset) into
// subsequences of --steps characters, shuffles them and takes Adam steps (clip_grad_norm_ --clip)
// on batches of --batch, each subsequence from a zero state (d2l's random sampling); the loss is
// cross-entropy over every step. Prints each model's training perplexity per epoch and a greedy
// sample, writes the three perplexity curves side by side to --svg (default
// docs/char-perplexity.svg), then times training steps of the LSTM on the CPU and on WebGPU
// (sequences/s; --bench-steps 0 skips). Reads the built library (dist/): npm run train:chars builds it first.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as nn from '../dist/webgpu-nn.js';
import { createBackend } from './nodeBackend.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const epochs = Number(option('epochs', 30));
const T = Number(option('steps', 35));
const N = Number(option('batch', 32));
const lr = Number(option('lr', 0.01));
const clip = Number(option('clip', 1));
const seed = Number(option('seed', 0));
const modelNames = option('models', 'rnn,gru,lstm').split(',');
const backendName = option('backend', 'cpu');
const benchSteps = Number(option('bench-steps', 5));
const SVG = option('svg', 'docs/char-perplexity.svg');
const PREFIX = 'the network ';

// d2l's vocabulary: <unk>, space, a–z; runs of anything else become one space.
const V = 28;
const text = readFileSync(new URL('../data/lecture/lecture.txt', import.meta.url), 'utf8').toLowerCase().replace(/[^a-z]+/g, ' ').trim();
const encode = (c) => (c === ' ' ? 1 : c.charCodeAt(0) - 95);
const decode = (i) => (i === 1 ? ' ' : i === 0 ? '?' : String.fromCharCode(i + 95));
const corpus = Uint8Array.from(text, encode);

/** A small seeded generator (xorshift32) for offsets and shuffles. */
function random(s) {
  let x = (s * 0x9e3779b1) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** One epoch's batches: x one-hot [T, N, V] and the next characters [T, N]. */
function* batches(rng) {
  const offset = Math.floor(rng() * T);
  const count = Math.floor((corpus.length - 1 - offset) / T);
  const starts = Array.from({ length: count }, (_, i) => offset + i * T);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [starts[i], starts[j]] = [starts[j], starts[i]];
  }
  for (let b = 0; b + N <= count; b += N) {
    const x = new Float32Array(T * N * V);
    const y = new Float32Array(T * N);
    for (let n = 0; n < N; n++) {
      for (let t = 0; t < T; t++) {
        const at = starts[b + n] + t;
        x[(t * N + n) * V + corpus[at]] = 1;
        y[t * N + n] = corpus[at + 1];
      }
    }
    yield { x, y };
  }
}

const build = (name) => nn.models[name]({ seqLength: T, seed });
const optimizer = () => nn.optim.adam({ lr, clipGradNorm: clip });

/** Greedy continuation of PREFIX: each step reads the last T characters (left-padded with spaces). */
async function sample(model, backend, length = 60) {
  const session = await nn.compile(model, backend);
  let out = PREFIX;
  for (let k = 0; k < length; k++) {
    const window = out.slice(-T).padStart(T, ' ');
    const x = new Float32Array(T * V);
    for (let t = 0; t < T; t++) x[t * V + encode(window[t])] = 1;
    const input = backend.tensor(x, [T, 1, V]);
    const y = await session.run(input);
    const scores = (await y.data()).subarray((T - 1) * V, T * V);
    out += decode(scores.indexOf(Math.max(...scores)));
    input.dispose();
    y.dispose();
  }
  session.dispose();
  return out;
}

async function train(name, backend) {
  const model = build(name);
  const trainer = await nn.compileTraining(model, backend, { loss: 'crossEntropy', optimizer: optimizer(), batchSize: N, seed });
  const rng = random(seed + 1);
  const perplexity = [];
  const start = performance.now();
  let sequences = 0;
  for (let epoch = 1; epoch <= epochs; epoch++) {
    let sum = 0;
    let steps = 0;
    for (const { x, y } of batches(rng)) {
      const input = backend.tensor(x, [T, N, V]);
      const loss = await trainer.step(input, y);
      sum += (await loss.data())[0];
      steps++;
      input.dispose();
      loss.dispose();
    }
    sequences += steps * N;
    perplexity.push(Math.exp(sum / steps));
    const seconds = (performance.now() - start) / 1000;
    console.log(`${name} epoch ${epoch}/${epochs}: perplexity ${perplexity.at(-1).toFixed(2)} (${(sequences / seconds).toFixed(1)} sequences/s)`);
  }
  await trainer.syncWeights();
  trainer.dispose();
  console.log(`${name} sample: "${await sample(model, backend)}"`);
  return perplexity;
}

/** Training steps of the LSTM per second on `backend`, after one step that builds everything. */
async function throughput(backendName) {
  const backend = await createBackend(backendName);
  const trainer = await nn.compileTraining(build('lstm'), backend, { loss: 'crossEntropy', optimizer: optimizer(), batchSize: N, seed });
  const { x, y } = batches(random(seed)).next().value;
  const input = backend.tensor(x, [T, N, V]);
  await (await trainer.step(input, y)).data();
  const start = performance.now();
  for (let i = 0; i < benchSteps; i++) await (await trainer.step(input, y)).data();
  const seconds = (performance.now() - start) / 1000;
  trainer.dispose();
  backend.dispose();
  return { rate: (benchSteps * N) / seconds, device: backendName === 'webgpu' ? 'WebGPU (Dawn, ' + (backend.device.adapterInfo?.description || backend.device.adapterInfo?.vendor || 'adapter') + ')' : 'CPU (TypeScript)' };
}

function svg(curves) {
  const [w, h, pad, left] = [300, 220, 40, 16];
  const max = Math.ceil(Math.max(...Object.values(curves).flat()));
  const panels = Object.entries(curves).map(([name, ppl], i) => {
    const x = (e) => pad + ((w - pad - 10) * e) / Math.max(ppl.length - 1, 1);
    const y = (p) => 20 + ((h - pad - 20) * (max - p)) / (max - 1);
    const points = ppl.map((p, e) => `${x(e).toFixed(1)},${y(p).toFixed(1)}`).join(' ');
    const ticks = [1, Math.round((1 + max) / 2), max]
      .map((p) => `<text x="${pad - 4}" y="${y(p) + 4}" text-anchor="end">${p}</text><line x1="${pad}" x2="${w - 10}" y1="${y(p)}" y2="${y(p)}" stroke="#ddd"/>`)
      .join('');
    const epochTicks = [1, ppl.length].map((e) => `<text x="${x(e - 1)}" y="${h - pad + 14}" text-anchor="middle">${e}</text>`).join('');
    return `<g transform="translate(${left + i * w},0)">${ticks}${epochTicks}<polyline fill="none" stroke="#2563eb" stroke-width="2" points="${points}"/>` +
      `<line x1="${pad}" x2="${w - 10}" y1="${h - pad}" y2="${h - pad}" stroke="#000"/><line x1="${pad}" x2="${pad}" y1="20" y2="${h - pad}" stroke="#000"/>` +
      `<text x="${(pad + w) / 2}" y="14" text-anchor="middle" font-weight="bold">${name}: ${ppl.at(-1).toFixed(2)} after ${ppl.length} epochs</text>` +
      `<text x="${(pad + w) / 2}" y="${h - 12}" text-anchor="middle">epoch</text></g>`;
  });
  const width = left + w * panels.length;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${h}" viewBox="0 0 ${width} ${h}" font-family="sans-serif" font-size="11">` +
    `<rect width="100%" height="100%" fill="#fff"/><text x="12" y="${h / 2}" transform="rotate(-90 12 ${h / 2})" text-anchor="middle">training perplexity</text>${panels.join('')}</svg>\n`;
}

console.log(`lecture text: ${corpus.length} characters (vocabulary ${V}); T ${T}, batch ${N}, Adam lr ${lr}, clipGradNorm ${clip}, ${epochs} epochs on ${backendName}`);
const backend = await createBackend(backendName);
const curves = {};
for (const name of modelNames) curves[name] = await train(name, backend);
backend.dispose();
mkdirSync(dirname(SVG), { recursive: true });
writeFileSync(SVG, svg(curves));
console.log(`wrote ${SVG}`);
if (benchSteps > 0) {
  for (const name of ['cpu', 'webgpu']) {
    const { rate, device } = await throughput(name);
    console.log(`LSTM training throughput, ${device}: ${rate.toFixed(1)} sequences/s (T ${T}, batch ${N}, ${benchSteps} steps)`);
  }
}
