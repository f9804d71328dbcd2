// Bundles a lab script (LAB=bench/lab/<name>.ts) into one ES module for node, `webgpu` left external.
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    ssr: process.env.LAB ?? 'bench/lab/data-movement.ts',
    outDir: process.env.LAB_OUT ?? '/tmp/webgpu-nn-lab',
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: { external: ['webgpu'], output: { format: 'es', entryFileNames: 'lab.mjs' } },
  },
});
