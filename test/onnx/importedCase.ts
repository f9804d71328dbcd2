// A conformance case through the whole importer: its original model.onnx and test_data_set_0
// .pb files (test/data/onnx/conformance) → nn.importOnnx → compile → run. As on the node path
// (conformanceCases.ts), the first input runs as a tensor and the others are constants: they
// become initializers of the model before it is imported, as an exporter would write them.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile, importOnnx, Tensor } from '../../src/index';
import { decodeModel, decodeTensor, encodeModel } from '../../src/io/onnx/proto';
import type { Backend } from '../../src/backends/createBackend';
import type { CaseRunner } from '../conformanceCases';

const DATA = join(__dirname, '..', 'data', 'onnx', 'conformance');

export const runImported: CaseRunner = async (b, c, made) => {
  const dir = join(DATA, c.folder, c.case);
  const proto = decodeModel(readFileSync(join(dir, 'model.onnx')));
  const graph = proto.graph!;
  const initialized = new Set((graph.initializer ?? []).map((t) => t.name));
  const inputs = (graph.input ?? []).filter((v) => !initialized.has(v.name));
  // test_data_set_0 is absent for the cases refused before any data is read (3-D pooling and convolution).
  const pb = (kind: string, i: number) => {
    const file = join(dir, 'test_data_set_0', `${kind}_${i}.pb`);
    return existsSync(file) ? decodeTensor(readFileSync(file)) : null;
  };
  const data = inputs.map((_, i) => pb('input', i));
  const runtime = inputs.filter((v, i) => i === 0 && v.type?.tensor_type?.elem_type === 1);
  inputs.forEach((v, i) => {
    if (runtime.includes(v)) return;
    if (!data[i]) throw new Error(`${c.case}: input_${i}.pb is missing`);
    graph.initializer = [...(graph.initializer ?? []), { ...data[i]!, name: v.name }];
  });
  graph.input = runtime;
  const model = await importOnnx(encodeModel(proto));
  const session = await compile(model, b as Backend);
  try {
    const x = data[0]!;
    const input = b.tensor(new Float32Array(new Uint8Array(x.raw_data!).buffer), x.dims!);
    made.push(input);
    const result = await session.run(input);
    const outputs = result instanceof Tensor ? [result] : (graph.output ?? []).map((o) => (result as Record<string, Tensor>)[o.name!]);
    // The case lists every output position of its node; the graph's outputs are the used ones.
    let next = 0;
    return c.outputs.map((o) => (o === null ? null : outputs[next++]));
  } finally {
    session.dispose();
  }
};
