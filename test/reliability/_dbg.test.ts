import { it } from 'vitest';
import * as nn from '../../src/index';
import { WebGpuBackend } from '../../src/backends/webgpu/webgpuBackend';
import { countingDevice } from './countingDevice';
it('dbg', async () => {
  const counted = await countingDevice();
  console.log('limits', counted.device.limits.maxStorageBufferBindingSize, counted.device.limits.maxBufferSize);
  const own = await WebGpuBackend.create({ device: counted.device, gpu: counted.gpu });
  const t0 = Date.now();
  const session = await nn.compile(nn.models.lenet(), own);
  console.log('compiled', Date.now() - t0);
  const x = own.tensor(new Float32Array(784).fill(0.5), [1, 1, 28, 28]);
  for (let i = 0; i < 20; i++) { await session.run(x); console.log('run', i, Date.now() - t0); }
});
