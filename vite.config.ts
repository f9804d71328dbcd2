import { execFileSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'vite';
import { defineConfig } from 'vitest/config';
import { minifyWgsl } from './scripts/minifyWgsl.ts';

/**
 * Every library build writes the same complete dist/: the bundle, then the declarations
 * (tsc) into the same folder, after Vite has emptied it. So `npm run build`, `npm pack`
 * (prepack) and `npm run zoo` cannot leave a dist/ without its .d.ts files.
 */
function declarations(): Plugin {
  let outDir = 'dist';
  return {
    name: 'webgpu-nn:declarations',
    apply: 'build',
    configResolved(config) {
      outDir = path.resolve(config.root, config.build.outDir);
    },
    closeBundle() {
      const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
      execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', outDir], { stdio: 'inherit' });
    },
  };
}

/** Shaders (`*.wgsl?raw`) ship without comments and indentation; tests run the sources as written. */
function minifiedWgsl(): Plugin {
  return {
    name: 'webgpu-nn:minified-wgsl',
    apply: 'build',
    enforce: 'pre',
    async load(id) {
      if (!id.endsWith('.wgsl?raw')) return null;
      return `export default ${JSON.stringify(minifyWgsl(await readFile(id.slice(0, -'?raw'.length), 'utf8')))};`;
    },
  };
}

// One config for the three jobs: the library build (dist/), the demo page (vite demo) and vitest.
export default defineConfig({
  plugins: [minifiedWgsl(), declarations()],
  // The library's assets (the thread pool's worker module) load relative to the chunk that names
  // them, wherever the library is served from.
  experimental: { renderBuiltUrl: (_file, { hostType }) => (hostType === 'js' ? { relative: true } : undefined) },
  resolve: { alias: { long: path.resolve(import.meta.dirname, 'src/io/onnx/noLong.ts') } },
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
