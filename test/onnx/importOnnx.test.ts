// nn.importOnnx's model: summary, weights by initializer name, refusals, input checks (CPU).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { compile, importOnnx, Tensor } from '../../src/index';
import { DATA_TYPE, decodeModel, encodeModel, type ModelProto, type NodeProto, type TensorProto } from '../../src/io/onnx/proto';
import { readSafetensors, writeSafetensors, float32Tensor } from '../../src/io/safetensors';
import { cpu, expectClose } from '../helpers';

const TORCH = join(__dirname, '..', 'data', 'onnx', 'torch');
const lenetBytes = () => readFileSync(join(TORCH, 'lenet.onnx'));

function floatTensor(name: string, dims: number[], values: number[]): TensorProto {
  return { name, dims, data_type: DATA_TYPE.FLOAT, raw_data: new Uint8Array(Float32Array.from(values).buffer) };
}

/** A one-input model over x [N, 4] (N dynamic) with these nodes and initializers. */
function model(nodes: NodeProto[], initializer: TensorProto[] = [], opset = 17, output = 'y'): Uint8Array {
  const proto: ModelProto = {
    ir_version: 8,
    opset_import: [{ domain: '', version: opset }],
    graph: {
      name: 'test',
      node: nodes,
      initializer,
      input: [{ name: 'x', type: { tensor_type: { elem_type: DATA_TYPE.FLOAT, shape: { dim: [{ dim_param: 'N' }, { dim_value: 4 }] } } } }],
      output: [{ name: output, type: { tensor_type: { elem_type: DATA_TYPE.FLOAT } } }],
    },
  };
  return encodeModel(proto);
}

