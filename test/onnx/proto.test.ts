// The ONNX protobuf layer: decodeModel / encodeModel round trips, typed errors on bad bytes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ModelFormatError } from '../../src/errors';
import { DATA_TYPE, decodeModel, encodeModel, type ModelProto } from '../../src/io/onnx/proto';

const conformance = (folder: string, name: string) => join(__dirname, '..', 'data', 'onnx', 'conformance', folder, name, 'model.onnx');

describe('ONNX protobuf', () => {
  it('decodes a conformance model with ONNX field names', () => {
    const m = decodeModel(readFileSync(conformance('onnx-node', 'test_conv_with_strides_padding')));
    expect(m.graph?.node?.[0].op_type).toBe('Conv');
    expect(m.opset_import?.find((o) => !o.domain)?.version).toBeGreaterThanOrEqual(6);
    const x = m.graph?.input?.[0];
    expect(x?.type?.tensor_type?.shape?.dim?.map((d) => d.dim_value)).toEqual([1, 1, 7, 5]);
    expect(m.graph?.node?.[0].attribute?.find((a) => a.name === 'strides')?.ints).toEqual([2, 2]);
  });

  it('encodes a hand-built model that decodes to the same fields', () => {
    const weights = new Float32Array([1, 2, 3, 4, 5, 6]);
    const proto: ModelProto = {
      ir_version: 8,
      opset_import: [{ domain: '', version: 17 }],
      producer_name: 'webgpu-nn test',
      graph: {
        name: 'g',
        node: [{ op_type: 'MatMul', input: ['x', 'w'], output: ['y'], name: 'mm' }],
        initializer: [{ name: 'w', dims: [2, 3], data_type: DATA_TYPE.FLOAT, raw_data: new Uint8Array(weights.buffer) }],
        input: [{ name: 'x', type: { tensor_type: { elem_type: DATA_TYPE.FLOAT, shape: { dim: [{ dim_param: 'N' }, { dim_value: 2 }] } } } }],
        output: [{ name: 'y', type: { tensor_type: { elem_type: DATA_TYPE.FLOAT } } }],
      },
    };
    const back = decodeModel(encodeModel(proto));
    expect(back.graph?.node?.[0]).toMatchObject({ op_type: 'MatMul', input: ['x', 'w'], output: ['y'] });
    const w = back.graph!.initializer![0];
    expect(w.dims).toEqual([2, 3]);
    expect(new Float32Array(new Uint8Array(w.raw_data!).buffer)).toEqual(weights);
    expect(back.graph?.input?.[0].type?.tensor_type?.shape?.dim).toEqual([{ dim_param: 'N' }, { dim_value: 2 }]);
  });

  it('refuses truncated bytes and non-bytes with ModelFormatError', () => {
    const bytes = readFileSync(conformance('onnx-node', 'test_conv_with_strides_padding'));
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 7))).toThrow(ModelFormatError);
    expect(() => decodeModel('model.onnx' as unknown as Uint8Array)).toThrow(ModelFormatError);
  });
});
