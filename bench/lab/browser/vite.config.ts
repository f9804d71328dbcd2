// Builds a kernel lab (bench/lab/<lab>/lab.ts) as a browser module for run.mjs, which runs it in
// headless Chromium: the same cases and variants as in Node, on the browser's own WebGPU.
//   LAB=matmul npx vite build -c bench/lab/browser/vite.config.ts
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const lab = process.env.LAB ?? 'matmul';

export default defineConfig({
  resolve: { alias: { webgpu: fileURLToPath(new URL('./webgpu-shim.ts', import.meta.url)) } },
  // option() reads process.argv; run.mjs sets globalThis.labArgv before importing the module.
  define: { 'process.argv': 'globalThis.labArgv', 'process.exit': 'globalThis.labExit' },
  build: {
    lib: { entry: `bench/lab/${lab}/lab.ts`, formats: ['es'], fileName: () => 'lab.js' },
    outDir: `bench/lab/browser/dist/${lab}`,
    emptyOutDir: true,
    target: 'es2022',
    minify: false,
  },
});
