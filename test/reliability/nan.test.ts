// Defect 7 of issue 13: WebGPU lost NaN (relu, sigmoid, tanh, clip and max pooling of NaN gave
// finite numbers on SwiftShader; LeNet with one NaN pixel returned normal-looking scores). NaN
// and ±∞ now propagate as in PyTorch on both backends: every op here gets NaN, +∞ and −∞ among
// ordinary values, and WebGPU must give exactly what the CPU reference gives (NaN where NaN,
// the same infinities; finite values within the usual tolerance).
import { beforeAll, describe, expect, it } from 'vitest';
import * as nn from '../../src/index';
import type { WebGpuBackend } from '../../src/backends/webgpu/webgpuBackend';
import { createGpuBackend } from '../gpu';
import { cpu, expectClose } from '../helpers';

let gpu: WebGpuBackend;
beforeAll(async () => {
  // 'gpu' tuning: the GPU kernel variants too (tiled matmul and conv), not only SwiftShader's.
  gpu = await createGpuBackend({ tuning: 'gpu' });
});

/** Ordinary values with NaN and ±∞ mixed in at fixed places. */
function hostile(n: number): Float32Array {
  const specials = [NaN, Infinity, -Infinity];
  return new Float32Array(n).map((_, i) => (i % 5 === 2 ? specials[(i / 5) % 3 | 0] : Math.sin(i * 1.7) * 3));
}

type Op = (b: nn.Backend, x: nn.Tensor) => nn.Tensor;

/** Runs `op` on the same data on both backends; NaN must stay NaN and infinities the same. */
async function expectSameSpecials(what: string, shape: number[], op: Op, data = hostile(shape.reduce((a, d) => a * d, 1))): Promise<Float32Array> {
  const want = await op(cpu, cpu.tensor(data, shape)).data();
  const got = await op(gpu, gpu.tensor(data, shape)).data();
  expectClose(got, want, what);
  return want;
}

const nanCount = (a: Float32Array) => a.reduce((n, v) => n + (Number.isNaN(v) ? 1 : 0), 0);