describe('importOnnx', () => {
  it("summarises LeNet by ONNX node, with torch's parameter count", async () => {
    const lenet = await importOnnx(lenetBytes());
    const s = lenet.summary();
    expect(s.totalParams).toBe(61706);
    expect(s.layers.map((l) => l.type)).toEqual(['Conv', 'Sigmoid', 'Pad', 'AveragePool', 'Conv', 'Relu', 'MaxPool', 'Reshape', 'Gemm', 'Relu', 'Gemm', 'Relu', 'Gemm']);
    const conv1 = s.layers[0];
    expect(conv1).toMatchObject({ name: '/conv1/Conv', outputShape: [1, 6, 28, 28], params: 156, macs: 6 * 28 * 28 * 25 });
    expect(s.layers.at(-1)!.outputShape).toEqual([1, 10]);
    expect(String(s)).toContain('/fc1/Gemm');
    expect(lenet.inputs).toEqual([{ name: 'input', dims: ['N', 1, 28, 28] }]);
  });

  it('reads the file from a Uint8Array view at an odd offset and from an ArrayBuffer', async () => {
    const bytes = lenetBytes();
    const padded = new Uint8Array(bytes.length + 3);
    padded.set(bytes, 1);
    const fromView = await importOnnx(padded.subarray(1, 1 + bytes.length));
    const fromBuffer = await importOnnx(padded.slice(1, 1 + bytes.length).buffer);
    expect(fromView.stateDict().get('conv1.weight')!.data).toEqual(fromBuffer.stateDict().get('conv1.weight')!.data);
    expect(fromView.summary().totalParams).toBe(61706);
  });

  it('traces a model with dynamic height and width at options.inputShapes, and runs it with PyTorch\'s outputs', async () => {
    const proto = decodeModel(lenetBytes());
    const dims = proto.graph!.input![0].type!.tensor_type!.shape!.dim!;
    dims[2] = { dim_param: 'H' };
    dims[3] = { dim_param: 'W' };
    const bytes = encodeModel(proto);
    // At 1×1 the 5×5 convolution does not fit: compile needs the shapes to trace with.
    await expect(compile(await importOnnx(bytes), cpu)).rejects.toMatchObject({ name: 'ShapeError' });
    await expect(importOnnx(bytes, { inputShapes: { input: [1, 2, 28, 28] } })).rejects.toMatchObject({ name: 'ShapeError', message: expect.stringMatching(/\[N, 1, H, W\]/) });
    await expect(importOnnx(bytes, { inputShapes: { x: [1, 1, 28, 28] } })).rejects.toMatchObject({ name: 'ShapeError' });
    const lenet = await importOnnx(bytes, { inputShapes: { input: [1, 1, 28, 28] } });
    expect(lenet.summary().layers.at(-1)!.outputShape).toEqual([1, 10]);
    const fixture = JSON.parse(readFileSync(join(TORCH, 'lenet.json'), 'utf8')) as { runs: { input: { shape: number[]; data: number[] }; output: { data: number[] } }[] };
    const session = await compile(lenet, cpu);
    const run = fixture.runs[1];
    const y = (await session.run(cpu.tensor(Float32Array.from(run.input.data), run.input.shape))) as Tensor;
    expectClose(await y.data(), run.output.data);
    session.dispose();
  });

  it('saves and loads weights under the initializer names', async () => {
    const lenet = await importOnnx(lenetBytes());
    const file = readSafetensors(lenet.saveWeights());
    expect([...file.tensors.keys()]).toEqual(['conv1.weight', 'conv1.bias', 'conv2.weight', 'conv2.bias', 'fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias', 'fc3.weight', 'fc3.bias']);
    // Zero weights everywhere but fc3's bias: every output row is that bias.
    const bias = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    const zeroed = [...file.tensors].map(([name, t]) => [name, float32Tensor(t.shape, name === 'fc3.bias' ? Float32Array.from(bias) : new Float32Array(t.data.length / 4))] as const);
    await lenet.loadWeights(writeSafetensors(zeroed));
    const session = await compile(lenet, cpu);
    const y = (await session.run(cpu.tensor(new Float32Array(2 * 784).fill(1), [2, 1, 28, 28]))) as Tensor;
    expectClose(await y.data(), [...bias, ...bias]);
    await expect(lenet.loadWeights(writeSafetensors(zeroed.slice(1)))).rejects.toThrow(/missing key.*conv1\.weight/);
    session.dispose();
  });

  it('lists every unsupported node type with its opset in one UnsupportedError', async () => {
    const bytes = model([
      { op_type: 'Softplus', input: ['x'], output: ['a'] },
      { op_type: 'Relu', input: ['a'], output: ['b'] },
      { op_type: 'Softplus', input: ['b'], output: ['c'] },
      { op_type: 'Einsum', input: ['c'], output: ['d'] },
      { op_type: 'FusedConv', domain: 'com.microsoft', input: ['d'], output: ['y'] },
    ]);
    await expect(importOnnx(bytes)).rejects.toMatchObject({
      name: 'UnsupportedError',
      message: expect.stringMatching(/3 unsupported node types: Softplus \(opset 17, 2 nodes\), Einsum \(opset 17, 1 node\), com\.microsoft::FusedConv/),
    });
  });

  it('refuses opsets outside 6 to 25, integer inputs and malformed graphs with typed errors', async () => {
    const relu = [{ op_type: 'Relu', input: ['x'], output: ['y'] }];
    await expect(importOnnx(model(relu, [], 5))).rejects.toMatchObject({ name: 'UnsupportedError', message: expect.stringMatching(/opset 5/) });
    await expect(importOnnx(model(relu, [], 26))).rejects.toMatchObject({ name: 'UnsupportedError' });
    await expect(importOnnx(model([{ op_type: 'Relu', input: ['nowhere'], output: ['y'] }]))).rejects.toMatchObject({
      name: 'ModelFormatError',
      message: expect.stringMatching(/'nowhere' is not defined/),
    });
    await expect(importOnnx(model(relu, [], 17, 'z'))).rejects.toMatchObject({ name: 'ModelFormatError' });
    const truncatedWeight = { ...floatTensor('w', [4, 3], [1, 2, 3]) };
    await expect(importOnnx(model([{ op_type: 'MatMul', input: ['x', 'w'], output: ['y'] }], [truncatedWeight]))).rejects.toMatchObject({
      name: 'ModelFormatError',
      message: expect.stringMatching(/'w'.*needs 48 bytes, raw_data has 12/),
    });
    await expect(importOnnx('model.onnx' as unknown as Uint8Array)).rejects.toMatchObject({ name: 'ModelFormatError' });
    // Folding is bounded: ConstantOfShape of [65536, 65536] is refused before anything is made.
    const huge: TensorProto = { name: 'huge', dims: [2], data_type: DATA_TYPE.INT64, raw_data: new Uint8Array(BigInt64Array.from([65536n, 65536n]).buffer) };
    await expect(importOnnx(model([{ op_type: 'ConstantOfShape', input: ['huge'], output: ['c'] }, { op_type: 'Add', input: ['x', 'c'], output: ['y'] }], [huge]))).rejects.toMatchObject({
      name: 'UnsupportedError',
      message: expect.stringMatching(/more than 16777216 elements/),
    });
  });

  it('folds shape glue and runs it per batch: Shape → Gather → Unsqueeze → Concat → Reshape, Expand, ConstantOfShape', async () => {
    // y = reshape(x, [N, 2, 2]) expanded to [N, 2, 2] and added to ConstantOfShape([N, 2, 2]) of 0.5, flattened back.
    const int64 = (name: string, values: number[]): TensorProto => ({ name, dims: [values.length], data_type: DATA_TYPE.INT64, raw_data: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer) });
    const bytes = model(
      [
        { op_type: 'Shape', input: ['x'], output: ['s'] },
        { op_type: 'Gather', input: ['s', 'zero'], output: ['n'], attribute: [{ name: 'axis', type: 2, i: 0 }] },
        { op_type: 'Unsqueeze', input: ['n', 'zeroAxis'], output: ['n1'] },
        { op_type: 'Concat', input: ['n1', 'twoTwo'], output: ['shape'], attribute: [{ name: 'axis', type: 2, i: 0 }] },
        { op_type: 'Reshape', input: ['x', 'shape'], output: ['r'] },
        { op_type: 'ConstantOfShape', input: ['shape'], output: ['half'], attribute: [{ name: 'value', type: 4, t: floatTensor('', [1], [0.5]) }] },
        { op_type: 'Expand', input: ['r', 'shape'], output: ['e'] },
        { op_type: 'Add', input: ['e', 'half'], output: ['a'] },
        { op_type: 'Flatten', input: ['a'], output: ['y'] },
      ],
      [{ ...int64('zero', [0]), dims: [] }, int64('zeroAxis', [0]), int64('twoTwo', [2, 2])],
    );
    const m = await importOnnx(bytes);
    const prepare = vi.spyOn(cpu, 'prepareGraph');
    const session = await compile(m, cpu);
    for (const n of [1, 3]) {
      const x = cpu.tensor(Float32Array.from({ length: n * 4 }, (_, i) => i), [n, 4]);
      const y = (await session.run(x)) as Tensor;
      expect(y.shape).toEqual([n, 4]);
      expectClose(await y.data(), Array.from({ length: n * 4 }, (_, i) => i + 0.5));
    }
    await expect(session.run(cpu.tensor(new Float32Array(10), [2, 5]))).rejects.toMatchObject({ name: 'ShapeError', message: expect.stringMatching(/\[N, 4\]/) });
    // The folded reshape target and zeros depend on N: batch 3 has a graph (and weights) of its own.
    expect(prepare).toHaveBeenCalledTimes(2);
    session.dispose();
    prepare.mockRestore();
  });

  it('plans a re-traced graph that is the same computation with the compiled one (no second copy of the weights)', async () => {
    const w = floatTensor('w', [4, 3], Array.from({ length: 12 }, (_, i) => i / 10));
    const m = await importOnnx(model([{ op_type: 'MatMul', input: ['x', 'w'], output: ['h'] }, { op_type: 'Relu', input: ['h'], output: ['y'] }], [w]));
    const prepare = vi.spyOn(cpu, 'prepareGraph');
    const session = await compile(m, cpu);
    const y = (await session.run(cpu.tensor(Float32Array.from({ length: 20 }, (_, i) => i - 10), [5, 4]))) as Tensor;
    expect(y.shape).toEqual([5, 3]);
    const want = Array.from({ length: 15 }, (_, k) => {
      const [r, c] = [Math.floor(k / 3), k % 3];
      return Math.max(0, [0, 1, 2, 3].reduce((sum, i) => sum + (r * 4 + i - 10) * Math.fround((i * 3 + c) / 10), 0));
    });
    expectClose(await y.data(), want);
    expect(prepare).toHaveBeenCalledTimes(1);
    session.dispose();
    prepare.mockRestore();
  });
});
