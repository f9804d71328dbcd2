// The gradient rules and the backward ops they emit (activationGrad, softmaxGrad, reduceSum,
// slice, crossEntropyGrad, mseGrad, dropoutMask), through reverse mode on the CPU, against
// central finite differences of float64 oracles of the forward ops, on small random shapes.
import { describe, expect, it } from 'vitest';
import type { Graph } from '../../src/graph/ir';
import { planGraph } from '../../src/graph/plan';
import { appendGradients } from '../../src/graph/reverse';
import { Tracer, type SymbolicTensor } from '../../src/graph/tracer';
import { keeps } from '../../src/ops/elementwise/dropoutMask';
import { dropoutMask } from '../../src/ops/elementwise/dropoutMask';
import { crossEntropy } from '../../src/ops/loss/crossEntropy';
import { mse } from '../../src/ops/loss/mse';
import { broadcastShapes, broadcastStrides, sizeOf, stridesOf, type Shape } from '../../src/shape';
import { cpu, expectClose, Random } from '../helpers';
import { numericGrad, randomValues, type Oracle } from './gradCheck';

/** Runs `graph` (no inputs) on the CPU and returns its outputs' values. */
async function runGraph(graph: Graph): Promise<Float32Array[]> {
  const prepared = await cpu.prepareGraph(graph);
  const exe = await prepared.instantiate(planGraph(graph, []));
  const outs = exe.run([]);
  const data = await Promise.all(outs.map((t) => t.data()));
  exe.dispose();
  prepared.dispose();
  return data;
}

/**
 * Checks d(Σ dy·f(inputs))/d inputs from the gradient rules against central differences of the
 * float64 oracle (only the inputs listed in `wrt`; the rest are constants of the graph).
 */
async function checkRule(
  what: string,
  shapes: Shape[],
  build: (r: Tracer, xs: SymbolicTensor[]) => SymbolicTensor,
  oracle: Oracle,
  { rng, wrt = shapes.map((_, i) => i), values, h = 1e-3 }: { rng: Random; wrt?: number[]; values?: Float64Array[]; h?: number },
) {
  const inputs = values ?? shapes.map((s) => randomValues(rng, s));
  const r = new Tracer();
  const xs = shapes.map((s, i) => r.param(`x${i}`, s, () => Float32Array.from(inputs[i])));
  const y = build(r, xs);
  const dy = randomValues(rng, y.shape);
  // L = Σ dy·y as the dot product of y (flattened) and dy: a scalar.
  const n = sizeOf(y.shape);
  const loss = r.ops.matmul(r.ops.reshape(y, [n]), r.constant(Float32Array.from(dy), [n]));
  const grads = appendGradients(r, loss.id, wrt.map((i) => xs[i].id));
  const graph = r.finish(wrt.map((i) => ({ name: `d${i}`, value: grads.get(xs[i].id)! })));
  const got = await runGraph(graph);
  wrt.forEach((which, k) => expectClose(got[k], numericGrad(oracle, inputs, dy, which, h), `${what}: d input ${which}`));
}

