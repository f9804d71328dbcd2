// Whole-op timing of the shipped WebGPU LSTM (projection GEMM, then the steps: one sequence dispatch
// on software adapters, one dispatch per time step on GPUs):
// eager (ops.lstm then data()) and compiled (nn.compile of a one-layer model, session.run then
// data()), T = 28 (--steps), with the dispatches each run records. Median of several trials, each of
// `reps` sequences; the first call of each is a warm-up (pipelines).
//
//   npx vite build -c bench/lab/recurrent/vite.config.ts && node bench/lab/recurrent/dist/seq.js [--cases 1x28x128,…]  (N x I x H) [--steps T] [--mode lstm|gru|rnn]
import * as nn from '../../../src/index';
import { Random } from '../../../src/random';
import type { Tensor } from '../../../src/tensor';
import { medianAndBest, openBackend, option, runLab } from '../harness';


async function median(trials: number, reps: number, once: () => Promise<void>): Promise<number> {
  await once();
  const times: number[] = [];
  for (let t = 0; t < trials; t++) {
    const t0 = performance.now();
    for (let r = 0; r < reps; r++) await once();
    times.push((performance.now() - t0) / reps);
  }
  return medianAndBest(times).median;
}

async function main(): Promise<void> {
  const cases = option('cases', '1x28x128,64x28x128').split(',').map((s) => s.split('x').map(Number) as [number, number, number]);
  const reps = Number(option('reps', '5'));
  const T = Number(option('steps', '28'));
  const mode = option('mode', 'lstm') as 'lstm' | 'gru' | 'rnn';
  const gpu = await openBackend();
  for (const [N, I, H] of cases) {
    const model = nn.sequential([nn.layers[mode](I, H)], { inputShape: [N, I], seed: 1 });
    const params: Record<string, Tensor> = {};
    for (const [name, e] of model.stateDict()) params[name.slice(2)] = gpu.tensor(e.data, e.shape as number[]);
    const x = gpu.tensor(new Random(1).fill(T * N * I), [T, N, I]);

    const before = gpu.counters.dispatches;
    const probe = gpu.ops[mode](x, params, { hiddenSize: H });
    await probe.output.data();
    for (const t of Object.values(probe)) t.dispose();
    const eagerDispatches = gpu.counters.dispatches - before;
    const eager = await median(5, reps, async () => {
      const r = gpu.ops[mode](x, params, { hiddenSize: H });
      await r.output.data();
      for (const t of Object.values(r)) t.dispose();
    });

    const session = await nn.compile(model, gpu);
    const exe = await session.executableFor([[T, N, I]]);
    const compiled = await median(5, reps, async () => {
      const y = (await session.run(x)) as Tensor;
      await y.data();
      y.dispose();
    });
    const macs = T * N * { lstm: 4, gru: 3, rnn: 1 }[mode] * H * (I + H);
    console.log(
      `${mode} T=${T} N=${N} I=${I} H=${H}: eager ${eager.toFixed(3)} ms/sequence (${eagerDispatches} dispatches), compiled ${compiled.toFixed(3)} ms/sequence (${exe.stats.dispatches} dispatches), ${((2 * macs) / (compiled * 1e6)).toFixed(2)} GFLOP/s compiled`,
    );
    session.dispose();
  }
  gpu.dispose();
}

runLab(main);
