// The CPU backend's wasm kernels, loaded by src/backends/cpu/wasm/wasmKernels.ts. Built into
// src/backends/cpu/wasm/kernels.generated.ts by scripts/build-wasm.mjs (npm run build:wasm).
export { activate } from './activation';
export { convDirect, convDirectScratchBytes } from './conv';
export { gemm, gemmScratchBytes } from './gemm';
export { im2col } from './im2col';
export { pool2d } from './pool';
export { recurrentPack, recurrentPackedBytes, recurrentSequence, recurrentStep, recurrentSums1, recurrentSums3, recurrentSums4 } from './recurrent';

/** The first byte past the module's static data (Mathf's tables): the JS side places its buffers from here. */
export function heapBase(): usize {
  return __heap_base;
}
