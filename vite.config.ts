import { defineConfig } from 'vitest/config';

// One config for the three jobs: the library build (dist/), the demo page (vite demo) and vitest.
export default defineConfig({
  build: {
    lib: { entry: 'src/index.ts', formats: ['es'], fileName: 'webgpu-nn' },
    target: 'es2022',
    sourcemap: true,
    emptyOutDir: true,
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Dawn in Node and the software Vulkan adapter do not like several devices in parallel
    // processes on two cores; files run one at a time, tests inside a file in order.
    fileParallelism: false,
    // The JSON report is what .ci/run counts ("N passed, N failed").
    reporters: ['default', ['json', { outputFile: 'test-results/vitest.json' }]],
  },
});
