// Builds the benchmark: `--mode node` bundles the runner (bench/run.ts → bench/dist/node/run.mjs,
// run by Node, npm packages left external); the default mode bundles the page adapters
// (bench/pages/*.ts → bench/dist/pages/, minified as a user's bundler would). ONNX Runtime Web and
// LiteRT.js stay external there: the page's import map loads their own minified files and wasm
// from node_modules, as their documentation describes. `--mode train-page` adds webgpu-nn's training
// page in a build of its own, so that no chunk it shares with the inference page carries training
// code into the inference page's download.
import { defineConfig } from 'vite';

const ADAPTERS = ['webgpu-nn', 'tfjs-webgpu', 'tfjs-cpu', 'ort-webgpu', 'ort-jsep', 'ort-wasm', 'litert'];

export default defineConfig(({ mode }) =>
  mode === 'node'
    ? {
        build: {
          ssr: 'bench/run.ts',
          outDir: 'bench/dist/node',
          target: 'node20',
          emptyOutDir: true,
          rollupOptions: { output: { entryFileNames: 'run.mjs' } },
        },
      }
    : {
        base: '/bench/dist/pages/',
        build: {
          outDir: 'bench/dist/pages',
          target: 'es2022',
          emptyOutDir: mode !== 'train-page',
          modulePreload: false,
          rollupOptions: {
            input: Object.fromEntries((mode === 'train-page' ? ['webgpu-nn-train'] : ADAPTERS).map((a) => [a, `bench/pages/${a}.ts`])),
            external: [/^onnxruntime-web/, /^@litertjs\//],
            output: { entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js' },
          },
        },
      },
);
