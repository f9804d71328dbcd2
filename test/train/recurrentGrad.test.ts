// Backpropagation through time (recurrentGrad, the rules of the recurrent ops and cells) through
// reverse mode on the CPU, against central finite differences of the float64 oracles of the
// forward ops. The rows are the op-case table's recurrent rows (test/ops/cases.ts: every option
// — layers, directions, h0/c0, batchFirst, sequence lengths, peepholes, clip, both GRU forms,
// both RNN nonlinearities, no biases) small enough for finite differences. The step is 1e-5 so
// that no ReLU or clip kink falls inside it (1e-3 straddled one in the stacked ReLU RNN).
import { describe, it } from 'vitest';
import type { Graph } from '../../src/graph/ir';
import { planGraph } from '../../src/graph/plan';
import { appendGradients } from '../../src/graph/reverse';
import { Tracer, type SymbolicTensor } from '../../src/graph/tracer';
import type { OracleResult } from '../../src/ops/oracle';
import { sizeOf } from '../../src/shape';
import { CALLS, inputData, ORACLES, ROWS, type OpCase } from '../ops/cases';
import { cpu, expectClose, Random } from '../helpers';
import { numericGrad, randomValues } from './gradCheck';

const RECURRENT = new Set(['lstm', 'gru', 'rnn', 'lstmCell', 'gruCell', 'rnnCell']);
/** Inputs small enough that finite differences over every element stay quick. */
const MAX_ELEMENTS = 1300;
const SAMPLE = 10;

function sample(rng: Random, n: number): number[] {
  const all = Array.from({ length: n }, (_, e) => e);
  for (let e = n - 1; e > 0; e--) {
    const k = rng.int(0, e);
    [all[e], all[k]] = [all[k], all[e]];
  }
  return all.slice(0, SAMPLE).sort((a, b) => a - b);
}

async function runGraph(graph: Graph): Promise<Float32Array[]> {
  const prepared = await cpu.prepareGraph(graph);
  const exe = await prepared.instantiate(planGraph(graph, []));
  const data = await Promise.all(exe.run([]).map((t) => t.data()));
  exe.dispose();
  prepared.dispose();
  return data;
}

const rows = ROWS.map((row, i) => [row, i] as const).filter(([row]) => {
  if (!RECURRENT.has(row.op)) return false;
  const shapes = Object.values(row.inputs).map((s) => ('shape' in s ? s.shape : s));
  const total = shapes.reduce((sum, s) => sum + sizeOf(s), 0);
  return total <= MAX_ELEMENTS && shapes.every((s) => sizeOf(s) > 0);
});

const describeRow = (row: OpCase, i: number) => `#${i} ${row.op} ${Object.entries(row.inputs).length} inputs ${JSON.stringify(row.options ?? {})}`;

describe('recurrent gradients vs central differences (float64 oracle)', () => {
  it.each(rows.map(([row, i]) => [describeRow(row, i), row, i] as const))('%s', async (_name, row, i) => {
    const data = inputData(row, i);
    const names = Object.keys(data);
    const opts = row.options ?? {};
    const rng = new Random(77 + i);

    // The graph: the op, and L = Σ over its outputs of dy·output.
    const r = new Tracer();
    const xs = Object.fromEntries(names.map((n) => [n, r.param(n, data[n].shape, () => data[n].data)]));
    const out = CALLS[row.op](r.ops, xs, opts, r);
    const outputs = ('shape' in out ? { y: out } : out) as Record<string, SymbolicTensor>;
    const keys = Object.keys(outputs).sort();
    const dys = keys.map((k) => randomValues(rng, outputs[k].shape));
    let loss: SymbolicTensor | null = null;
    keys.forEach((k, j) => {
      const n = sizeOf(outputs[k].shape);
      const term = r.ops.matmul(r.ops.reshape(outputs[k], [n]), r.constant(Float32Array.from(dys[j]), [n]));
      loss = loss ? r.ops.add(loss, term) : term;
    });
    const grads = appendGradients(r, loss!.id, names.map((n) => xs[n].id));
    const got = await runGraph(r.finish(names.map((n) => ({ name: n, value: grads.get(xs[n].id)! }))));

    // The same loss from the float64 oracle.
    const inputs = names.map((n) => Float64Array.from(data[n].data));
    const dy = Float64Array.from(dys.flatMap((d) => Array.from(d)));
    const oracle = (values: Float64Array[]) => {
      const t = Object.fromEntries(names.map((n, j) => [n, { data: values[j], shape: data[n].shape }]));
      const res = ORACLES[row.op](t, opts);
      const byName = ('shape' in res ? { y: res } : res) as Record<string, OracleResult>;
      return Float64Array.from(keys.flatMap((k) => Array.from(byName[k].data)));
    };
    // Up to SAMPLE elements of each input (all of a small one) are perturbed.
    names.forEach((n, j) => {
      const picks = sample(rng, inputs[j].length);
      const numeric = numericGrad(oracle, inputs, dy, j, 1e-5, picks);
      expectClose(picks.map((e) => got[j][e]), picks.map((e) => numeric[e]), `${row.op} #${i}: d ${n} at elements ${picks.join(', ')}`);
    });
  });
});
