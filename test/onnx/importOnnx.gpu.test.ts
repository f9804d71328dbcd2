// An imported model whose tensors exceed the device's limits is refused by compile with a
// DeviceLimitError before the too-large tensor is allocated (WebGPU, a device with the spec's
// default 128 MiB per-binding limit).
import { afterAll, describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import { WebGpuBackend } from '../../src/backends/webgpu/webgpuBackend';
import { compile, importOnnx } from '../../src/index';
import { DATA_TYPE, encodeModel } from '../../src/io/onnx/proto';

const gpu = create([]) as GPU; // referenced while its devices are used
let backend: WebGpuBackend | undefined;
afterAll(() => backend?.dispose());

describe('importOnnx on WebGPU', () => {
  it('refuses a 256 MiB intermediate at compile with DeviceLimitError', async () => {
    const adapter = await gpu.requestAdapter();
    expect(adapter, 'a WebGPU adapter (SwiftShader in CI)').not.toBeNull();
    const device = await adapter!.requestDevice(); // default limits: 128 MiB per storage binding
    backend = await WebGpuBackend.create({ device });
    // x [8192, 1] · w [1, 8192] = y [8192, 8192]: 256 MiB of float32.
    const w = new Float32Array(8192).fill(1);
    const bytes = encodeModel({
      ir_version: 8,
      opset_import: [{ version: 17 }],
      graph: {
        name: 'outer product',
        node: [{ op_type: 'MatMul', input: ['x', 'w'], output: ['y'] }],
        initializer: [{ name: 'w', dims: [1, 8192], data_type: DATA_TYPE.FLOAT, raw_data: new Uint8Array(w.buffer) }],
        input: [{ name: 'x', type: { tensor_type: { elem_type: DATA_TYPE.FLOAT, shape: { dim: [{ dim_value: 8192 }, { dim_value: 1 }] } } } }],
        output: [{ name: 'y', type: { tensor_type: { elem_type: DATA_TYPE.FLOAT } } }],
      },
    });
    const model = await importOnnx(bytes);
    await expect(compile(model, backend)).rejects.toMatchObject({ name: 'DeviceLimitError', message: expect.stringMatching(/\[8192, 8192\].*256/) });
    backend.dispose();
    backend = undefined;
    device.destroy();
  });
});
