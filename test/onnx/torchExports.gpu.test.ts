// torch.onnx.export models through nn.importOnnx on the WebGPU backend (see torchExports.ts).
import { afterAll } from 'vitest';
import type { WebGpuBackend } from '../../src/backends/webgpu/webgpuBackend';
import { createGpuBackend } from '../gpu';
import { runTorchExports } from './torchExports';

let gpu: WebGpuBackend | undefined;
runTorchExports('webgpu', async () => (gpu = await createGpuBackend()), ['resnet18']);
afterAll(() => gpu?.dispose());
