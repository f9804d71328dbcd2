// The ONNX operator conformance cases on the WebGPU backend (Dawn on SwiftShader in CI): the
// same cases, translation and criterion as on the CPU (conformanceCases.ts, docs/conformance.md),
// run through the whole importer — model.onnx and .pb → nn.importOnnx → compile → run
// (test/onnx/importedCase.ts) — which covers the node translation too, so the GPU time is spent once.
import { afterAll } from 'vitest';
import type { WebGpuBackend } from '../src/backends/webgpu/webgpuBackend';
import { runConformance } from './conformanceCases';
import { createGpuBackend } from './gpu';
import { runImported } from './onnx/importedCase';

let gpu: WebGpuBackend | undefined;
runConformance('webgpu', async () => (gpu = await createGpuBackend()), runImported, ' via importOnnx');
afterAll(() => gpu?.dispose());
