// npm run zoo: builds every network of the zoo registry (nn.models.ZOO) (no weights are drawn) and prints its layer table
// (output shape, parameters, MACs per sample), then one line of totals per model.
//   node scripts/zoo.mjs                 every model
//   node scripts/zoo.mjs resnet50 lenet5 only the models whose names are given
// Reads the built library (dist/), so run it after `vite build` (npm run zoo does both).
import * as nn from '../dist/webgpu-nn.js';

// Every row of the zoo registry (src/models/registry.ts).
const ZOO = nn.models.ZOO.map((entry) => [entry.name, () => entry.build()]);

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