describe('defect 7: NaN and ±∞ propagate on WebGPU exactly as on the CPU (PyTorch semantics)', () => {
  it('activations: relu, sigmoid, tanh, leakyRelu, clip keep NaN and map ±∞ as PyTorch does', async () => {
    const ops: [string, Op][] = [
      ['relu', (b, x) => b.ops.relu(x)],
      ['sigmoid', (b, x) => b.ops.sigmoid(x)],
      ['tanh', (b, x) => b.ops.tanh(x)],
      ['leakyRelu', (b, x) => b.ops.leakyRelu(x, { negativeSlope: 0.1 })],
      ['clip', (b, x) => b.ops.clip(x, { min: -0.5, max: 0.5 })],
    ];
    for (const [name, op] of ops) {
      const out = await expectSameSpecials(name, [3, 20], op);
      expect(nanCount(out), name).toBe(4); // exactly the NaN inputs
    }
    // The values PyTorch gives, spelled out once.
    const x = gpu.tensor([NaN, Infinity, -Infinity], [3]);
    expect(Array.from(await gpu.ops.relu(x).data())).toEqual([NaN, Infinity, 0]);
    expect(Array.from(await gpu.ops.sigmoid(x).data())).toEqual([NaN, 1, 0]);
    expect(Array.from(await gpu.ops.tanh(x).data())).toEqual([NaN, 1, -1]);
    expect(Array.from(await gpu.ops.clip(x, { min: -1, max: 1 }).data())).toEqual([NaN, 1, -1]);
  });

  it('fused epilogues: conv and linear followed by an activation keep a NaN that the product carries', async () => {
    for (const act of ['relu', 'sigmoid', 'tanh', 'clip'] as const) {
      const layers = [nn.layers.conv2d(3, 4, 3, { padding: 1 }), act === 'clip' ? nn.layers.relu() : nn.layers[act](), nn.layers.flatten(), nn.layers.linear(4 * 36, 5), nn.layers.relu()];
      const model = nn.sequential(layers, { inputShape: [3, 6, 6], seed: 5 });
      const data = new Float32Array(2 * 3 * 36).map((_, i) => Math.sin(i));
      data[40] = NaN; // one NaN pixel in the first sample only
      const outs = [];
      for (const backend of [cpu, gpu] as nn.Backend[]) {
        const session = await nn.compile(model, backend);
        outs.push(await ((await session.run(backend.tensor(data, [2, 3, 6, 6]))) as nn.Tensor).data());
        session.dispose();
      }
      expectClose(outs[1], outs[0], act);
      expect(outs[0].slice(0, 5).every(Number.isNaN), `${act}: the NaN sample`).toBe(true);
      expect(outs[0].slice(5).some(Number.isNaN), `${act}: the clean sample`).toBe(false);
    }
  });

  it('conv2d, linear and matmul propagate NaN and ±∞ (including ∞·0 = NaN)', async () => {
    const w4 = (b: nn.Backend) => b.tensor(new Float32Array(2 * 3 * 2 * 2).map((_, i) => (i % 7 === 3 ? 0 : Math.cos(i))), [2, 3, 2, 2]);
    await expectSameSpecials('conv2d', [1, 3, 5, 5], (b, x) => b.ops.conv2d(x, w4(b), null, { padding: 1 }));
    const w = (b: nn.Backend) => b.tensor(new Float32Array(6 * 8).map((_, i) => (i % 5 === 0 ? 0 : Math.sin(i))), [6, 8]);
    await expectSameSpecials('linear', [4, 8], (b, x) => b.ops.linear(x, w(b), null));
    await expectSameSpecials('matmul', [2, 3, 8], (b, x) => b.ops.matmul(x, b.tensor(new Float32Array(8 * 4).fill(0.5), [8, 4])));
  });

  it('max pooling (windowed and global) lets NaN win; average pooling carries it', async () => {
    await expectSameSpecials('maxPool2d', [2, 3, 6, 6], (b, x) => b.ops.maxPool2d(x, { kernelSize: 3, stride: 2, padding: 1 }));
    await expectSameSpecials('avgPool2d', [2, 3, 6, 6], (b, x) => b.ops.avgPool2d(x, { kernelSize: 2 }));
    await expectSameSpecials('globalMaxPool2d small', [2, 3, 5, 5], (b, x) => b.ops.globalMaxPool2d(x));
    // Large planes take the workgroup reduction; one NaN in the middle of one plane.
    const big = new Float32Array(2 * 64 * 64).map((_, i) => Math.sin(i));
    big[2000] = NaN;
    big[64 * 64 + 17] = Infinity;
    const out = await expectSameSpecials('globalMaxPool2d large', [1, 2, 64, 64], (b, x) => b.ops.globalMaxPool2d(x), big);
    expect(Array.from(out)).toEqual([NaN, Infinity]);
  });

  it('softmax and logSoftmax: a line with a NaN (or ∞ − ∞) is NaN throughout, short lines and long', async () => {
    await expectSameSpecials('softmax dim -1', [6, 5], (b, x) => b.ops.softmax(x, { dim: -1 }));
    await expectSameSpecials('softmax dim 0', [6, 5], (b, x) => b.ops.softmax(x, { dim: 0 }));
    await expectSameSpecials('logSoftmax', [6, 5], (b, x) => b.ops.logSoftmax(x, { dim: -1 }));
    // 1000 classes (one workgroup per line): NaN in line 0, +∞ in line 1, all −∞ in line 2, clean line 3.
    const n = 1000;
    const data = new Float32Array(4 * n).map((_, i) => Math.sin(i));
    data[123] = NaN;
    data[n + 400] = Infinity;
    data.fill(-Infinity, 2 * n, 3 * n);
    for (const log of [false, true]) {
      const out = await expectSameSpecials(`${log ? 'logSoftmax' : 'softmax'} 1000`, [4, n], (b, x) => (log ? b.ops.logSoftmax(x, { dim: 1 }) : b.ops.softmax(x, { dim: 1 })), data);
      expect(out.slice(0, n).every(Number.isNaN)).toBe(true);
      expect(out.slice(3 * n).some(Number.isNaN)).toBe(false);
    }
  });

  it('localResponseNorm and batchNorm2d carry NaN across the window', async () => {
    await expectSameSpecials('localResponseNorm', [1, 6, 3, 3], (b, x) => b.ops.localResponseNorm(x, { size: 3, alpha: 1e-2, beta: 0.75, k: 1 }));
    const stat = (b: nn.Backend, v: number[]) => b.tensor(v, [3]);
    await expectSameSpecials('batchNorm2d', [2, 3, 2, 2], (b, x) =>
      b.ops.batchNorm2d(x, { weight: stat(b, [1, 2, 0.5]), bias: stat(b, [0, 1, -1]), runningMean: stat(b, [0.1, 0, -0.2]), runningVar: stat(b, [1, 2, 0.5]), eps: 1e-5 }),
    );
  });

  it('LSTM, GRU and RNN gates propagate a NaN input through the rest of the sequence', async () => {
    const T = 5, N = 2, I = 3, H = 4;
    const data = new Float32Array(T * N * I).map((_, i) => Math.sin(i));
    data[1 * N * I + 0] = NaN; // t = 1, batch row 0
    data[3 * N * I + I + 1] = Infinity; // t = 3, batch row 1
    for (const [kind, G] of [['lstm', 4], ['gru', 3], ['rnn', 1]] as const) {
      const outs: Float32Array[] = [];
      for (const b of [cpu, gpu] as nn.Backend[]) {
        const p = (shape: number[], seed: number) => b.tensor(new Float32Array(shape.reduce((a, d) => a * d, 1)).map((_, i) => Math.sin(i * seed) * 0.5), shape);
        const params = { weight_ih_l0: p([G * H, I], 1.3), weight_hh_l0: p([G * H, H], 0.7), bias_ih_l0: p([G * H], 0.3), bias_hh_l0: p([G * H], 0.9) };
        const x = b.tensor(data, [T, N, I]);
        const r = kind === 'lstm' ? b.ops.lstm(x, params, { hiddenSize: H }) : kind === 'gru' ? b.ops.gru(x, params, { hiddenSize: H }) : b.ops.rnn(x, params, { hiddenSize: H });
        outs.push(await r.output.data());
      }
      expectClose(outs[1], outs[0], kind);
      // Row 0 is NaN from t = 1 on, as PyTorch gives; t = 0 is clean.
      expect(outs[0].slice(0, H).some(Number.isNaN), `${kind} t=0`).toBe(false);
      expect(outs[0].slice(N * H, N * H + H).every(Number.isNaN), `${kind} t=1`).toBe(true);
    }
  });

  it('LeNet with one NaN pixel returns NaN scores for that image on both backends, normal ones for the other', async () => {
    const model = nn.models.lenet({ activation: 'relu', pooling: 'max' });
    const data = new Float32Array(2 * 784).map((_, i) => (i % 17) / 17);
    data[300] = NaN;
    for (const b of [cpu, gpu] as nn.Backend[]) {
      const session = await nn.compile(model, b);
      const scores = await ((await session.run(b.tensor(data, [2, 1, 28, 28]))) as nn.Tensor).data();
      expect(scores.slice(0, 10).every(Number.isNaN), b.name).toBe(true);
      expect(scores.slice(10).every(Number.isFinite), b.name).toBe(true);
      session.dispose();
    }
  });
});
