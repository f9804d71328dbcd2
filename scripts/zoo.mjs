// npm run zoo: builds every nn.models network (no weights are drawn) and prints its layer table
// (output shape, parameters, MACs per sample), then one line of totals per model.
//   node scripts/zoo.mjs                 every model
//   node scripts/zoo.mjs resnet50 lenet5 only the models whose names are given
// Reads the built library (dist/), so run it after `vite build` (npm run zoo does both).
import * as nn from '../dist/webgpu-nn.js';

const m = nn.models;
const ZOO = [
  ['lenet()', () => m.lenet()],
  ["lenet({ activation: 'relu', pooling: 'max' })", () => m.lenet({ activation: 'relu', pooling: 'max' })],
  ['lenet5()', () => m.lenet5()],
  ['alexnet()', () => m.alexnet()],
  ["alexnet({ variant: 'lecture' })", () => m.alexnet({ variant: 'lecture' })],
  ['vgg11()', () => m.vgg11()],
  ['vgg13()', () => m.vgg13()],
  ['vgg16()', () => m.vgg16()],
  ['vgg19()', () => m.vgg19()],
  ['vgg11({ batchNorm: true })', () => m.vgg11({ batchNorm: true })],
  ['vgg13({ batchNorm: true })', () => m.vgg13({ batchNorm: true })],
  ['vgg16({ batchNorm: true })', () => m.vgg16({ batchNorm: true })],
  ['vgg19({ batchNorm: true })', () => m.vgg19({ batchNorm: true })],
  ["vgg({ config: 'A-LRN' })", () => m.vgg({ config: 'A-LRN' })],
  ["vgg({ config: 'C' })", () => m.vgg({ config: 'C' })],
  ['nin()', () => m.nin()],
  ['googlenet()', () => m.googlenet()],
  ['googlenet({ batchNorm: true })', () => m.googlenet({ batchNorm: true })],
  ['resnet18()', () => m.resnet18()],
  ['resnet34()', () => m.resnet34()],
  ['resnet50()', () => m.resnet50()],
  ["resnet50({ variant: 'v1' })", () => m.resnet50({ variant: 'v1' })],
  ['resnet101()', () => m.resnet101()],
  ['resnet152()', () => m.resnet152()],
  ['rnn()', () => m.rnn()],
  ['lstm()', () => m.lstm()],
  ['gru()', () => m.gru()],
];

const wanted = process.argv.slice(2);
const chosen = wanted.length ? ZOO.filter(([call]) => wanted.includes(call.slice(0, call.indexOf('(')))) : ZOO;
if (chosen.length === 0) {
  console.error(`zoo: no model named ${wanted.join(', ')}; the zoo has ${[...new Set(ZOO.map(([c]) => c.slice(0, c.indexOf('('))))].join(', ')}`);
  process.exit(1);
}

const totals = [];
for (const [call, build] of chosen) {
  const model = build();
  const s = model.summary();
  // The traced input (batch 1): [1, C, H, W] for images, [T, 1, I] for sequences.
  const graph = model.trace(1);
  const input = graph.values[graph.inputs[0].id].shape;
  console.log(`\nnn.models.${call}: input [${input.join(', ')}]\n`);
  console.log(String(s));
  totals.push([call, s.totalParams, s.totalMacs]);
}

const fmt = (n) => n.toLocaleString('en-US');
const rows = [['model', 'parameters', 'MACs'], ...totals.map(([c, p, macs]) => [c, fmt(p), fmt(macs)])];
const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
console.log('\nTotals (trainable parameters; multiply-accumulates per sample)\n');
for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  '));
