// The ONNX operator conformance cases on the WebGPU backend (Dawn on SwiftShader in CI): the
// same cases, translation and criterion as on the CPU (conformanceCases.ts, docs/conformance.md).
import { afterAll } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { runConformance } from './conformanceCases';
import { createGpuBackend } from './gpu';

let gpu: WebGpuBackend | undefined;
runConformance('webgpu', async () => (gpu = await createGpuBackend()));
afterAll(() => gpu?.dispose());
