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

/**
 * The thread pool's worker (threadPool.ts: `new Worker(new URL('./poolWorker.ts', import.meta.url),
 * { type: 'module' })`) is bundled by Vite into assets/poolWorker-….js, and named in the output by an
 * expression no other bundler reads as a worker. Written back as the literal pattern, relative to the
 * chunk, an app's bundler (Vite, webpack) bundles it as a worker file of its own, where it would
 * otherwise copy it as an asset or inline a small one as a data: URL (an opaque-origin worker).
 */
function poolWorkerLiteral(): Plugin {
  const vites = /new URL\(\s*\/\* @vite-ignore \*\/\s*new URL\("(assets\/poolWorker-[\w-]+\.js)", import\.meta\.url\)\.href,\s*"" \+ import\.meta\.url\s*\)/;
  return {
    name: 'webgpu-nn:pool-worker-literal',
    apply: 'build',
    enforce: 'post',
    renderChunk(code, chunk) {
      if (!chunk.moduleIds.some((id) => id.endsWith('/threadPool.ts'))) return null;
      if (!vites.test(code)) this.error("threadPool: Vite's expression for the worker's URL changed: update poolWorkerLiteral");
      // As many lines as before, so that the chunk's source map stays right (map: null keeps it).
      const literal = (found: string, file: string) => `new URL("./${file}", import.meta.url${'\n'.repeat(found.split('\n').length - 1)})`;
      return { code: code.replace(vites, literal), map: null };
    },
  };
}

// One config for the three jobs: the library build (dist/), the demo page (vite demo) and vitest.
export default defineConfig({
  plugins: [minifiedWgsl(), declarations(), poolWorkerLiteral()],
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
