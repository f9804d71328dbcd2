// The import order of src/: every value import runs down the ladder below (or stays on its rung),
// and no module imports itself back through a chain of value imports. Type-only imports
// (`import type`, `import { type X }`) are erased by TypeScript and may point anywhere.
// Parsed with the TypeScript compiler itself, so `import { a, type B }` counts as a value import
// of `a` and `export … from` counts as an import.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const SRC = resolve(__dirname, '../src');

/**
 * The ladder, lowest rung first. A file's rung is that of the longest prefix of its path (relative
 * to src/) in this table; a file that matches none fails the test, so a new top-level folder
 * (train/, io/…) must be given its rung here. Rungs may share a number (models, train and io are
 * side by side and may import one another; the cycle check keeps such imports one way).
 */
const RUNGS: readonly (readonly [prefix: string, rung: number, why: string])[] = [
  ['errors.ts', 0, 'the typed errors: imports nothing'],
  ['shape.ts', 1, 'shape arithmetic'],
  ['random.ts', 1, 'the seeded generator'],
  // A byte codec (errors and shapes only): Module.loadWeights / saveWeights (layers/) use it.
  ['io/safetensors.ts', 1, 'the safetensors reader and writer'],
  // Bytes from a Response or a URL (errors only): Module.loadWeights uses it.
  ['io/fetchBytes.ts', 1, 'weights bytes from fetch, with progress'],
  ['tensor.ts', 2, 'Tensor'],
  ['ops/', 3, 'OpDef, the kernel vocabulary, every op (CPU reference, WebGPU lowering)'],
  ['graph/', 4, 'graph IR, passes, planning, sessions'],
  ['backends/', 5, 'CPU and WebGPU backends, createBackend'],
  ['layers/', 6, 'modules with named parameters'],
  ['models/', 7, 'the zoo and its registry'],
  ['train/', 7, 'optimizers, losses, training sessions'],
  ['io/', 7, 'model import (ONNX) and other formats built on layers'],
  ['index.ts', 8, 'the public API'],
  ['webgpu-types.ts', 8, 'the entry TypeScript < 6 resolves: the public API plus @webgpu/types'],
];

function rungOf(file: string): number {
  const rel = relative(SRC, file).split('\\').join('/');
  let best: (typeof RUNGS)[number] | undefined;
  for (const row of RUNGS) if ((rel === row[0] || rel.startsWith(row[0])) && (!best || row[0].length > best[0].length)) best = row;
  if (!best) throw new Error(`src/${rel} has no rung in test/layering.test.ts: add its folder to RUNGS`);
  return best[1];
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(path);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [path] : [];
  });
}

interface Import {
  readonly to: string;
  readonly typeOnly: boolean;
  readonly line: number;
}

/** The relative .ts imports of one file (shaders and packages are not modules of src/). */
function importsOf(file: string, text = readFileSync(file, 'utf8')): Import[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const found: Import[] = [];
  const add = (spec: string, typeOnly: boolean, node: ts.Node) => {
    if (!spec.startsWith('.') || spec.includes('?')) return;
    const to = resolve(dirname(file), spec.replace(/\.js$/, '.ts'));
    found.push({ to: to.endsWith('.ts') ? to : `${to}.ts`, typeOnly, line: sf.getLineAndCharacterOfPosition(node.getStart()).line + 1 });
  };
  const allTypes = (elements: ts.NodeArray<ts.ImportSpecifier | ts.ExportSpecifier>) => elements.length > 0 && elements.every((e) => e.isTypeOnly);
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      // `import 'x'` runs x; `import type …` and `import { type A, type B }` do not.
      const clause = node.importClause;
      const bindings = clause?.namedBindings;
      const typeOnly = !!clause && (clause.isTypeOnly || (!clause.name && !!bindings && ts.isNamedImports(bindings) && allTypes(bindings.elements)));
      add(node.moduleSpecifier.text, typeOnly, node);
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.exportClause;
      add(node.moduleSpecifier.text, node.isTypeOnly || (!!clause && ts.isNamedExports(clause) && allTypes(clause.elements)), node);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0])) {
      add(node.arguments[0].text, false, node);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

const files = sourceFiles(SRC);
const imports = new Map(files.map((f) => [f, importsOf(f)]));
const name = (f: string) => `src/${relative(SRC, f).split('\\').join('/')}`;

describe('layering of src/', () => {
  it('every file has a rung and every relative import resolves to a file of src/', () => {
    expect(files.length).toBeGreaterThan(50);
    const missing: string[] = [];
    for (const [from, list] of imports) {
      rungOf(from);
      for (const i of list) if (!imports.has(i.to)) missing.push(`${name(from)}:${i.line} imports ${name(i.to)}, which does not exist`);
    }
    expect(missing).toEqual([]);
  });

  it('no value import runs back up the ladder (errors → shape → tensor → ops → graph → backends → layers → models/train/io → index)', () => {
    const upward: string[] = [];
    for (const [from, list] of imports) {
      for (const i of list) {
        if (i.typeOnly || rungOf(i.to) <= rungOf(from)) continue;
        upward.push(`${name(from)}:${i.line} (rung ${rungOf(from)}) imports ${name(i.to)} (rung ${rungOf(i.to)})`);
      }
    }
    expect(upward).toEqual([]);
  });

  it('no import cycle, type-only imports included', () => {
    // Depth-first search; a back edge closes a cycle, reported with its members in order.
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const stack: string[] = [];
    const visit = (f: string): void => {
      state.set(f, 'open');
      stack.push(f);
      for (const i of imports.get(f) ?? []) {
        if (state.get(i.to) === 'open') cycles.push([...stack.slice(stack.indexOf(i.to)), i.to].map(name).join(' → '));
        else if (!state.has(i.to) && imports.has(i.to)) visit(i.to);
      }
      stack.pop();
      state.set(f, 'done');
    };
    for (const f of files) if (!state.has(f)) visit(f);
    expect(cycles).toEqual([]);
  });

  it('the parser tells value imports from type-only ones (a planted file)', () => {
    const probe = join(SRC, 'ops/probe.ts');
    const text = [
      "import { a } from '../backends/x.js';",
      "import type { B } from '../backends/y.js';",
      "import { type C, type D } from '../layers/z.js';",
      "import { type E, f } from '../layers/w.js';",
      "export { g } from '../graph/v.js';",
      "export type { H } from '../graph/u.js';",
      "const m = () => import('../io/t.js');",
      "import shader from '../../shaders/s.wgsl?raw';",
      "import { create } from 'webgpu';",
    ].join('\n');
    const parsed = importsOf(probe, text);
    expect(parsed.map((i) => [name(i.to), i.typeOnly])).toEqual([
      ['src/backends/x.ts', false],
      ['src/backends/y.ts', true],
      ['src/layers/z.ts', true],
      ['src/layers/w.ts', false],
      ['src/graph/v.ts', false],
      ['src/graph/u.ts', true],
      ['src/io/t.ts', false],
    ]);
    // Of these, the value imports all run up from ops/ (rung 3).
    expect(parsed.filter((i) => !i.typeOnly && rungOf(i.to) > rungOf(probe))).toHaveLength(4);
  });
});
