// Builds the recurrent kernel lab and the whole-op timing into Node scripts (WGSL inlined via
// ?raw), so they run where only node and the `webgpu` package are:
// node bench/lab/recurrent/dist/lab.js, node bench/lab/recurrent/dist/seq.js
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    ssr: true,
    outDir: 'bench/lab/recurrent/dist',
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: {
      input: { lab: 'bench/lab/recurrent/lab.ts', seq: 'bench/lab/recurrent/seq.ts' },
      external: ['webgpu'],
      output: { entryFileNames: '[name].js' },
    },
  },
});
