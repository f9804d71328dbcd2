// ONNX Runtime Web's native C++ WebGPU execution provider (onnxruntime-web/webgpu).
import * as ort from 'onnxruntime-web/webgpu';
import { expose } from './harness.js';
import { createOrtAdapter } from './ort-common.js';

expose(() => createOrtAdapter(ort, 'webgpu', 'webgpu'));
