// ONNX Runtime Web's wasm provider (SIMD, one thread): the CPU reference among the peers.
import * as ort from 'onnxruntime-web/wasm';
import { expose } from './harness.js';
import { createOrtAdapter } from './ort-common.js';

expose(() => createOrtAdapter(ort, 'wasm', 'wasm'));
