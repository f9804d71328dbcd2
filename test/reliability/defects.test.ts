// Regression tests for the defects of issue 13 (and issue 12's Buffer loading), each named after
// the defect it pins and run on both backends. The WebGPU backend runs on a caller's device whose
// buffers are counted (countingDevice.ts), so "allocates nothing" and "frees everything" are
// checked buffer by buffer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nn from '../../src/index';
import { STORAGE_USAGE } from '../../src/backends/webgpu/device';
import { WebGpuBackend, type GpuStorage } from '../../src/backends/webgpu/webgpuBackend';
import { readSafetensors, writeSafetensors, float32Tensor } from '../../src/io/safetensors';
import { cpu, expectClose } from '../helpers';
import { countingDevice, type CountingDevice } from './countingDevice';

const L = nn.layers;
let counted: CountingDevice;
let gpu: WebGpuBackend;

beforeAll(async () => {
  counted = await countingDevice();
  gpu = await WebGpuBackend.create({ device: counted.device, gpu: counted.gpu });
});
afterAll(() => gpu.dispose());

const backends = () => [cpu, gpu] as nn.Backend[];

/** A file whose header is exactly `text` (no data section). */
function headerOnly(text: string): Uint8Array {
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  return out;
}

function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** A model whose one intermediate is side² elements: a 1×1 convolution padded to that size (tiny weights). */
const paddedConv = (side: number) => nn.sequential([L.conv2d(1, 2, 1, { padding: (side - 1) / 2 }), L.relu()], { inputShape: [1, 1, 1] });

