// npm run size: the bytes a web app ships for webgpu-nn, minified and gzipped, for three apps
// bundled by Vite from the built package (dist/, as an app gets it from npm):
//   one op      createBackend, a tensor, ops.relu
//   LeNet       createBackend, compile, models.lenet
//   everything  every export kept (import * as nn)
// Run it after `npm run build` (npm run size does both). Prints a table; --json prints JSON.
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const entry = fileURLToPath(new URL('../dist/webgpu-nn.js', import.meta.url));
export const APPS = {
  'one op': `import { createBackend } from 'webgpu-nn';
    const b = await createBackend();
    console.log(await b.ops.relu(b.tensor([1, -1], [2])).data());`,
  LeNet: `import { createBackend, compile, lenet } from 'webgpu-nn';
    const b = await createBackend();
    const s = await compile(lenet(), b);
    console.log(await (await s.run(b.tensor(new Float32Array(784), [1, 1, 28, 28]))).data());`,
  everything: `import * as nn from 'webgpu-nn';
    globalThis.nn = nn;`,
};

/** Bundles `source` as an app entry; returns the minified JavaScript of all its chunks. */
export async function bundle(source) {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { alias: { 'webgpu-nn': entry } },
    plugins: [
      {
        name: 'app-entry',
        resolveId: (id) => (id === 'app-entry' ? '\0app-entry' : null),
        load: (id) => (id === '\0app-entry' ? source : null),
      },
    ],
    // One file: lazily loaded chunks (the CPU backend's wasm kernels, the ONNX reader) are counted
    // with the app, and the code stays one valid module (test/bundle.test.ts runs it).
    build: { write: false, minify: true, target: 'es2022', rollupOptions: { input: 'app-entry', output: { inlineDynamicImports: true } } },
  });
  const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) => r.output);
  return outputs.filter((o) => o.type === 'chunk').map((c) => c.code).join('\n');
}

// Run as a script (not when a test imports bundle()).
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const rows = [];
  for (const [app, source] of Object.entries(APPS)) {
    const code = await bundle(source);
    rows.push({ app, minBytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length });
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows));
  } else {
    console.log('| app | min | min + gzip |\n| --- | ---: | ---: |');
    for (const r of rows) console.log(`| ${r.app} | ${kib(r.minBytes)} | ${kib(r.gzipBytes)} |`);
  }
}
