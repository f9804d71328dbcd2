// The one runner of the op-case table (test/ops/cases.ts): every row on the CPU against the op's
// oracle, and on WebGPU against the CPU (with the GPU tuning as well where the row asks), by
// DESIGN.md's rule |got − ref| ≤ 1e-4 + 1e-3·max|ref|; the CPU with its wasm kernels and with the
// TypeScript ones. Every op of the op table must have rows.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../../src/backends/webgpu/webgpuBackend';
import { makeOps } from '../../src/ops/index';
import type { OpDef, OpRunner } from '../../src/ops/op';
import type { OracleResult } from '../../src/ops/oracle';
import type { Tensor } from '../../src/tensor';
import { createGpuBackend } from '../gpu';
import { cpu, cpuTypescript, expectClose } from '../helpers';
import { CALLS, inputData, ORACLES, ROWS, type OpCase, type OpName } from './cases';

type Backend = typeof cpu | WebGpuBackend;

const describeRow = (row: OpCase, i: number) => {
  const shapes = Object.entries(row.inputs).map(([k, s]) => `${k} [${'shape' in s ? s.shape : s}]`);
  const opts = row.options && Object.keys(row.options).length > 0 ? ` ${JSON.stringify(row.options)}` : '';
  return `#${i} ${shapes.join(' ')}${opts}${row.note ? ` (${row.note})` : ''}`;
};

/** The row's op on `b`, its outputs by name ('y' for a single tensor). */
function runRow(b: Backend, row: OpCase, i: number): Record<string, Tensor> {
  const t = Object.fromEntries(Object.entries(inputData(row, i)).map(([k, v]) => [k, b.tensor(v.data, v.shape)]));
  const out = CALLS[row.op](b.ops, t, row.options ?? {}, b as OpRunner<Tensor>);
  for (const input of Object.values(t)) input.dispose(); // queued work keeps what it reads
  return 'shape' in out ? { y: out as Tensor } : (out as Record<string, Tensor>);
}

async function compare(got: Record<string, Tensor>, want: Record<string, { shape: readonly number[]; data: ArrayLike<number> | Promise<ArrayLike<number>> }>, what: string) {
  expect(Object.keys(got).sort(), what).toEqual(Object.keys(want).sort());
  for (const [k, g] of Object.entries(got)) {
    expect(g.shape, `${what}: ${k} shape`).toEqual(want[k].shape);
    expectClose(await g.data(), await want[k].data, `${what}: ${k}`);
    g.dispose();
  }
}

const byOp = new Map<OpName, [OpCase, number][]>();
ROWS.forEach((row, i) => byOp.set(row.op, [...(byOp.get(row.op) ?? []), [row, i]]));

describe('the op-case table', () => {
  it('has rows, a call and an oracle for every op of the op table, and nothing else', () => {
    const probe: OpRunner<{ shape: number[] }> = { runOp: <A>(_op: OpDef<A>) => [] };
    const ops = Object.keys(makeOps(probe)).sort();
    expect(Object.keys(CALLS).sort()).toEqual(ops);
    expect(Object.keys(ORACLES).sort()).toEqual(ops);
    expect([...byOp.keys()].sort()).toEqual(ops);
    const counts = ops.map((op) => `${op} ${byOp.get(op as OpName)!.length}`);
    console.log(`op-case table: ${ROWS.length} rows; per op: ${counts.join(', ')}`);
  });
});

const table = [...byOp.keys()].map((op) => [op, byOp.get(op)!.map(([row, i]) => [describeRow(row, i), row, i] as const)] as const);

// The CPU backend twice: with its wasm kernels (the default) and with the TypeScript ones.
describe.each([
  ['wasm', cpu],
  ['typescript', cpuTypescript],
] as const)('CPU (%s kernels) vs oracle', (_kernels, backend) => {
  describe.each(table)('%s', (op, rows) => {
    it.each(rows)('%s', async (name, row, i) => {
      const got = runRow(backend, row, i);
      const oracle = ORACLES[row.op](inputData(row, i), row.options ?? {});
      const want = 'shape' in oracle ? { y: oracle as OracleResult } : (oracle as Record<string, OracleResult>);
      await compare(got, want, `${op} ${name}`);
    });
  });
});

// One backend (and one with the GPU tuning) for every row: pipelines compiled for one op serve
// the others (the GEMM behind matmul, linear and 1×1 convolutions), which SwiftShader makes count.
describe('WebGPU vs CPU', () => {
  let gpu: WebGpuBackend;
  let gpuTuned: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
    gpuTuned = await createGpuBackend({ tuning: 'gpu' });
  });
  afterAll(() => {
    gpu?.dispose();
    gpuTuned?.dispose();
  });

  describe.each(table)('%s', (op, rows) => {
    it.each(rows)('%s', async (name, row, i) => {
      const want = runRow(cpu, row, i);
      const wanted = Object.fromEntries(Object.entries(want).map(([k, t]) => [k, { shape: t.shape, data: t.data() }]));
      await compare(runRow(gpu, row, i), wanted, `${op} ${name}`);
      if (row.gpuTuning) await compare(runRow(gpuTuned, row, i), wanted, `${op} ${name} (GPU tuning)`);
    });
  });
});