// ---- float64 oracles ----
const map = (f: (v: number) => number): Oracle => ([x]) => x.map(f);
/** Elementwise binary op with NumPy broadcasting. */
const broadcast = (a: Shape, b: Shape, f: (u: number, v: number) => number): Oracle => ([x, y]) => {
  const out = broadcastShapes(a, b, 'oracle');
  const [sa, sb, so] = [broadcastStrides(a, out), broadcastStrides(b, out), stridesOf(out)];
  return Float64Array.from({ length: sizeOf(out) }, (_, i) => {
    let ia = 0, ib = 0;
    out.forEach((_, d) => {
      const c = Math.floor(i / so[d]) % out[d];
      ia += c * sa[d];
      ib += c * sb[d];
    });
    return f(x[ia], y[ib]);
  });
};
/** Batched matrix product of [...A, m, k] and [...B, k, n] (both rank ≥ 2). */
const matmulOracle = (a: Shape, b: Shape): Oracle => ([x, y]) => {
  const [m, k, n] = [a[a.length - 2], a[a.length - 1], b[b.length - 1]];
  const batch = broadcastShapes(a.slice(0, -2), b.slice(0, -2), 'oracle');
  const [sa, sb, sBatch] = [broadcastStrides(a.slice(0, -2), batch), broadcastStrides(b.slice(0, -2), batch), stridesOf(batch)];
  const out = new Float64Array(sizeOf(batch) * m * n);
  for (let e = 0; e < sizeOf(batch); e++) {
    let ia = 0, ib = 0;
    batch.forEach((_, d) => {
      const c = Math.floor(e / sBatch[d]) % batch[d];
      ia += c * sa[d];
      ib += c * sb[d];
    });
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += x[ia * m * k + i * k + t] * y[ib * k * n + t * n + j];
      out[(e * m + i) * n + j] = s;
    }
  }
  return out;
};
/** Softmax (or log-softmax) along `axis` of `shape`. */
const softmaxOracle = (shape: Shape, axis: number, log: boolean): Oracle => ([x]) => {
  const outer = sizeOf(shape.slice(0, axis)), n = shape[axis], inner = sizeOf(shape.slice(axis + 1));
  const y = new Float64Array(x.length);
  for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) {
    const at = (k: number) => (o * n + k) * inner + j;
    let max = -Infinity;
    for (let k = 0; k < n; k++) max = Math.max(max, x[at(k)]);
    let sum = 0;
    for (let k = 0; k < n; k++) sum += Math.exp(x[at(k)] - max);
    for (let k = 0; k < n; k++) y[at(k)] = log ? x[at(k)] - max - Math.log(sum) : Math.exp(x[at(k)] - max) / sum;
  }
  return y;
};
/** x permuted: output axis i is input axis dims[i]. */
const permuteOracle = (shape: Shape, dims: number[]): Oracle => ([x]) => {
  const out = dims.map((d) => shape[d]);
  const [sx, so] = [stridesOf(shape), stridesOf(out)];
  return Float64Array.from({ length: x.length }, (_, i) => x[dims.reduce((at, d, k) => at + (Math.floor(i / so[k]) % out[k]) * sx[d], 0)]);
};

/** Values at least `gap` away from each kink (activations' non-differentiable points). */
function awayFrom(rng: Random, shape: Shape, kinks: number[], gap = 0.05): Float64Array {
  return randomValues(rng, shape, -2, 2).map((v) => (kinks.some((k) => Math.abs(v - k) < gap) ? v + 3 * gap : v));
}

