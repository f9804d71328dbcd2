import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { UnsupportedError } from '../src/errors';
import type { SymbolicTensor } from '../src/graph/tracer';
import { compile, Module, type ForwardContext, type Ops, type Tensor } from '../src/index';
import type { OpDef } from '../src/ops/op';
import { recordStridedCopy } from '../src/ops/shape/stridedCopyGpu';
import { sizeOf, type Shape } from '../src/shape';
import { createGpuBackend } from './gpu';
import { cpu, expectClose, Random } from './helpers';

const sharesStorage = (y: Tensor, x: Tensor) => (y as any).storage === (x as any).storage;

describe('strided copies, views and compiled graphs (WebGPU)', () => {
  let gpu: WebGpuBackend;
  const rng = new Random(11);
  beforeAll(async () => {
    gpu = await createGpuBackend();
  });
  afterAll(() => gpu?.dispose());

  /** The same data on both backends. */
  function pair(shape: Shape): [Tensor, Tensor] {
    const data = rng.fill(sizeOf(shape), -1, 1);
    return [gpu.tensor(data, shape), cpu.tensor(data, shape)];
  }

  it('recordStridedCopy: offsets, a repeated element (stride 0) and more than 65 535 workgroups', async () => {
    // A test op around the shared copy: y [rows, 2] from x [rows + 1], y[r, j] = x[1 + r]
    // (source offset 1, stride 0 along j), the output written from offset 0 — and, for
    // rows ≥ 2²³, past the one-row grid (256 · 65 535 invocations).
    const repeatPairs: OpDef<Record<string, never>> = {
      name: 'repeatPairs',
      inferShapes: ([x]) => [[x![0] - 1, 2]],
      cpu: ([x], [y]) => y.data.forEach((_, i) => (y.data[i] = x!.data[1 + (i >> 1)])),
      gpu: (k, [x], [y]) => recordStridedCopy(k, { from: x!, to: y, shape: y.shape, fromStrides: [1, 0], fromOffset: 1 }),
    };
    for (const rows of [1, 1000, 2 ** 23 + 1]) {
      const data = Float32Array.from({ length: rows + 1 }, (_, i) => i % 1000);
      const got = await gpu.runOp(repeatPairs, [gpu.tensor(data, [rows + 1])], {})[0].data();
      const want = await cpu.runOp(repeatPairs, [cpu.tensor(data, [rows + 1])], {})[0].data();
      expectClose(got, want, `repeatPairs, ${rows} rows`);
    }
    // The destination offset and strides: x [3, 4] transposed into elements 6..17 of a [10, 3]
    // output (only those are compared: the rest is not the op's to write).
    const place: OpDef<Record<string, never>> = {
      name: 'place',
      inferShapes: () => [[10, 3]],
      cpu: ([x], [y]) => {
        for (let r = 0; r < 3; r++) for (let c = 0; c < 4; c++) y.data[6 + c * 3 + r] = x!.data[r * 4 + c];
      },
      gpu: (k, [x], [y]) => recordStridedCopy(k, { from: x!, to: y, shape: [3, 4], toStrides: [1, 3], toOffset: 6 }),
    };
    const data = rng.fill(12, -1, 1);
    const got = await gpu.runOp(place, [gpu.tensor(data, [3, 4])], {})[0].data();
    const want = await cpu.runOp(place, [cpu.tensor(data, [3, 4])], {})[0].data();
    expectClose(got.subarray(6, 18), want.subarray(6, 18), 'place');
  });

  it('permute: more than 8 axes that do not merge is an UnsupportedError', () => {
    const x = gpu.zeros([2, 2, 2, 2, 2, 2, 2, 2, 2]);
    expect(() => gpu.ops.permute(x, [8, 7, 6, 5, 4, 3, 2, 1, 0])).toThrow(UnsupportedError);
    expect(() => gpu.ops.permute(x, [8, 7, 6, 5, 4, 3, 2, 1, 0])).toThrow(/^permute: .*9 axes/);
  });

  it('views (reshape, flatten, dropout) share the input storage on the GPU, eagerly', async () => {
    const [xg, xc] = pair([2, 3, 4]);
    const views = [gpu.ops.reshape(xg, [4, -1]), gpu.ops.flatten(xg), gpu.ops.dropout(xg), gpu.ops.reshape(gpu.ops.flatten(xg, { startDim: 0 }), [2, 12])];
    for (const v of views) {
      expect(sharesStorage(v, xg)).toBe(true);
      expectClose(await v.data(), await xc.data(), `view ${v.shape}`);
    }
    // The storage outlives the tensor it came from while a view holds it, and views feed kernels.
    xg.dispose();
    const y = gpu.ops.add(views[0], views[0]);
    expectClose(await y.data(), await cpu.ops.add(cpu.ops.reshape(xc, [4, -1]), cpu.ops.reshape(xc, [4, -1])).data(), 'view + view');
    for (const v of views) v.dispose();
  });

  describe('compiled graphs', () => {
    /** The computation under test, written once over any op table. */
    function mix<T extends { readonly shape: Shape }>(ops: Ops<T>, x: T, scale: T, shift: T): T {
      const a = ops.add(ops.mul(x, scale), shift); // [N, 2, 3, 4]
      const p = ops.permute(a, [0, 3, 1, 2]); // [N, 4, 2, 3]
      const r = ops.reshape(p, [-1, 4, 6]); // a view of an intermediate
      const c = ops.concat([r, ops.reshape(x, [-1, 4, 6]), r], { dim: -1 }); // [N, 4, 18], reads a view of the input
      return ops.dropout(ops.flatten(c)); // the output: a view of an intermediate
    }

    class Mixer extends Module {
      readonly type = 'Mixer';
      constructor() {
        super();
        this.addParameter('scale', [3, 1], { kind: 'values', values: (r) => r.fill(3, 0.5, 1.5) });
        this.addParameter('shift', [4], { kind: 'values', values: (r) => r.fill(4, -1, 1) });
        this.inputShapes = { x: [2, 3, 4] };
      }
      forward(ctx: ForwardContext, x: SymbolicTensor): SymbolicTensor {
        return mix(ctx.ops, x, ctx.param('scale'), ctx.param('shift'));
      }
    }

    /** Outputs that are views of the input itself, next to one that is computed. */
    class Passthrough extends Module {
      readonly type = 'Passthrough';
      constructor() {
        super();
        this.inputShapes = { x: [3, 5] };
      }
      forward(ctx: ForwardContext, x: SymbolicTensor) {
        return { flat: ctx.ops.flatten(x, { startDim: 0 }), same: ctx.ops.reshape(x, [-1, 5, 3]), twice: ctx.ops.add(x, x) };
      }
    }

    it('add / mul / permute / concat / reshape match eager CPU, over runs and batch sizes', async () => {
      const model = new Mixer();
      const params = model.stateDict();
      const scale = cpu.tensor(params.get('scale')!.data, [3, 1]);
      const shift = cpu.tensor(params.get('shift')!.data, [4]);
      const session = await compile(model, gpu);
      try {
        for (const batch of [1, 3, 1]) {
          const [xg, xc] = pair([batch, 2, 3, 4]);
          const y = (await session.run(xg)) as Tensor;
          const ref = mix(cpu.ops, xc, scale, shift);
          expect(y.shape).toEqual(ref.shape);
          expectClose(await y.data(), await ref.data(), `Mixer, batch ${batch}`);
        }
      } finally {
        session.dispose();
      }
    });

    it('graph outputs that are views of the input', async () => {
      const session = await compile(new Passthrough(), gpu);
      try {
        for (let run = 0; run < 2; run++) {
          const [xg, xc] = pair([2, 3, 5]);
          const out = (await session.run(xg)) as Record<string, Tensor>;
          expect(out.flat.shape).toEqual([30]);
          expect(out.same.shape).toEqual([2, 5, 3]);
          expectClose(await out.flat.data(), await xc.data(), 'flat');
          expectClose(await out.same.data(), await xc.data(), 'same');
          expectClose(await out.twice.data(), await cpu.ops.add(xc, xc).data(), 'twice');
          // Outputs belong to the caller: not the input's buffer.
          expect(sharesStorage(out.flat, xg)).toBe(false);
        }
      } finally {
        session.dispose();
      }
    });
  });
});
