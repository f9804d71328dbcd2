// Device loss (issue 13, "Build: backend.lost"): a lost device is announced by `backend.lost`,
// every later call fails at once with DeviceLostError (never a hang, never zeros), and an app
// recovers by creating a new backend and compiling again. Loss is simulated by destroying the
// caller's device, as a driver reset would take it away.
import { describe, expect, it } from 'vitest';
import { create } from 'webgpu';
import * as nn from '../../src/index';
import { countingDevice } from './countingDevice';

const L = nn.layers;
const model = () => nn.sequential([L.linear(4, 3), L.relu()], { inputShape: [4], seed: 7 });

/** Resolves with the promise's value, or 'pending' if it has not settled after a few ticks. */
async function settledWithin<T>(p: Promise<T>, ms = 50): Promise<T | 'pending'> {
  return Promise.race([p, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);
}

describe('device loss', () => {
  it('backend.lost resolves with { reason, message } when the device is lost; every later call is a DeviceLostError; an in-flight read rejects', async () => {
    const { device, gpu } = await countingDevice();
    const backend = await nn.createBackend('webgpu', { device, gpu });
    const session = await nn.compile(model(), backend);
    const x = backend.tensor([1, 2, 3, 4], [1, 4]);
    const y = (await session.run(x)) as nn.Tensor;
    expect(await settledWithin(backend.lost)).toBe('pending');

    const reading = y.data();
    device.destroy();
    const info = await backend.lost;
    expect(info).toEqual({ reason: 'destroyed', message: expect.any(String) });
    await expect(reading).rejects.toBeInstanceOf(nn.NNError); // not a hang, not zeros

    const calls: [string, () => unknown][] = [
      ['tensor', () => backend.tensor([1], [1])],
      ['zeros', () => backend.zeros([2])],
      ['op', () => backend.ops.relu(x)],
    ];
    for (const [what, call] of calls) expect(() => call(), what).toThrow(nn.DeviceLostError);
    await expect(y.data()).rejects.toBeInstanceOf(nn.DeviceLostError);
    await expect(session.run(x)).rejects.toBeInstanceOf(nn.DeviceLostError);
    await expect(nn.compile(model(), backend)).rejects.toBeInstanceOf(nn.DeviceLostError);
    // DeviceLostError is a BackendUnavailableError, so apps that test for that class see it too.
    expect(new nn.DeviceLostError('x')).toBeInstanceOf(nn.BackendUnavailableError);
    backend.dispose();
  });

  it('recovery as the README shows it: on loss, create a new backend and compile again', async () => {
    const first = await countingDevice();
    let backend = await nn.createBackend('webgpu', { device: first.device, gpu: first.gpu });
    let session = await nn.compile(model(), backend);
    const want = await ((await session.run(backend.tensor([1, 2, 3, 4], [1, 4]))) as nn.Tensor).data();

    const second = await countingDevice();
    const recovered = backend.lost.then(async () => {
      backend = await nn.createBackend('webgpu', { device: second.device, gpu: second.gpu });
      session = await nn.compile(model(), backend);
    });
    first.device.destroy();
    await recovered;
    const got = await ((await session.run(backend.tensor([1, 2, 3, 4], [1, 4]))) as nn.Tensor).data();
    expect(Array.from(got)).toEqual(Array.from(want));
    backend.dispose();
    second.device.destroy();
  });

  it('runs waiting for a turn (backpressure) fail at once when the device is lost, rather than wait forever', async () => {
    const { device, gpu } = await countingDevice();
    const backend = await nn.createBackend('webgpu', { device, gpu });
    const session = await nn.compile(model(), backend);
    const x = backend.tensor([1, 2, 3, 4], [1, 4]);
    const runs = Array.from({ length: 40 }, () => session.run(x).then((y) => ((y as nn.Tensor).dispose(), 'ok'), (e: unknown) => e));
    device.destroy();
    const results = await Promise.all(runs);
    expect(results.every((r) => r === 'ok' || r instanceof nn.NNError)).toBe(true);
    expect(results.some((r) => r instanceof nn.DeviceLostError)).toBe(true);
    backend.dispose();
  });

  it('the CPU backend has no device to lose: lost never resolves; disposing a backend that owns its device is not a loss', async () => {
    const cpu = await nn.createBackend('cpu');
    expect(await settledWithin(cpu.lost)).toBe('pending');
    const owner = await nn.createBackend('webgpu', { gpu: create([]) as GPU });
    owner.dispose(); // destroys the device it requested
    expect(await settledWithin(owner.lost)).toBe('pending');
  });
});
