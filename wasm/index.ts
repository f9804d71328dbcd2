// The CPU backend's wasm kernels, loaded by src/backends/cpu/wasm/wasmKernels.ts. Built into
// src/backends/cpu/wasm/kernels.generated.ts by scripts/build-wasm.mjs (npm run build:wasm).
export { gemm, gemmScratchBytes } from './gemm';
export { im2col } from './im2col';
