// The declarations TypeScript < 6 resolves (package.json exports, condition "types@<6"): the
// API names WebGPU's types (GPUDevice, GPUBuffer), which the DOM library has only from
// TypeScript 6 on; older compilers get them from @webgpu/types (a dependency), so a consumer
// needs no tsconfig entry. TypeScript 6 and 7 must not see @webgpu/types beside their own DOM
// library (duplicate identifiers), so dist/index.d.ts does not reference it.
/// <reference types="@webgpu/types" preserve="true" />
export * from './index.js';
