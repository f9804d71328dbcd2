// createBackend and tensors: names, fallback, typed errors for bad input.
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import { cpu } from './helpers';

describe('backends and tensors', () => {
  it('createBackend("cpu") and "auto" without WebGPU fall back with a reason', async () => {
    const c = await nn.createBackend('cpu');
    expect(c.name).toBe('cpu');
    expect(c.fallbackReason).toBeUndefined();
    // Plain Node has no navigator.gpu: 'auto' gives the CPU and says why.
    const auto = await nn.createBackend();
    expect(auto.name).toBe('cpu');
    expect(auto.fallbackReason).toMatch(/navigator\.gpu/);
    await expect(nn.createBackend('webgpu')).rejects.toThrow(nn.BackendUnavailableError);
    await expect(nn.createBackend('tpu' as never)).rejects.toThrow(nn.ShapeError);
  });

  it('tensor() copies its data and checks shape and length', async () => {
    const data = new Float32Array([1, 2, 3, 4, 5, 6]);
    const t = cpu.tensor(data, [2, 3]);
    data[0] = 99;
    expect(Array.from(await t.data())).toEqual([1, 2, 3, 4, 5, 6]);
    expect(t.shape).toEqual([2, 3]);
    expect(Array.from(await cpu.tensor([7, 8], [2]).data())).toEqual([7, 8]);
    expect(() => cpu.tensor(data, [4, 2])).toThrow(/shape \[4, 2\] needs 8 elements, data has 6/);
    expect(() => cpu.tensor(data, [2, -3])).toThrow(nn.ShapeError);
    expect(() => cpu.tensor(data, [2.5, 2])).toThrow(nn.ShapeError);
    expect(() => cpu.tensor(new Int32Array(6) as never, [6])).toThrow(nn.UnsupportedError);
    expect(() => cpu.tensor('abc' as never, [3])).toThrow(nn.UnsupportedError);
    expect(cpu.tensor(new Float32Array(0), [0, 3]).size).toBe(0);
  });

  it('rejects disposed tensors and tensors of another backend with typed errors', async () => {
    const other = await nn.createBackend('cpu');
    const mine = cpu.tensor([1, 2], [2]);
    const theirs = other.tensor([1, 2], [2]);
    expect(() => cpu.ops.add(mine, theirs)).toThrow(nn.ShapeError);
    expect(() => cpu.ops.add(mine, theirs)).toThrow(/belongs to another backend/);
    mine.dispose();
    mine.dispose();
    expect(mine.isDisposed).toBe(true);
    expect(() => cpu.ops.relu(mine)).toThrow(/disposed/);
    await expect(mine.data()).rejects.toThrow(/disposed/);
    expect(() => cpu.ops.relu({ shape: [2] } as never)).toThrow(nn.ShapeError);
  });

  it('views share storage and survive disposal of the tensor they came from', async () => {
    const x = cpu.tensor([1, 2, 3, 4], [2, 2]);
    const y = cpu.ops.reshape(x, [4]);
    x.dispose();
    expect(Array.from(await y.data())).toEqual([1, 2, 3, 4]);
  });

  it("the CPU backend reuses a released upload's array only once nothing holds it", async () => {
    const backend = await nn.createBackend('cpu');
    const x = backend.tensor([1, 2, 3, 4], [2, 2]);
    const view = backend.ops.reshape(x, [4]);
    x.dispose();
    // The view still holds the storage: a new upload of the same length gets an array of its own.
    const y = backend.tensor([5, 6, 7, 8], [4]);
    expect(Array.from(await view.data())).toEqual([1, 2, 3, 4]);
    view.dispose();
    y.dispose();
    // A run holds its inputs: one disposed before the run settles keeps its values meanwhile.
    const model = nn.sequential([nn.layers.relu()], { inputShape: [4] });
    const session = await nn.compile(model, backend);
    const input = backend.tensor([-1, 2, -3, 4], [1, 4]);
    const pending = session.run(input);
    input.dispose();
    const other = backend.tensor([9, 9, 9, 9], [1, 4]);
    expect(Array.from(await ((await pending) as nn.Tensor).data())).toEqual([0, 2, 0, 4]);
    // Released arrays are reused: the next upload's values are its own, and data() copies.
    const got = await other.data();
    other.dispose();
    const again = backend.tensor([1, 1, 1, 1], [1, 4]);
    expect(Array.from(await again.data())).toEqual([1, 1, 1, 1]);
    expect(Array.from(got)).toEqual([9, 9, 9, 9]);
    backend.dispose();
  });

  it('every error class sets its name and extends NNError', () => {
    for (const E of [nn.ShapeError, nn.UnsupportedError, nn.WeightsError, nn.ModelFormatError, nn.DeviceLimitError, nn.BackendUnavailableError]) {
      const e = new E('x');
      expect(e).toBeInstanceOf(nn.NNError);
      expect(e.name).toBe(E.name);
    }
  });
});