describe('gradient rules against finite differences (CPU, float64 oracles)', () => {
  const rng = new Random(42);

  it('activations', async () => {
    const shape = [2, 3, 4];
    const x = awayFrom(rng, shape, [0, -0.5, 0.5]);
    const cases: [string, (r: Tracer, t: SymbolicTensor) => SymbolicTensor, (v: number) => number][] = [
      ['relu', (r, t) => r.ops.relu(t), (v) => Math.max(v, 0)],
      ['sigmoid', (r, t) => r.ops.sigmoid(t), (v) => 1 / (1 + Math.exp(-v))],
      ['tanh', (r, t) => r.ops.tanh(t), Math.tanh],
      ['leakyRelu', (r, t) => r.ops.leakyRelu(t, { negativeSlope: 0.1 }), (v) => (v > 0 ? v : 0.1 * v)],
      ['clip', (r, t) => r.ops.clip(t, { min: -0.5, max: 0.5 }), (v) => Math.min(Math.max(v, -0.5), 0.5)],
    ];
    for (const [name, op, f] of cases) await checkRule(name, [shape], (r, [t]) => op(r, t), map(f), { rng, values: [x.slice()] });
  });

  it('softmax and logSoftmax along every axis', async () => {
    const shape = [2, 3, 4];
    for (const log of [false, true]) {
      for (const dim of [0, 1, -1]) {
        const axis = dim < 0 ? dim + 3 : dim;
        await checkRule(`${log ? 'logSoftmax' : 'softmax'} dim ${dim}`, [shape], (r, [x]) => (log ? r.ops.logSoftmax(x, { dim }) : r.ops.softmax(x, { dim })), softmaxOracle(shape, axis, log), { rng });
      }
    }
  });

  it('linear, with and without bias, over leading dims', async () => {
    const linearOracle = (rows: number, inF: number, outF: number, bias: boolean): Oracle => ([x, w, b]) =>
      Float64Array.from({ length: rows * outF }, (_, i) => {
        const [r0, o] = [Math.floor(i / outF), i % outF];
        let s = bias ? b[o] : 0;
        for (let k = 0; k < inF; k++) s += x[r0 * inF + k] * w[o * inF + k];
        return s;
      });
    await checkRule('linear [3, 5]', [[3, 5], [4, 5], [4]], (r, [x, w, b]) => r.ops.linear(x, w, b), linearOracle(3, 5, 4, true), { rng, h: 0.5 });
    await checkRule('linear [2, 3, 5] no bias', [[2, 3, 5], [4, 5]], (r, [x, w]) => r.ops.linear(x, w), linearOracle(6, 5, 4, false), { rng, h: 0.5 });
  });

  it('matmul with broadcasting and 1-D operands', async () => {
    await checkRule('matmul [2,1,3,4]·[5,4,2]', [[2, 1, 3, 4], [5, 4, 2]], (r, [a, b]) => r.ops.matmul(a, b), matmulOracle([2, 1, 3, 4], [5, 4, 2]), { rng, h: 0.5 });
    await checkRule('matmul [4]·[2,4,3]', [[4], [2, 4, 3]], (r, [a, b]) => r.ops.matmul(a, b), ([x, y]) => matmulOracle([1, 4], [2, 4, 3])([x, y]), { rng, h: 0.5 });
    await checkRule('matmul [3,4]·[4]', [[3, 4], [4]], (r, [a, b]) => r.ops.matmul(a, b), ([x, y]) => matmulOracle([3, 4], [4, 1])([x, y]), { rng, h: 0.5 });
  });

  it('add and mul, each operand reduced back to its own shape', async () => {
    for (const [a, b] of [[[2, 3, 4], [3, 1]], [[1, 3, 1], [2, 1, 4]], [[2, 3], [2, 3]], [[4], []]] as Shape[][]) {
      await checkRule(`add ${a} ${b}`, [a, b], (r, [x, y]) => r.ops.add(x, y), broadcast(a, b, (u, v) => u + v), { rng, h: 0.5 });
      await checkRule(`mul ${a} ${b}`, [a, b], (r, [x, y]) => r.ops.mul(x, y), broadcast(a, b, (u, v) => u * v), { rng, h: 0.5 });
    }
  });

  it('concat, permute, reshape and flatten', async () => {
    const shapes = [[2, 2, 3], [2, 1, 3], [2, 3, 3]];
    const concatOracle: Oracle = (xs) => {
      const out: number[] = [];
      for (let o = 0; o < 2; o++) xs.forEach((x, i) => out.push(...x.subarray(o * shapes[i][1] * 3, (o + 1) * shapes[i][1] * 3)));
      return Float64Array.from(out);
    };
    await checkRule('concat dim 1', shapes, (r, xs) => r.ops.concat(xs, { dim: 1 }), concatOracle, { rng, h: 0.5 });
    await checkRule('permute', [[2, 3, 4]], (r, [x]) => r.ops.permute(x, [2, 0, 1]), permuteOracle([2, 3, 4], [2, 0, 1]), { rng, h: 0.5 });
    const twice: Oracle = ([x]) => x.map((v) => v * v); // reshape then a nonlinearity, so the chain is exercised
    await checkRule('reshape', [[2, 3, 4]], (r, [x]) => { const y = r.ops.reshape(x, [6, 4]); return r.ops.mul(y, y); }, twice, { rng });
    await checkRule('flatten', [[2, 3, 2]], (r, [x]) => { const y = r.ops.flatten(x); return r.ops.mul(y, y); }, twice, { rng });
  });

  it('global and adaptive pooling', async () => {
    const shape = [2, 3, 4, 5];
    const planes = (f: (plane: Float64Array) => number): Oracle => ([x]) => Float64Array.from({ length: 6 }, (_, p) => f(x.subarray(p * 20, (p + 1) * 20)));
    await checkRule('globalAvgPool2d', [shape], (r, [x]) => r.ops.globalAvgPool2d(x), planes((p) => p.reduce((s, v) => s + v, 0) / 20), { rng, h: 0.5 });
    await checkRule('globalMaxPool2d', [shape], (r, [x]) => r.ops.globalMaxPool2d(x), planes((p) => Math.max(...p)), { rng, h: 1e-4 });
    // 4 → 2 rows and 5 → 2 columns: overlapping bins along the columns ([0, 3) and [2, 5)).
    const bins = [[0, 2, 0, 3], [0, 2, 2, 5], [2, 4, 0, 3], [2, 4, 2, 5]];
    const adaptive: Oracle = ([x]) => Float64Array.from({ length: 24 }, (_, i) => {
      const [p, [y0, y1, x0, x1]] = [Math.floor(i / 4), bins[i % 4]];
      let s = 0;
      for (let y = y0; y < y1; y++) for (let c = x0; c < x1; c++) s += x[p * 20 + y * 5 + c];
      return s / ((y1 - y0) * (x1 - x0));
    });
    await checkRule('adaptiveAvgPool2d 2×2', [shape], (r, [x]) => r.ops.adaptiveAvgPool2d(x, 2), adaptive, { rng, h: 0.5 });
  });

  it('crossEntropy and mse (mean losses)', async () => {
    const logits = randomValues(rng, [4, 5], -2, 2);
    const target = Float64Array.of(0, 4, 2, 2);
    const ceOracle: Oracle = ([x, t]) => {
      const y = softmaxOracle([4, 5], 1, true)([x]);
      return Float64Array.of(-[0, 1, 2, 3].reduce((s, r) => s + y[r * 5 + t[r]], 0) / 4);
    };
    await checkRule('crossEntropy', [[4, 5], [4]], (r, [x, t]) => crossEntropy(r, x, t), ceOracle, { rng, wrt: [0], values: [logits, target] });
    const mseOracle: Oracle = ([x, t]) => Float64Array.of(x.reduce((s, v, i) => s + (v - t[i]) ** 2, 0) / x.length);
    await checkRule('mse', [[3, 4], [3, 4]], (r, [x, t]) => mse(r, x, t), mseOracle, { rng, wrt: [0] });
  });

  it('dropout in training: the gradient uses the forward mask', async () => {
    const attrs = { p: 0.4, seed: 7 };
    const n = 40;
    const oracle: Oracle = ([x]) => x.map((v, i) => (keeps(i, 3, 7, 0.4) ? v / 0.6 : 0));
    await checkRule('dropoutMask', [[n], [2]], (r, [x, clock]) => dropoutMask(r, x, clock, attrs), oracle, { rng, wrt: [0], values: [randomValues(rng, [n]), Float64Array.of(3, 0)], h: 0.5 });
    const kept = Array.from({ length: 10000 }, (_, i) => keeps(i, 3, 7, 0.4)).filter(Boolean).length;
    expect(kept / 10000).toBeGreaterThan(0.57);
    expect(kept / 10000).toBeLessThan(0.63);
  });

  it('reuse: a value read twice gets the sum of both gradients', async () => {
    await checkRule('x·x + x', [[3, 2]], (r, [x]) => r.ops.add(r.ops.mul(x, x), x), map((v) => v * v + v), { rng });
  });
});
