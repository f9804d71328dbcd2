// What a web app ships: apps bundled and minified by Vite from the built dist/ (as
// scripts/size.mjs measures them), and the shader minifier the library build applies.
import { mkdirSync, readdirSync, readFileSync, writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { minifyWgsl } from '../scripts/minifyWgsl';
// @ts-expect-error a plain .mjs script without declarations
import { APPS, bundle, bundleFiles } from '../scripts/size.mjs';

const repo = path.resolve(__dirname, '..');
const bundleApp = bundle as (source: string) => Promise<string>;

describe('tree-shaking and minified builds (dist/ bundled by Vite)', () => {
  it('an app importing createBackend, compile and lenet ships no ResNet, GoogLeNet, VGG, NiN or AlexNet', async () => {
    const lenetApp = await bundleApp((APPS as Record<string, string>).LeNet);
    const everything = await bundleApp((APPS as Record<string, string>).everything);
    // Module type names (string literals) that only those builders contain.
    const ships = (code: string, type: string) => new RegExp(`[\`"']${type}[\`"']`).test(code);
    for (const type of ['Bottleneck', 'BasicBlock', 'Inception', 'BasicConv2d', 'RNNModel']) {
      expect(ships(everything, type), `everything ships ${type}`).toBe(true);
      expect(ships(lenetApp, type), `the LeNet app ships ${type}`).toBe(false);
    }
    expect(lenetApp.length).toBeLessThan(everything.length);
  });

  it('error classes keep their names in the minified bundle (err.name, the stack trace, instanceof)', async () => {
    const files = await (bundleFiles as (source: string) => Promise<{ fileName: string; code: string; isEntry: boolean }[]>)(`import { createBackend, NNError, ShapeError } from 'webgpu-nn';
      const b = await createBackend('cpu');
      try { b.tensor([1, 2, 3], [2, 2]); } catch (e) {
        globalThis.caught = { name: e.name, firstLine: e.stack.split('\\n')[0], shape: e instanceof ShapeError, nn: e instanceof NNError, text: String(e) };
      }`);
    const dir = mkdtempSync(path.join(tmpdir(), 'webgpu-nn-bundle-'));
    try {
      // The app's chunks side by side (fromImage's code is a chunk loaded on first use).
      writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }');
      for (const f of files) {
        mkdirSync(path.dirname(path.join(dir, f.fileName)), { recursive: true });
        writeFileSync(path.join(dir, f.fileName), f.code);
      }
      await import(pathToFileURL(path.join(dir, files.find((f) => f.isEntry)!.fileName)).href);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const caught = (globalThis as { caught?: Record<string, unknown> }).caught;
    expect(caught).toEqual({
      name: 'ShapeError',
      firstLine: 'ShapeError: tensor: shape [2, 2] needs 4 elements, data has 3',
      shape: true,
      nn: true,
      text: 'ShapeError: tensor: shape [2, 2] needs 4 elements, data has 3',
    });
  });

  it("the thread pool's worker: a file beside the library named by the literal `new Worker(new URL('./…', import.meta.url))`, which an app's Vite bundles as a worker file (not a data: URL)", async () => {
    const dist = readdirSync(path.join(repo, 'dist')).filter((f) => /^threadPool-.*\.js$/.test(f));
    expect(dist).toHaveLength(1);
    const file = readFileSync(path.join(repo, 'dist', dist[0]), 'utf8').match(/new Worker\(new URL\("\.\/(assets\/poolWorker-[\w-]+\.js)", import\.meta\.url\s*\), \{ type: "module" \}\)/)?.[1];
    expect(file, 'the literal pattern in dist/').toBeDefined();
    expect(readdirSync(path.join(repo, 'dist', 'assets'))).toContain(path.basename(file!));
    const files = await (bundleFiles as (source: string) => Promise<{ fileName: string; code: string }[]>)(`import { createBackend } from 'webgpu-nn'; await createBackend('cpu');`);
    const workerUrls = files.flatMap((f) => [...f.code.matchAll(/new Worker\(new URL\(`([^`]*)`/g)].map((m) => m[1]));
    expect(workerUrls).toEqual([expect.stringMatching(/^\/assets\/poolWorker-[\w-]+\.js$/)]);
  });

  it('shaders ship without comments or indentation', () => {
    const dist = readFileSync(path.join(repo, 'dist/webgpu-nn.js'), 'utf8');
    const shaders = [...dist.matchAll(/"([^"\n]*@compute[^"]*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
    expect(shaders.length).toBeGreaterThan(10);
    expect(shaders.filter((s) => /\/\/|\/\*|^[ \t]/m.test(s)).map((s) => s.slice(0, 80))).toEqual([]);
  });
});

describe('minifyWgsl', () => {
  it('removes line and (nested) block comments, indentation and blank lines, never joining two tokens', () => {
    const src = ['// header', '', 'fn f(a: f32) -> f32 {   // why', '    let b = a/*x*/*2.0;', '  /* a /* nested */ one', '  */ return b / 2.0;', '}', ''].join('\n');
    expect(minifyWgsl(src)).toBe(['fn f(a: f32) -> f32 {', 'let b = a *2.0;', 'return b / 2.0;', '}'].join('\n'));
    expect(minifyWgsl('a/* */b')).toBe('a b');
    expect(() => minifyWgsl('a /* open')).toThrow(/not closed/);
  });

  it('keeps every token of every shader in order (only comments and whitespace go)', () => {
    const files = readdirSync(path.join(repo, 'shaders'), { recursive: true }).map(String).filter((f) => f.endsWith('.wgsl'));
    expect(files.length).toBeGreaterThan(10);
    for (const f of files) {
      const src = readFileSync(path.join(repo, 'shaders', f), 'utf8');
      const min = minifyWgsl(src);
      // An independent reading: the shaders have no nested comments, so two regexes find them all.
      const tokens = (s: string) => s.replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/.*$/gm, '').split(/\s+/).filter(Boolean);
      expect(min.split(/\s+/).filter(Boolean), f).toEqual(tokens(src));
      expect(minifyWgsl(min), f).toBe(min);
      expect(min.length, f).toBeLessThan(src.length);
    }
  });
});
