// Every row of the zoo registry runs on the CPU: compiled, at its reduced input size (as small as
// its pooling allows), batch 1 and 2; outputs are finite, of the right shape, depend on the input,
// and each row of a batch-2 run equals the batch-1 run of that sample.
import { describe, expect, test } from 'vitest';
import * as nn from '../src';
import { sizeOf } from '../src/shape';
import type { Tensor } from '../src/tensor';
import { cpu, expectClose, Random } from './helpers';

const uniform = (rng: Random, n: number) => rng.fill(n, -1, 1);

/** One-hot characters for a [T, 1, I] sequence. */
const oneHot = (inputSize: number) => (rng: Random, n: number) => {
  const x = new Float32Array(n);
  for (let t = 0; t < n / inputSize; t++) x[t * inputSize + rng.int(0, inputSize - 1)] = 1;
  return x;
};

/** Every row of the zoo registry at its reduced size; the batch dim is 0 for images, 1 for [T, N, …] sequences. */
const CASES = nn.models.ZOO.map((e) => ({
  name: e.name,
  build: () => e.build(e.reduced.options),
  input: [...e.reduced.input],
  output: [...e.reduced.output],
  batchDim: (e.kind === 'image' ? 0 : 1) as 0 | 1,
  sample: e.kind === 'image' ? uniform : oneHot(e.reduced.input[2]),
}));

/** Stacks samples along the batch dim (0, or 1 for [T, N, ...]). */
function stack(samples: Float32Array[], batchDim: 0 | 1, outer: number): Float32Array {
  if (batchDim === 0) {
    const out = new Float32Array(samples.reduce((n, s) => n + s.length, 0));
    samples.forEach((s, i) => out.set(s, i * s.length));
    return out;
  }
  // [T, 1, F] samples → [T, N, F]: for each step, the samples' rows in turn.
  const row = samples[0].length / outer;
  const out = new Float32Array(samples.length * samples[0].length);
  for (let t = 0; t < outer; t++) samples.forEach((s, n) => out.set(s.subarray(t * row, (t + 1) * row), (t * samples.length + n) * row));
  return out;
}

/** Sample `n` of a batch along `batchDim`. */
function unstack(data: Float32Array, batchDim: 0 | 1, outer: number, batch: number, n: number): Float32Array {
  const per = data.length / batch;
  if (batchDim === 0) return data.slice(n * per, (n + 1) * per);
  const row = per / outer;
  const out = new Float32Array(per);
  for (let t = 0; t < outer; t++) out.set(data.subarray((t * batch + n) * row, (t * batch + n + 1) * row), t * row);
  return out;
}

const withBatch = (shape: number[], dim: 0 | 1, batch: number) => shape.map((d, k) => (k === dim ? batch : d));

async function output(session: nn.Session, x: Tensor): Promise<Tensor> {
  const y = await session.run(x);
  x.dispose();
  if (!(y instanceof nn.Tensor)) throw new Error('expected one output tensor');
  return y;
}

describe('every model runs on the CPU at batch 1 and 2', () => {
  for (const c of CASES) {
    const name = c.name;
    test(name, async () => {
      const rng = new Random(7);
      const session = await nn.compile(c.build(), cpu);
      const outer = c.batchDim === 1 ? c.input[0] : 1;
      const samples = [c.sample(rng, sizeOf(c.input)), c.sample(rng, sizeOf(c.input))];

      const y2 = await output(session, cpu.tensor(stack(samples, c.batchDim, outer), withBatch(c.input, c.batchDim, 2)));
      expect(y2.shape).toEqual(withBatch(c.output, c.batchDim, 2));
      const batched = await y2.data();
      expect(batched.every(Number.isFinite), 'finite outputs').toBe(true);

      const rows: Float32Array[] = [];
      for (let n = 0; n < 2; n++) {
        const y1 = await output(session, cpu.tensor(samples[n], c.input));
        expect(y1.shape).toEqual(c.output);
        rows.push(await y1.data());
        expectClose(unstack(batched, c.batchDim, outer, 2, n), rows[n], `${name}: batch row ${n}`);
        y1.dispose();
      }
      // The outputs depend on the input, not only on the last biases. (Weakly for the sigmoid
      // LeNet and LeNet-5 at their initialisation: 1e-4 of the output; a vanished signal is far less.)
      const scale = Math.max(...rows[0].map(Math.abs));
      const spread = Math.max(...rows[0].map((v, i) => Math.abs(v - rows[1][i])));
      expect(spread, `${name}: outputs of different samples (largest |y| ${scale})`).toBeGreaterThan(1e-5 * scale);
      y2.dispose();
      session.dispose();
    });
  }
});

test('a recurrent model re-plans for another sequence length and batch; other dims are a ShapeError', async () => {
  const session = await nn.compile(nn.models.gru({ seqLength: 4 }), cpu);
  const y = await output(session, cpu.tensor(new Float32Array(9 * 3 * 28), [9, 3, 28]));
  expect(y.shape).toEqual([9, 3, 28]);
  y.dispose();
  await expect(session.run(cpu.tensor(new Float32Array(9 * 3 * 5), [9, 3, 5]))).rejects.toThrow(/expects \[T, N, 28\]/);
  session.dispose();
});
