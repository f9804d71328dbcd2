// What a web app needs around the core (CPU backend): compile's inputShape, onProgress and
// signal; tensor.write and run(x, { output }) for per-frame work without allocation;
// loadWeights from a Response or a URL with progress; setWeights from arrays or tensors; and
// what 'auto' says in Node.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import { CpuBackend } from '../src/backends/cpu/cpuBackend';

const input = (n: number) => Float32Array.from({ length: n * 784 }, (_, i) => Math.sin(i));

/** Counts how often the backend plans (instantiates) a compiled graph. */
function countingPlans(backend: CpuBackend): { count: number } {
  const counter = { count: 0 };
  const prepare = backend.prepareGraph.bind(backend);
  backend.prepareGraph = async (graph) => {
    const prepared = await prepare(graph);
    return { ...prepared, instantiate: (plan, control) => (counter.count++, prepared.instantiate(plan, control)) };
  };
  return counter;
}

class TwoInputs extends nn.Module {
  readonly type = 'TwoInputs';
  forward(ctx: nn.ForwardContext, a: nn.SymbolicTensor, b: nn.SymbolicTensor) {
    return { sum: ctx.ops.add(a, b), product: ctx.ops.mul(a, b) };
  }
}

describe('compile(model, backend, { inputShape, onProgress, signal })', () => {
  it('inputShape plans the real batch at compile, so the first run does not re-plan', async () => {
    const backend = new CpuBackend();
    const plans = countingPlans(backend);
    const session = await nn.compile(nn.lenet(), backend, { inputShape: [4, 1, 28, 28] });
    expect(plans.count).toBe(1);
    const y = await session.run(backend.tensor(input(4), [4, 1, 28, 28]));
    expect(plans.count).toBe(1);
    expect(y.shape).toEqual([4, 10]);
  });

  it('makes a custom nn.Module without input shapes runnable, with one shape or one per input name', async () => {
    const backend = new CpuBackend();
    class Scale extends nn.Module {
      readonly type = 'Scale';
      constructor() {
        super();
        this.addParameter('weight', [3], { kind: 'constant', value: 2 });
      }
      forward(ctx: nn.ForwardContext, x: nn.SymbolicTensor) {
        return ctx.ops.mul(x, ctx.param('weight'));
      }
    }
    await expect(nn.compile(new Scale(), backend)).rejects.toThrow(/has no input shape; give one to compile/);
    const scale = await nn.compile(new Scale(), backend, { inputShape: [2, 3] });
    expect(Array.from(await (await scale.run(backend.tensor([1, 2, 3, 4, 5, 6], [2, 3]))).data())).toEqual([2, 4, 6, 8, 10, 12]);
    // Dim 0 stays the batch: another batch re-plans as for the zoo.
    expect((await scale.run(backend.tensor([1, 1, 1], [1, 3]))).shape).toEqual([1, 3]);

    const two = await nn.compile(new TwoInputs(), backend, { inputShape: { a: [1, 2], b: [1, 2] } });
    expect(two.inputNames).toEqual(['a', 'b']);
    const out = await two.run({ a: backend.tensor([1, 2], [1, 2]), b: backend.tensor([3, 4], [1, 2]) });
    expect(Array.from(await out.sum.data())).toEqual([4, 6]);
    expect(Array.from(await out.product.data())).toEqual([3, 8]);
    await expect(nn.compile(new TwoInputs(), backend, { inputShape: [1, 2] })).rejects.toThrow(nn.ShapeError);
    await expect(nn.compile(nn.lenet(), backend, { inputShape: [4, 1, 27, 28] })).rejects.toThrow(nn.ShapeError);
  });

  it('reports progress and stops on an aborted signal with its reason', async () => {
    const backend = new CpuBackend();
    const seen: nn.CompileProgress[] = [];
    await nn.compile(nn.lenet(), backend, { onProgress: (p) => seen.push(p) });
    expect(seen).toEqual([{ built: 0, total: 0 }]);
    const controller = new AbortController();
    controller.abort();
    await expect(nn.compile(nn.lenet(), backend, { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});

describe('per-frame work: tensor.write and run(x, { output })', () => {
  it('write replaces the values in place (views see them); bad data is a ShapeError', async () => {
    const backend = new CpuBackend();
    const x = backend.tensor([1, 2, 3, 4], [2, 2]);
    const flat = backend.ops.flatten(x, { startDim: 0 });
    expect(x.write(Float32Array.of(5, 6, 7, 8))).toBe(x);
    expect(Array.from(await flat.data())).toEqual([5, 6, 7, 8]);
    x.write([0, 0, 0, 1]);
    expect(Array.from(await x.data())).toEqual([0, 0, 0, 1]);
    expect(() => x.write([1, 2, 3])).toThrow(/has 4 elements, data has 3/);
    expect(() => x.write(new Float64Array(4) as unknown as Float32Array)).toThrow(nn.ShapeError);
    x.dispose();
    flat.dispose();
    expect(() => x.write([1, 2, 3, 4])).toThrow(/disposed/);
  });

  it('run writes into the caller\'s tensor and returns it, with the values of a plain run', async () => {
    const backend = new CpuBackend();
    const session = await nn.compile(nn.lenet(), backend);
    const x = backend.tensor(input(1), [1, 1, 28, 28]);
    const expected = await (await session.run(x)).data();
    const out = backend.zeros([1, 10]);
    expect(await session.run(x, { output: out })).toBe(out);
    expect(await out.data()).toEqual(expected);
    await expect(session.run(x, { output: backend.zeros([1, 9]) })).rejects.toThrow(/has shape \[1, 9\], the output is \[1, 10\]/);
    await expect(session.run(x, { output: new CpuBackend().zeros([1, 10]) })).rejects.toThrow(/another backend/);

    const two = await nn.compile(new TwoInputs(), backend, { inputShape: { a: [1, 2], b: [1, 2] } });
    const into = { sum: backend.zeros([1, 2]), product: backend.zeros([1, 2]) };
    const got = await two.run({ a: backend.tensor([1, 2], [1, 2]), b: backend.tensor([3, 4], [1, 2]) }, { output: into });
    expect(got).toEqual(into);
    expect(Array.from(await into.product.data())).toEqual([3, 8]);
  });
});

/** Serves `body` once per request at /weights (404 elsewhere), with or without a Content-Length. */
async function serve(body: Uint8Array, withLength: boolean) {
  const server = http.createServer((req, res) => {
    if (req.url !== '/weights') return void res.writeHead(404, 'Not Found').end();
    res.writeHead(200, withLength ? { 'content-length': String(body.length) } : {});
    // In pieces, so that progress has steps to report.
    for (let i = 0; i < body.length; i += 4096) res.write(body.subarray(i, i + 4096));
    res.end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describe('loadWeights(bytes | Response | URL, { onProgress, signal }) and setWeights', () => {
  const file = nn.lenet({ seed: 7 }).saveWeights();
  const weightOf = async (m: nn.Module) => (m.stateDict().get('0.weight')!.data.slice(0, 4));

  it('fetches a URL with progress up to the Content-Length, and reads a Response', async () => {
    const server = await serve(file, true);
    try {
      const model = nn.lenet();
      const seen: nn.DownloadProgress[] = [];
      await model.loadWeights(`${server.url}/weights`, { onProgress: (p) => seen.push(p) });
      expect(await weightOf(model)).toEqual(await weightOf(nn.lenet({ seed: 7 })));
      expect(seen.length).toBeGreaterThan(1);
      expect(seen.at(-1)).toEqual({ loaded: file.length, total: file.length });
      expect(seen.every((p, i) => i === 0 || p.loaded >= seen[i - 1].loaded)).toBe(true);

      const other = nn.lenet();
      await other.loadWeights(await fetch(new URL('/weights', server.url)));
      expect(await weightOf(other)).toEqual(await weightOf(model));
      await expect(nn.lenet().loadWeights(`${server.url}/missing`)).rejects.toThrow(/answered 404 Not Found/);
      await expect(nn.lenet().loadWeights(`${server.url}/missing`)).rejects.toBeInstanceOf(nn.WeightsError);
    } finally {
      await server.close();
    }
  });

  it('reports total undefined without a Content-Length; an aborted signal stops it and changes nothing', async () => {
    const server = await serve(file, false);
    try {
      const seen: nn.DownloadProgress[] = [];
      await nn.lenet().loadWeights(`${server.url}/weights`, { onProgress: (p) => seen.push(p) });
      expect(seen.at(-1)).toEqual({ loaded: file.length, total: undefined });

      const model = nn.lenet();
      const before = await weightOf(model);
      const controller = new AbortController();
      const loading = model.loadWeights(`${server.url}/weights`, { signal: controller.signal, onProgress: () => controller.abort() });
      await expect(loading).rejects.toMatchObject({ name: 'AbortError' });
      expect(await weightOf(model)).toEqual(before);
    } finally {
      await server.close();
    }
  });

  it('setWeights takes Float32Arrays or Tensors by state_dict name, all or nothing', async () => {
    const backend = new CpuBackend();
    const source = nn.lenet({ seed: 3 });
    const record: Record<string, Float32Array | nn.Tensor> = Object.fromEntries([...source.stateDict()].map(([k, v]) => [k, v.data]));
    record['0.weight'] = backend.tensor(source.stateDict().get('0.weight')!.data, [6, 1, 5, 5]);
    const model = nn.lenet();
    await model.setWeights(record);
    const got = model.stateDict();
    for (const [k, v] of source.stateDict()) expect(got.get(k)!.data, k).toEqual(v.data);

    const target = nn.lenet();
    const before = await weightOf(target);
    const { ['3.bias']: _dropped, ...partial } = record;
    const bad = { ...partial, '0.weight': new Float32Array(5), extra: new Float32Array(1), '0.bias': backend.zeros([7]) };
    const error = await target.setWeights(bad).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(nn.WeightsError);
    expect(String(error)).toMatch(/1 missing key: '3\.bias'; 1 unexpected key: 'extra'; 2 mismatched keys: '0\.weight' has 5 elements.*'0\.bias' is a tensor \[7\]/);
    expect(await weightOf(target)).toEqual(before);
  });
});

describe("'auto' in Node", () => {
  it('falls back to the CPU and says how to get WebGPU in Node', async () => {
    const backend = await nn.createBackend();
    expect(backend.name).toBe('cpu');
    expect(backend.fallbackReason).toMatch(/'webgpu' package.*create\(\[\]\)/);
  });
});
