import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NNError } from '../src/errors';
import type { OpDef } from '../src/ops/op';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { createGpuBackend } from './gpu';

// Every activation against the CPU on random data: test/ops/cases.ts.
describe('activations (WebGPU)', () => {
  let gpu: WebGpuBackend;
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  // Regression: a kernel WebGPU rejects must not come back as zeros (found with a WGSL typo).
  it('raises the errors WebGPU reports for eager work at data(), once', async () => {
    const broken: OpDef<null> = {
      name: 'broken',
      inferShapes: ([x]) => [x!],
      cpu: () => {},
      gpu: (k, [x], [y]) =>
        k.dispatch({ shader: { label: 'broken', code: 'fn main( {' }, bindings: [x!, y], workgroups: [1, 1, 1] }),
    };
    const x = gpu.tensor([1, 2, 3], [3]);
    const [y] = gpu.runOp(broken, [x], null);
    await expect(y.data()).rejects.toThrow(NNError);
    expect(Array.from(await gpu.ops.relu(x).data())).toEqual([1, 2, 3]);
  });
});
