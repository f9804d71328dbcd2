// Builds the recurrent kernel lab, the whole-op timing and the GPU-vs-CPU check into Node scripts (WGSL inlined via
// ?raw), so they run where only node and the `webgpu` package are:
// node bench/lab/recurrent/dist/{lab,seq,check}.js
import { defineConfig } from 'vite';

export default defineConfig({
  build: {
    ssr: true,
    outDir: 'bench/lab/recurrent/dist',
    emptyOutDir: true,
    target: 'node20',
    rollupOptions: {
      input: { lab: 'bench/lab/recurrent/lab.ts', seq: 'bench/lab/recurrent/seq.ts', check: 'bench/lab/recurrent/check.ts' },
      external: ['webgpu'],
      output: { entryFileNames: '[name].js' },
    },
  },
});
