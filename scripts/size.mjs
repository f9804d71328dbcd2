// npm run size: the bytes a web app ships for webgpu-nn, minified and gzipped, for three apps
// bundled by Vite from the built package (dist/, as an app gets it from npm):
//   one op      createBackend, a tensor, ops.relu
//   LeNet       createBackend, compile, models.lenet
//   everything  every export kept (import * as nn)
// Run it after `npm run build` (npm run size does both). Prints a table; --json prints JSON.
// `node scripts/size.mjs --by-source [app]` says where an app's minified bytes come from: the
// app bundled from src/ (as the library build does it: shaders minified) with source maps, each
// minified byte counted for the source file it maps to, per chunk (dynamic imports are chunks).
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build, loadConfigFromFile } from 'vite';
import { SourceMapConsumer } from 'source-map-js';

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

/** Bundles `source` as an app entry; returns its minified chunks (with source maps when asked). */
async function bundleChunks(source, { from = entry, plugins = [], sourcemap = false } = {}) {
  const result = await build({
    configFile: false,
    logLevel: 'silent',
    resolve: { alias: { 'webgpu-nn': from } },
    plugins: [
      ...plugins,
      {
        name: 'app-entry',
        resolveId: (id) => (id === 'app-entry' ? '\0app-entry' : null),
        load: (id) => (id === '\0app-entry' ? source : null),
      },
    ],
    build: { write: false, minify: true, sourcemap, target: 'es2022', rollupOptions: { input: 'app-entry' } },
  });
  return (Array.isArray(result) ? result : [result]).flatMap((r) => r.output).filter((o) => o.type === 'chunk');
}

/**
 * The chunks the app can load: from its entry through static imports, and dynamic ones too
 * unless `atStart`. (The bundler may emit a chunk that nothing left after tree-shaking imports.)
 */
function reachable(chunks, atStart = false) {
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const seen = new Set();
  const visit = (c) => {
    if (!c || seen.has(c)) return;
    seen.add(c);
    for (const f of atStart ? c.imports : [...c.imports, ...c.dynamicImports]) visit(byName.get(f));
  };
  chunks.filter((c) => c.isEntry).forEach(visit);
  return [...seen];
}

/** Bundles `source` as an app entry; returns its chunks as files ({ fileName, code, isEntry }) to write side by side. */
export async function bundleFiles(source) {
  return reachable(await bundleChunks(source)).map(({ fileName, code, isEntry }) => ({ fileName, code, isEntry }));
}

/** Bundles `source` as an app entry; returns the minified JavaScript of all its chunks. */
export async function bundle(source) {
  return reachable(await bundleChunks(source)).map((c) => c.code).join('\n');
}

/** Minified bytes per source file (paths from the repository root) of each chunk of the app built from src/. */
async function bytesBySource(source) {
  const root = fileURLToPath(new URL('..', import.meta.url));
  const { config } = await loadConfigFromFile({ command: 'build', mode: 'production' }, path.join(root, 'vite.config.ts'));
  const wgsl = config.plugins.flat().filter((p) => p && p.name === 'webgpu-nn:minified-wgsl');
  const chunks = await bundleChunks(source, { from: path.join(root, 'src/index.ts'), plugins: wgsl, sourcemap: true });
  return reachable(chunks).map((chunk) => {
    const bytes = new Map();
    // Offsets of the line starts: a mapping's bytes run to the next mapping, across lines (the
    // minifier writes shaders as template literals, whose lines have no mappings of their own).
    const lineStarts = [0];
    for (let i = 0; i < chunk.code.length; i++) if (chunk.code[i] === '\n') lineStarts.push(i + 1);
    const marks = [{ at: 0, file: '(unmapped)' }];
    if (chunk.map) new SourceMapConsumer(chunk.map).eachMapping((m) => {
      const file = m.source ? m.source.replace(/^(\.\.\/)+/, '').replace(/^.*node_modules\//, 'node_modules/') : '(unmapped)';
      marks.push({ at: lineStarts[m.generatedLine - 1] + m.generatedColumn, file });
    });
    marks.sort((a, b) => a.at - b.at);
    marks.forEach(({ at, file }, i) => bytes.set(file, (bytes.get(file) ?? 0) + (marks[i + 1]?.at ?? chunk.code.length) - at));
    return { chunk: chunk.fileName, minBytes: chunk.code.length, gzipBytes: gzipSync(chunk.code, { level: 9 }).length, bytes };
  });
}

// Run as a script (not when a test imports bundle()).
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv.includes('--by-source')) {
  const app = process.argv[process.argv.indexOf('--by-source') + 1] ?? 'everything';
  if (!APPS[app]) throw new Error(`--by-source: no app '${app}' (${Object.keys(APPS).join(', ')})`);
  for (const { chunk, minBytes, gzipBytes, bytes } of await bytesBySource(APPS[app])) {
    console.log(`\n${app}: ${chunk} ${(minBytes / 1024).toFixed(1)} KiB min, ${(gzipBytes / 1024).toFixed(1)} KiB min+gzip`);
    // Per folder (src/ops/conv, node_modules/protobufjs, …), then the largest files.
    const folders = new Map();
    for (const [file, n] of bytes) {
      const parts = file.split('/');
      const folder = parts.slice(0, parts[0] === 'node_modules' || parts[1] === 'ops' || parts[1] === 'io' || parts[1] === 'backends' ? 3 : 2).join('/');
      folders.set(folder, (folders.get(folder) ?? 0) + n);
    }
    const top = (map, count) => [...map].sort((a, b) => b[1] - a[1]).slice(0, count).map(([k, n]) => `${(n / 1024).toFixed(1).padStart(7)} KiB  ${k}`).join('\n');
    console.log(`by folder:\n${top(folders, 25)}\nlargest files:\n${top(bytes, Number(process.env.TOP ?? 15))}`);
  }
} else if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
  const rows = [];
  for (const [app, source] of Object.entries(APPS)) {
    const chunks = await bundleChunks(source);
    const code = reachable(chunks).map((c) => c.code).join('\n');
    // What the page loads before any dynamic import: the entry chunk and its static imports.
    const startCode = reachable(chunks, true).map((c) => c.code).join('\n');
    rows.push({ app, minBytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length, startGzipBytes: gzipSync(startCode, { level: 9 }).length });
  }
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify(rows));
  } else {
    console.log('| app | min | min + gzip | of which loaded at start (min + gzip) |\n| --- | ---: | ---: | ---: |');
    for (const r of rows) console.log(`| ${r.app} | ${kib(r.minBytes)} | ${kib(r.gzipBytes)} | ${kib(r.startGzipBytes)} |`);
  }
}
