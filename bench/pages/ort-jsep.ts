// ONNX Runtime Web's default build with 'webgpu': the JavaScript-kernel provider (JSEP).
import * as ort from 'onnxruntime-web';
import { expose } from './harness.js';
import { createOrtAdapter } from './ort-common.js';

expose(() => createOrtAdapter(ort, 'webgpu', 'jsep'));
