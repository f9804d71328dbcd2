// Builds the pooling/softmax kernel lab into one Node script (WGSL inlined via ?raw), so it runs
// where only node and the `webgpu` package are: node bench/lab/pool/dist/lab.js
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    ssr: 'bench/lab/pool/lab.ts',
    outDir: 'bench/lab/pool/dist',
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: { external: ['webgpu'], output: { entryFileNames: 'lab.js' } },
  },
});