describe('issue 13 defects', () => {
  it('defect 1: a safetensors header nested 5,000 deep is a WeightsError, not a stack overflow', async () => {
    const deep = `{"w":{"dtype":"F32","shape":${'['.repeat(5000)}${']'.repeat(5000)},"data_offsets":[0,0]}}`;
    for (const text of [deep, `{"__metadata__":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}`]) {
      const e = caught(() => readSafetensors(headerOnly(text)));
      expect(e).toBeInstanceOf(nn.WeightsError);
      expect((e as Error).message).toMatch(/nests deeper than \d+ levels/);
      await expect(nn.models.lenet().loadWeights(headerOnly(text))).rejects.toBeInstanceOf(nn.WeightsError);
    }
    // A wide (not deep) hostile value is described by its first items only, never stringified whole.
    const wide = `{"w":{"dtype":"F32","shape":[${Array.from({ length: 200_000 }, () => '[1,2,3]').join(',')}],"data_offsets":[0,0]}}`;
    const e = caught(() => readSafetensors(headerOnly(wide))) as Error;
    expect(e).toBeInstanceOf(nn.WeightsError);
    expect(e.message.length).toBeLessThan(400);
  });

  it('defect 1 (also): duplicate keys in a safetensors header are a WeightsError, not last-one-wins', () => {
    const twice = '{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}';
    expect(caught(() => readSafetensors(headerOnly(twice)))).toBeInstanceOf(nn.WeightsError);
    expect((caught(() => readSafetensors(headerOnly(twice))) as Error).message).toMatch(/names 'w' twice/);
    // Inside an entry, and spelled with escapes that decode to the same key.
    const field = '{"w":{"dtype":"F32","shape":[0],"dtype":"F16","data_offsets":[0,0]}}';
    expect((caught(() => readSafetensors(headerOnly(field))) as Error).message).toMatch(/names 'dtype' twice/);
    const escaped = '{"w":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"\\u0077":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}';
    expect(caught(() => readSafetensors(headerOnly(escaped)))).toBeInstanceOf(nn.WeightsError);
    // The same key in different objects is fine.
    expect(readSafetensors(headerOnly('{"a":{"dtype":"F32","shape":[0],"data_offsets":[0,0]},"b":{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}')).tensors.size).toBe(2);
  });

  it('issue 12: loadWeights(Buffer) and Uint8Array views with a byteOffset or a subclass load exactly like a fresh copy', async () => {
    const file = nn.models.lenet({ seed: 1 }).saveWeights();
    // A Node Buffer sliced out of a larger pool (byteOffset > 0, shared ArrayBuffer), a plain view
    // with an odd offset, and a Uint8Array subclass whose slice() shares memory like Buffer's.
    const pool = Buffer.concat([Buffer.from('garbage before'), Buffer.from(file), Buffer.from('and after')]);
    const buffer = pool.subarray(14, 14 + file.length);
    const padded = new Uint8Array(file.length + 7);
    padded.set(file, 3);
    const view = padded.subarray(3, 3 + file.length);
    class Bytes extends Uint8Array {}
    const sub = new Bytes(file.length);
    sub.set(file);
    const x = new Float32Array(2 * 784).map((_, i) => Math.sin(i));
    for (const backend of backends()) {
      const reference = nn.models.lenet({ seed: 2 });
      await reference.loadWeights(file.slice());
      const want = await runOnce(reference, backend, x);
      for (const [what, bytes] of [['Buffer', buffer], ['offset view', view], ['subclass', sub]] as const) {
        const model = nn.models.lenet({ seed: 2 });
        await model.loadWeights(bytes);
        expectClose(await runOnce(model, backend, x), want, `${backend.name} ${what}`);
      }
    }
    // Every tensor's element count is checked against its shape, whatever view it came in.
    expect(readSafetensors(buffer).tensors.get('0.weight')!.data.length).toBe(6 * 25 * 4);
  });

  it('defect 2: zeros and tensor of [1e5, 1e5] are a DeviceLimitError naming the shape and the limit, before any allocation', () => {
    for (const backend of backends()) {
      const before = counted.live.size;
      for (const make of [() => backend.zeros([1e5, 1e5]), () => backend.tensor([1, 2], [1e5, 1e5]), () => backend.zeros([2 ** 40, 2 ** 40])]) {
        const e = caught(make) as Error;
        expect(e, backend.name).toBeInstanceOf(nn.DeviceLimitError);
        expect(e.message).toMatch(/\[100000, 100000\]|\[1099511627776/);
        expect(e.message).toMatch(backend.name === 'cpu' ? /at most 1073741824/ : /binds at most/);
      }
      expect(counted.live.size).toBe(before);
      // The same for an eager op whose output would be that large.
      const x = backend.zeros([1, 1, 1, 1]);
      expect(caught(() => backend.ops.conv2d(x, backend.zeros([1, 1, 1, 1]), null, { padding: 50_000 }))).toBeInstanceOf(nn.DeviceLimitError);
      x.dispose();
    }
  });

  it('defect 2 (also): tensor([\'a\', {}]) is a ShapeError, not NaN', () => {
    for (const backend of backends()) {
      for (const data of [['a', {}], [1, null], [1, [2]]]) {
        const e = caught(() => backend.tensor(data as unknown as number[], [2])) as Error;
        expect(e, `${backend.name} ${JSON.stringify(data)}`).toBeInstanceOf(nn.ShapeError);
        expect(e.message).toMatch(/element \d of the data is/);
      }
    }
  });

  it('defect 3: compile() on the CPU refuses a 2.3e11- or 3.9e9-element intermediate with a typed error', async () => {
    for (const side of [479_999, 62_451]) {
      for (const backend of backends()) {
        const e = await nn.compile(paddedConv(side), backend).catch((err: unknown) => err);
        expect(e, `${backend.name} ${side}`).toBeInstanceOf(nn.DeviceLimitError);
        expect((e as Error).message).toMatch(/Conv2d|conv2d/);
      }
    }
  });

  it('defect 4: a compile refused with DeviceLimitError has allocated nothing, on every failure path', async () => {
    await counted.settle();
    // Buffers made since a snapshot (earlier tests' buffers may still be on their way out).
    const madeSince = (snapshot: Set<GPUBuffer>) => [...counted.live].filter((b) => !snapshot.has(b));
    const earlier = new Set(counted.live);
    for (let i = 0; i < 3; i++) {
      await expect(nn.compile(paddedConv(62_451), gpu)).rejects.toBeInstanceOf(nn.DeviceLimitError);
      expect(madeSince(earlier)).toEqual([]); // checked before uploading, not freed after
    }
    // A later batch size whose plan is past the limits (the input itself is small) is refused the same way.
    const session = await nn.compile(paddedConv(4001), gpu); // 2·4001² floats = 128 MiB per sample
    const batch = gpu.zeros([16, 1, 1, 1]);
    const withSession = new Set(counted.live);
    await expect(session.run(batch)).rejects.toBeInstanceOf(nn.DeviceLimitError);
    expect(madeSince(withSession)).toEqual([]);
    batch.dispose();
    session.dispose();
    await counted.settle();
    expect(madeSince(earlier)).toEqual([]);
    expect(gpu.memory().numSessions).toBe(0);
  });

  it('defect 5: backend.dispose() on a caller\'s device frees every buffer it made, sessions and forgotten tensors included, and the device stays usable', async () => {
    const own = await WebGpuBackend.create({ device: counted.device, gpu: counted.gpu });
    await counted.settle();
    const before = counted.live.size;
    const earlier = new Set(counted.live); // buffers of earlier tests may still be on their way out
    const small = nn.sequential([L.conv2d(1, 4, 3), L.relu(), L.maxPool2d(2), L.flatten(), L.linear(36, 10)], { inputShape: [1, 8, 8] });
    const session = await nn.compile(small, own);
    const x = own.tensor(new Float32Array(64).fill(0.5), [1, 1, 8, 8]);
    const outputs = [];
    for (let i = 0; i < 20; i++) outputs.push(await session.run(x)); // never disposed
    own.ops.relu(own.ops.sigmoid(x)); // forgotten eager results
    const reading = (outputs[0] as nn.Tensor).data(); // a readback in flight
    expect(counted.live.size).toBeGreaterThan(before + 20);
    own.dispose();
    await reading.catch(() => {});
    await counted.settle();
    expect([...counted.live].filter((b) => !earlier.has(b))).toEqual([]); // nothing `own` made is left
    expect(own.memory()).toMatchObject({ numDataBuffers: 0, numSessions: 0, gpuBuffers: 0 });
    await expect(session.run(x)).rejects.toBeInstanceOf(nn.NNError);
    // The caller's device still works.
    const other = await WebGpuBackend.create({ device: counted.device, gpu: counted.gpu });
    expect(Array.from(await other.ops.relu(other.tensor([-1, 2], [2])).data())).toEqual([0, 2]);
    other.dispose();
  });

  it('defect 6: disposing the input right after run() (before it resolves) still computes from it', async () => {
    const model = nn.sequential([L.linear(4, 3), L.relu()], { inputShape: [4], seed: 3 });
    const data = new Float32Array([1, -2, 3, 0.5]);
    const want = await runOnce(model, cpu, data);
    for (const backend of backends()) {
      const session = await nn.compile(model, backend);
      const runs = [];
      for (let i = 0; i < 4; i++) {
        const x = backend.tensor(data, [1, 4]);
        runs.push(session.run(x));
        x.dispose(); // before the run resolves
      }
      for (const y of await Promise.all(runs)) {
        expectClose(await (y as nn.Tensor).data(), want, backend.name);
        (y as nn.Tensor).dispose();
      }
      session.dispose();
    }
  });

  it('defect 6: a run the GPU rejects fails on its own outputs (an error, never zeros), not on an unrelated tensor', async () => {
    const session = await nn.compile(nn.sequential([L.linear(4, 3)], { inputShape: [4] }), gpu);
    const x = gpu.tensor([1, 2, 3, 4], [1, 4]);
    const unrelated = gpu.ops.relu(gpu.tensor([-1, 1], [2]));
    (x.storage as GpuStorage).buffer.destroy(); // the run's input is gone behind the backend's back
    const broken = (await session.run(x)) as nn.Tensor;
    const after = gpu.ops.relu(broken); // computed from the broken result: broken too
    expect(Array.from(await unrelated.data())).toEqual([0, 1]);
    await expect(broken.data()).rejects.toThrow(/failed on the GPU/);
    await expect(after.data()).rejects.toThrow(/failed on the GPU/);
    const fine = (await session.run(gpu.tensor([1, 2, 3, 4], [1, 4]))) as nn.Tensor;
    expect((await fine.data()).length).toBe(3);
    session.dispose();
  });

  it("eager ops' GPU errors surface on their own tensors: the failing work's outputs (and what is computed from them) reject, earlier and later unrelated work reads fine", async () => {
    const x = gpu.tensor([1, -2, 3], [3]);
    const before = gpu.ops.relu(gpu.tensor([-1, 1], [2]));
    gpu.flush(); // its own submit, before the failing one
    (x.storage as GpuStorage).buffer.destroy(); // the op's input is gone behind the backend's back
    const broken = gpu.ops.relu(x);
    const derived = gpu.ops.add(broken, broken); // computed from the broken result: broken too
    gpu.flush();
    await counted.device.queue.onSubmittedWorkDone(); // WebGPU has reported the error by now
    const after = gpu.ops.relu(gpu.tensor([2, -3], [2]));
    // Unrelated tensors read fine, whether made before or after the failure, and read first.
    expect(Array.from(await before.data())).toEqual([0, 1]);
    expect(Array.from(await after.data())).toEqual([2, 0]);
    await expect(broken.data()).rejects.toThrow(/\[3\] failed on the GPU/);
    await expect(derived.data()).rejects.toThrow(/failed on the GPU/);
    // An op the device rejects while it is encoded (a bind group of another device's buffer): the
    // command buffer fails, and with it that op's output, not the tensors of other submits.
    const other = await countingDevice();
    const foreign = gpu.tensor([1, -1], [2]);
    const storage = foreign.storage as GpuStorage;
    const own = storage.buffer;
    storage.buffer = other.device.createBuffer({ size: 16, usage: STORAGE_USAGE });
    const rejected = gpu.ops.relu(foreign);
    gpu.flush();
    storage.buffer = own;
    const fine = gpu.ops.relu(foreign);
    expect(Array.from(await fine.data())).toEqual([1, 0]);
    await expect(rejected.data()).rejects.toThrow(/failed on the GPU/);
    for (const t of [foreign, rejected, fine]) t.dispose();
    other.device.destroy();
    // A write the device rejects fails that tensor's reads, and only its.
    const target = gpu.tensor([0, 0], [2]);
    const bystander = gpu.tensor([5, 6], [2]);
    (target.storage as GpuStorage).buffer.destroy();
    target.write(new Float32Array([7, 8]));
    await expect(target.data()).rejects.toThrow(/failed on the GPU/);
    expect(Array.from(await bystander.data())).toEqual([5, 6]);
    expect(Array.from(await gpu.ops.relu(bystander).data())).toEqual([5, 6]);
    for (const t of [before, after, broken, derived, target, bystander]) t.dispose();
  });

  it('defect 8: pooling padding beyond half the kernel is a ShapeError on both backends, eager and compiled; ONNX\'s limit on request', async () => {
    for (const backend of backends()) {
      const x = backend.zeros([1, 1, 6, 6]);
      expect(caught(() => backend.ops.maxPool2d(x, { kernelSize: 3, padding: 2 }))).toBeInstanceOf(nn.ShapeError);
      expect(caught(() => backend.ops.avgPool2d(x, { kernelSize: 2, padding: [0, 0, 0, 2] }))).toBeInstanceOf(nn.ShapeError);
      expect((caught(() => backend.ops.maxPool2d(x, { kernelSize: 3, padding: 2 })) as Error).message).toMatch(/at most half the kernel/);
      // PyTorch's own limit is accepted, and ONNX's wider one when asked for (as the importer does).
      expect(backend.ops.maxPool2d(x, { kernelSize: 3, padding: 1 }).shape).toEqual([1, 1, 2, 2]);
      expect(backend.ops.maxPool2d(x, { kernelSize: 3, padding: 2, padLimit: 'onnx' }).shape).toEqual([1, 1, 3, 3]);
      expect(caught(() => backend.ops.maxPool2d(x, { kernelSize: 3, padding: 3, padLimit: 'onnx' }))).toBeInstanceOf(nn.ShapeError);
      const model = nn.sequential([L.maxPool2d(2, { padding: 2 })], { inputShape: [1, 6, 6] });
      await expect(nn.compile(model, backend)).rejects.toBeInstanceOf(nn.ShapeError);
      x.dispose();
    }
  });

  it("defect 9: a lost device is refused by createBackend: 'webgpu' throws BackendUnavailableError, 'auto' falls back to the CPU naming the loss", async () => {
    const doomed = await countingDevice();
    doomed.device.destroy();
    const e = await nn.createBackend('webgpu', { device: doomed.device }).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(nn.BackendUnavailableError);
    expect(e).toBeInstanceOf(nn.DeviceLostError);
    expect((e as Error).message).toMatch(/lost \(destroyed/);
    const auto = await nn.createBackend('auto', { device: doomed.device });
    expect(auto.name).toBe('cpu');
    expect(auto.fallbackReason).toMatch(/lost/);
  });
});

async function runOnce(model: nn.Module, backend: nn.Backend, data: Float32Array): Promise<Float32Array> {
  const session = await nn.compile(model, backend);
  const shape = [data.length / sizeOfInput(model), ...Object.values(model.inputShapes!)[0]];
  const x = backend.tensor(data, shape);
  const y = (await session.run(x)) as nn.Tensor;
  const out = await y.data();
  x.dispose();
  y.dispose();
  session.dispose();
  return out;
}

const sizeOfInput = (model: nn.Module) => Object.values(model.inputShapes!)[0].reduce((a, d) => a * d, 1);

// Keep the writer import honest: files made here round-trip through the reader.
it('a file written by writeSafetensors reads back (sanity for the helpers above)', () => {
  const bytes = writeSafetensors([['w', float32Tensor([2], new Float32Array([1, 2]))]]);
  expect(Array.from(new Float32Array(readSafetensors(bytes).tensors.get('w')!.data.slice().buffer))).toEqual([1, 2]);
});
