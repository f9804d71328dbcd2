// The package as users get it: `npm pack` (its prepack builds dist/), the tarball installed
// into a fresh project, then every example built and run from that install — a Node ESM
// script (CPU and WebGPU through Dawn), strict TypeScript 5 and 7 over the app, the type
// assertions and the README's TypeScript blocks, a Vite + TypeScript app with a module worker
// and a plain HTML page in headless Chromium. One pack, one install, one browser for them all.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer, { type Browser } from 'puppeteer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import { CHROMIUM_ARGS, serveDirectory } from './browser/server';
import { expectClose } from './helpers';

const repo = path.resolve(__dirname, '..');
const require = createRequire(import.meta.url);
/** A package's file, found through its package.json (bin files are not in every "exports"). */
const packageFile = (name: string, file: string) => path.join(path.dirname(require.resolve(`${name}/package.json`)), file);
const pkg = JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { name: string; version: string };
const INPUT = Float32Array.from({ length: 28 * 28 }, (_, i) => (i % 17) / 16);

/** The ```ts blocks of the README, each a module of its own. */
export function readmeTypeScriptBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

function run(cmd: string, args: string[], cwd: string): string {
  try {
    return execFileSync(cmd, args, { cwd, encoding: 'utf8', timeout: 300_000, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) failed:\n${err.stdout ?? ''}\n${err.stderr ?? ''}\n${err.message}`);
  }
}

describe('the packed tarball installed into a fresh project', () => {
  let work: string;
  let packedFiles: string[];
  let reference: number[];

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'webgpu-nn-package-'));
    // npm pack runs prepack (npm run build): a fresh clone's tarball must ship the code.
    const packOut = run('npm', ['pack', '--json', '--pack-destination', work], repo);
    // The build's log comes first on stdout; npm's JSON report is the last thing printed.
    const packed = JSON.parse(packOut.slice(packOut.lastIndexOf('\n[\n') + 1)) as { filename: string; files: { path: string }[] }[];
    packedFiles = packed[0].files.map((f) => f.path);
    writeFileSync(
      path.join(work, 'package.json'),
      JSON.stringify({ name: 'fresh-project', private: true, type: 'module', dependencies: { [pkg.name]: `file:./${packed[0].filename}` } }),
    );
    // Its dependency (@webgpu/types) comes from npm's cache when it is there.
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-package-lock'], work);
    // The tools the examples use, shared from this repo instead of installed again.
    for (const tool of ['webgpu', '@types/node']) {
      mkdirSync(path.dirname(path.join(work, 'node_modules', tool)), { recursive: true });
      symlinkSync(path.join(repo, 'node_modules', tool), path.join(work, 'node_modules', tool), 'dir');
    }
    cpSync(path.join(repo, 'examples'), work, { recursive: true });
    cpSync(path.join(repo, 'test/package'), path.join(work, 'types'), { recursive: true });
    for (const [i, code] of readmeTypeScriptBlocks(readFileSync(path.join(repo, 'README.md'), 'utf8')).entries()) {
      writeFileSync(path.join(work, 'types', `readme-${i + 1}.ts`), code);
    }
    // One strict program over the Vite app's sources, the assertions and the README's blocks.
    const strict = JSON.parse(readFileSync(path.join(work, 'types/tsconfig.json'), 'utf8')) as { include: string[] };
    writeFileSync(path.join(work, 'tsconfig.json'), JSON.stringify({ ...strict, include: ['vite-ts/src', 'types/*.ts'] }));
    writeFileSync(path.join(work, 'tsconfig.ts7.json'), JSON.stringify({ ...strict, include: ['vite-ts/src', 'types/types.ts'] }));
    // What the source gives on the CPU, to compare every installed copy with.
    const cpu = await nn.createBackend('cpu');
    const session = await nn.compile(nn.models.lenet(), cpu);
    reference = Array.from(await (await session.run(cpu.tensor(INPUT, [1, 1, 28, 28]))).data());
    session.dispose();
  }, 300_000);
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it('npm pack on a fresh clone ships code: prepack builds one complete dist/ (bundle and every .d.ts it imports)', () => {
    expect(packedFiles).toEqual(expect.arrayContaining(['package.json', 'README.md', 'LICENSE', 'dist/webgpu-nn.js', 'dist/index.d.ts']));
    expect(packedFiles.filter((f) => !f.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(f))).toEqual([]);
    const installed = path.join(work, 'node_modules', pkg.name);
    const unresolved: string[] = [];
    for (const file of packedFiles.filter((f) => f.endsWith('.d.ts'))) {
      const text = readFileSync(path.join(installed, file), 'utf8');
      for (const [, spec] of text.matchAll(/from '(\.[^']+)'/g)) {
        const target = path.posix.join(path.posix.dirname(file), spec.replace(/\.js$/, '.d.ts'));
        if (!packedFiles.includes(target)) unresolved.push(`${file} → ${spec}`);
      }
    }
    expect(unresolved).toEqual([]);
    // stripInternal: no member documented @internal reaches the published declarations.
    const withInternals = packedFiles.filter((f) => f.endsWith('.d.ts') && readFileSync(path.join(installed, f), 'utf8').includes('@internal'));
    expect(withInternals).toEqual([]);
  });

  it('every build writes the same complete dist/: npm run build, prepack and npm run zoo all run `vite build`, which emits the .d.ts files', () => {
    const scripts = (JSON.parse(readFileSync(path.join(repo, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    expect(scripts.build).toBe('vite build');
    expect(scripts.prepack).toBe('npm run build');
    for (const [name, script] of Object.entries(scripts)) {
      if (/\b(tsc|vite build)\b/.test(script) && !/--noEmit/.test(script)) expect(`${name}: ${script}`).toMatch(/: (vite build|npm run build)\b/);
    }
    // The last build was prepack's: the declarations sit beside the bundle it wrote.
    expect(readdirSync(path.join(repo, 'dist'))).toEqual(expect.arrayContaining(['index.d.ts', 'webgpu-nn.js', 'tensor.d.ts']));
  });

  it('the Node ESM example runs LeNet from the install on the CPU and on WebGPU (Dawn), as the source does', () => {
    const out = run(process.execPath, ['lenet.mjs'], path.join(work, 'node'));
    const result = JSON.parse(out.trim().split('\n').pop()!) as { cpu: number[]; webgpu: number[] };
    expect(result.cpu).toEqual(reference);
    expectClose(result.webgpu, reference, 'Node WebGPU vs the source on the CPU');
  });

  it("published types are self-sufficient: TypeScript 5 type-checks the Vite app, the type assertions and the README's TypeScript blocks (strict, skipLibCheck off, no @webgpu/types in tsconfig)", () => {
    run(process.execPath, [packageFile('typescript', 'bin/tsc'), '-p', '.'], work);
  }, 300_000);

  // TypeScript 6 and 7 have WebGPU in their DOM library, so the package's types@<6 entry keeps
  // @webgpu/types away from them. (The README's Node blocks import the `webgpu` package, whose
  // own types reference @webgpu/types, so they are checked with TypeScript 5 only.)
  it('published types are self-sufficient: TypeScript 7 (@typescript/native-preview) type-checks the app and the assertions, and with skipLibCheck on the GPU types are still no silent any', () => {
    const tsgo = packageFile('@typescript/native-preview', 'bin/tsgo');
    run(process.execPath, [tsgo, '-p', 'tsconfig.ts7.json'], work);
    // The assertions in types.ts fail (an unused @ts-expect-error) if GPUDevice became `any`.
    run(process.execPath, [tsgo, '-p', 'tsconfig.ts7.json', '--skipLibCheck'], work);
  }, 300_000);

  describe('in headless Chromium', () => {
    let browser: Browser;
    let server: Awaited<ReturnType<typeof serveDirectory>>;
    beforeAll(async () => {
      run(process.execPath, [packageFile('vite', 'bin/vite.js'), 'build', '--base', './', '--logLevel', 'warn'], path.join(work, 'vite-ts'));
      // The library's build: webgpu-nn.js and the chunks it loads (the ONNX importer's protobuf reader).
      const dist = path.join(work, 'node_modules', pkg.name, 'dist');
      for (const f of readdirSync(dist).filter((f) => f.endsWith('.js'))) cpSync(path.join(dist, f), path.join(work, 'html', f));
      server = await serveDirectory(work);
      browser = await puppeteer.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    }, 180_000);
    afterAll(async () => {
      await browser?.close();
      await server?.close();
    });

    async function pageResult(url: string): Promise<unknown> {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      await page.goto(url);
      await page.waitForFunction('window.result !== undefined', { timeout: 240_000 });
      const result = await page.evaluate('window.result');
      await page.close();
      expect(errors).toEqual([]);
      return result;
    }

    it('the Vite + TypeScript app (vite build) runs LeNet on WebGPU in the page and in a module worker', async () => {
      const result = (await pageResult(`${server.url}/vite-ts/dist/index.html`)) as {
        error?: string;
        page: { backend: string; scores: number[] };
        worker: { backend: string; scores: number[] };
      };
      expect(result.error).toBeUndefined();
      expect([result.page.backend, result.worker.backend]).toEqual(['webgpu', 'webgpu']);
      expectClose(result.page.scores, reference, 'Vite page vs the source');
      expectClose(result.worker.scores, reference, 'module worker vs the source');
    }, 300_000);

    it('the plain HTML page runs LeNet on WebGPU from the built files (no bundler, no CDN)', async () => {
      const result = (await pageResult(`${server.url}/html/index.html`)) as { error?: string; backend: string; scores: number[] };
      expect(result.error).toBeUndefined();
      expect(result.backend).toBe('webgpu');
      expectClose(result.scores, reference, 'plain page vs the source');
    }, 300_000);
  });
});
