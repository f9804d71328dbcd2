// fuseMatmulBias (graph/passes.ts): ONNX exports of nn.Linear on 3-D inputs are MatMul + Add; the
// pass makes them one linear (bias in the GEMM's epilogue). Fused and unfused compiles of the
// imported recurrent models give the same outputs, NaN and ±∞ included, with one dispatch fewer.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { fuseMatmulBias } from '../src/graph/passes';
import * as nn from '../src/index';
import { linearOp } from '../src/ops/gemm/linear';
import { matmulOp } from '../src/ops/gemm/matmul';
import { binaryOp } from '../src/ops/elementwise/binary';
import { createGpuBackend } from './gpu';
import { cpu, expectClose } from './helpers';
import { torchModelBytes } from './onnx/torchExports';

const DATA = join(__dirname, 'data', 'onnx', 'torch');

describe('matmul + bias add as one linear (imported ONNX models)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  it.each(['gru_2layer_bidirectional'])('%s: the head is one linear; fused and unfused agree with the CPU, NaN and ±∞ included, one dispatch fewer', async (name) => {
    const fixture = JSON.parse(readFileSync(join(DATA, `${name}.json`), 'utf8')) as { runs: { input: { shape: number[]; data: number[] } }[] };
    const { shape, data } = fixture.runs[0].input;
    const x = Float32Array.from(data);
    x[1] = NaN;
    x[x.length - 2] = Infinity;
    const model = await nn.importOnnx(torchModelBytes(name));
    const outputs: Float32Array[] = [];
    const dispatches: number[] = [];
    for (const optimize of [true, false]) {
      const session = await nn.compile(model, gpu, { optimize });
      const ops = session.graph.nodes.map((n) => n.op.name);
      expect(ops.includes(linearOp.name), `optimize ${optimize}: a linear`).toBe(optimize);
      expect(ops.includes(matmulOp.name) || ops.includes(binaryOp.name), `optimize ${optimize}: matmul, add`).toBe(!optimize);
      const exe = await session.executableFor([shape]);
      dispatches.push(exe.stats.dispatches ?? -1);
      outputs.push(await ((await session.run(gpu.tensor(x, shape))) as nn.Tensor).data());
      session.dispose();
    }
    const reference = await nn.compile(model, cpu, { optimize: false });
    const want = await ((await reference.run(cpu.tensor(x, shape))) as nn.Tensor).data();
    expect(want.some(Number.isNaN)).toBe(true);
    expectClose(outputs[0], want, `${name} fused vs CPU`);
    expectClose(outputs[1], want, `${name} unfused vs CPU`);
    expect(dispatches[0]).toBe(dispatches[1] - 1);
  }, 120_000);

  it('leaves a matmul alone whose product is read twice, or whose bias is no parameter', async () => {
    const model = await nn.importOnnx(torchModelBytes('lstm_1layer'));
    const session = await nn.compile(model, cpu, { optimize: false });
    const graph = session.graph;
    const mm = graph.nodes.find((n) => n.op === matmulOp)!;
    const add = graph.nodes.find((n) => n.op === binaryOp)!;
    expect(fuseMatmulBias(graph).nodes.some((n) => n.op === linearOp)).toBe(true);
    // The product also a graph output: read twice.
    const twice = { ...graph, outputs: [...graph.outputs, { name: 'product', id: mm.outputs[0] }] };
    expect(fuseMatmulBias(twice)).toBe(twice);
    // The bias a node value (the add reads the product twice).
    const selfAdd = { ...graph, nodes: graph.nodes.map((n) => (n === add ? { ...n, inputs: [mm.outputs[0], mm.outputs[0]] } : n)) };
    expect(fuseMatmulBias(selfAdd)).toBe(selfAdd);
    session.dispose();
  });
});
