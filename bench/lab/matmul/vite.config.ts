// Builds the matmul kernel lab into one Node script (WGSL inlined via ?raw), so it runs where
// only node and the `webgpu` package are: node bench/lab/matmul/dist/lab.js
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    ssr: 'bench/lab/matmul/lab.ts',
    outDir: 'bench/lab/matmul/dist',
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: { external: ['webgpu'], output: { entryFileNames: 'lab.js' } },
  },
});
