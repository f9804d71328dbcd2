// ONNX Runtime Web's wasm provider (SIMD): the CPU reference among the peers. One thread, or with
// 'wasm-threads' (a cross-origin-isolated page) env.wasm.numThreads = the cores, at most 4 (as ours).
import * as ort from 'onnxruntime-web/wasm';
import { expose } from './harness.js';
import { createOrtAdapter } from './ort-common.js';

expose((backend) => createOrtAdapter(ort, 'wasm', 'wasm', backend === 'wasm-threads' ? Math.min(4, navigator.hardwareConcurrency) : 1));
