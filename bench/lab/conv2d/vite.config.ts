// Builds the conv2d kernel lab into one Node script (WGSL inlined via ?raw), so it runs where
// only node and the `webgpu` package are: node bench/lab/conv2d/dist/lab.js
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    ssr: 'bench/lab/conv2d/lab.ts',
    outDir: 'bench/lab/conv2d/dist',
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: { external: ['webgpu'], output: { entryFileNames: 'lab.js' } },
  },
});
