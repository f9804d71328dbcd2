// compile(…, { profile: true }) on the CPU backend: a row per graph node with its wall time and
// FLOP rate, printable as a table; session.profile() refuses when there is nothing to show. The
// tuned-choice store (tunedChoices.ts) with a stand-in IndexedDB: what it saves it loads, corrupt
// records and entries are ignored, and a failing or silent IndexedDB never fails a compile.
import { afterEach, describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import { nodeName } from '../src/graph/profile';
import { isTunedEntry, TunedChoices } from '../src/backends/webgpu/tunedChoices';
import { convChoice, convGeometry } from '../src/ops/conv/conv2dGpu';
import { gemmChoice, gemmShape } from '../src/ops/gemm/gemmGpu';
import { recurrentChoice } from '../src/ops/recurrent/recurrentGpu';
import { cpu, Random } from './helpers';

const L = nn.layers;
const convNet = () =>
  nn.sequential([L.conv2d(1, 4, 3, { padding: 1 }), L.relu(), L.maxPool2d(2), L.flatten(), L.linear(4 * 4 * 4, 5)], { inputShape: [1, 8, 8], seed: 1 });

describe('session.profile() on the CPU backend', () => {
  it('has a row for every graph node, in order, with times ≥ 0 and the FLOP rate of the counted ops', async () => {
    const session = await nn.compile(convNet(), cpu, { profile: true });
    const x = cpu.tensor(new Random(2).fill(2 * 64), [2, 1, 8, 8]);
    const y = (await session.run(x)) as nn.Tensor;
    expect(y.shape).toEqual([2, 5]);
    const profile = session.profile();
    expect(profile.backend).toBe('cpu');
    expect(profile.method).toBe('wall-clock');
    expect(profile.approximate).toBe(false);
    expect(profile.rows.map((r) => [r.name, r.op])).toEqual(session.graph.nodes.map((n) => [nodeName(n), n.op.name]));
    for (const r of profile.rows) expect(r.ms).toBeGreaterThanOrEqual(0);
    expect(profile.totalMs).toBeCloseTo(profile.rows.reduce((s, r) => s + r.ms, 0), 9);
    // FLOPs for batch 2: conv 2·(2·4·8·8·9), linear 2·(2·64·5); none for the pool.
    const byOp = (op: string) => profile.rows.find((r) => r.op === op)!;
    expect(byOp('conv2d').flops).toBe(2 * 2 * 4 * 64 * 9);
    expect(byOp('linear').flops).toBe(2 * 2 * 64 * 5);
    expect(byOp('pool2d').flops).toBeNull();
    expect(byOp('view').kernel).toBe('view'); // flatten: no work
    const table = String(profile);
    expect(table).toMatch(/^cpu profile \(wall-clock\)/);
    expect(table).toMatch(/Layer\s+Op\s+Kernel\s+Dispatch\s+ms\s+%\s+GFLOP\/s/);
    for (const r of profile.rows) expect(table).toContain(r.name);
    session.dispose();
  });

  it('formatProfile sorts by time and folds the rows past `top` into one', async () => {
    const session = await nn.compile(convNet(), cpu, { profile: true });
    await session.run(cpu.tensor(new Float32Array(64), [1, 1, 8, 8]));
    const profile = session.profile();
    const lines = nn.formatProfile(profile, { sort: 'time', top: 2 }).split('\n');
    // title, header, rule, 2 rows, "(n more)", rule, total
    expect(lines).toHaveLength(8);
    expect(lines[5]).toMatch(new RegExp(`^\\(${profile.rows.length - 2} more\\)`));
    const slowest = [...profile.rows].sort((a, b) => b.ms - a.ms)[0];
    expect(lines[3].startsWith(slowest.name)).toBe(true);
    session.dispose();
  });

  it('profile() without profiling, or before a run, is an NNError saying what to do', async () => {
    const plain = await nn.compile(convNet(), cpu);
    expect(() => plain.profile()).toThrow(/compiled without profiling; compile\(model, backend, \{ profile: true \}\)/);
    const profiled = await nn.compile(convNet(), cpu, { profile: true });
    expect(() => profiled.profile()).toThrow(nn.NNError);
    expect(() => profiled.profile()).toThrow(/no profiled run has finished yet/);
    plain.dispose();
    profiled.dispose();
  });

  it('an unknown profile method or a bad tune budget is a ShapeError', async () => {
    await expect(nn.compile(convNet(), cpu, { profile: { method: 'fast' as 'auto' } })).rejects.toThrow(/profile\.method must be 'auto', 'timestamp-query' or 'submit-per-node', got 'fast'/);
    await expect(nn.compile(convNet(), cpu, { tune: { budgetMs: -1 } })).rejects.toThrow(nn.ShapeError);
  });
});

/** Just what tunedChoices.ts uses of IndexedDB, over a Map; callbacks fire a task later, as in browsers. */
function fakeIndexedDB(records: Map<string, unknown>) {
  const later = <T>(result: () => T) => {
    const req: { result?: T; onsuccess?: () => void; onerror?: () => void; onupgradeneeded?: () => void } = {};
    setTimeout(() => {
      req.result = result();
      req.onupgradeneeded?.();
      req.onsuccess?.();
    }, 0);
    return req;
  };
  const store = {
    get: (key: string) => later(() => structuredClone(records.get(key))),
    put: (value: unknown, key: string) => later(() => void records.set(key, structuredClone(value))),
  };
  const db = { createObjectStore: () => store, transaction: () => ({ objectStore: () => store }), close: () => {} };
  return { open: () => later(() => db) };
}

describe('tuned choices: memory and IndexedDB', () => {
  const global = globalThis as { indexedDB?: unknown };
  afterEach(() => {
    delete global.indexedDB;
  });
  const entry = { winner: 'b', candidates: ['a', 'b'], ms: { a: 2, b: 1 } };

  it('what one page saves, the next loads; corrupt records and entries are ignored', async () => {
    const records = new Map<string, unknown>();
    global.indexedDB = fakeIndexedDB(records);
    const saved = new TunedChoices('adapter A', true);
    saved.set('gemm m1 n2 k3', entry);
    saved.set('gemm bad', { winner: 'z', candidates: ['a'], ms: {} } as never); // winner not a candidate
    await saved.save();
    expect(records.get('adapter A')).toEqual({ 'gemm m1 n2 k3': entry });

    // Another adapter's record, with one good entry and two corrupt ones.
    records.set('adapter B', { good: entry, notAnEntry: 42, badMs: { winner: 'a', candidates: ['a'], ms: { a: 'fast' } } });
    const loaded = new TunedChoices('adapter B', true);
    await loaded.load();
    expect(loaded.get('good')).toEqual(entry);
    expect(loaded.get('notAnEntry')).toBeUndefined();
    expect(loaded.get('badMs')).toBeUndefined();
    records.set('adapter C', 'not a record');
    const corrupt = new TunedChoices('adapter C', true);
    await corrupt.load();
    expect(corrupt.size).toBe(0);
  });

  it('the winner is used while it is a candidate; a new candidate set asks for tuning again', () => {
    const tuned = new TunedChoices('adapter D', false);
    tuned.set('k', entry);
    const variants = [{ name: 'a' }, { name: 'b' }];
    expect(tuned.winner({ key: 'k', candidates: variants, preferred: variants[0] })).toBe(variants[1]);
    expect(tuned.needsTuning('k', ['b', 'a'])).toBe(false);
    expect(tuned.needsTuning('k', ['a', 'b', 'c'])).toBe(true);
    expect(tuned.winner({ key: 'k', candidates: [variants[0]], preferred: variants[0] })).toBeUndefined();
    expect(isTunedEntry({ winner: 'a', candidates: ['a'], ms: { a: 1 } })).toBe(true);
    expect(isTunedEntry(null)).toBe(false);
  });

  it('an IndexedDB that throws, fails or never answers does not fail load or save', async () => {
    const tuned = new TunedChoices('adapter E', true);
    tuned.set('k', entry);
    global.indexedDB = {
      open: () => {
        throw new Error('blocked by the browser');
      },
    };
    await expect(tuned.save()).resolves.toBeUndefined();
    global.indexedDB = {
      open: () => {
        const req: { error?: Error; onerror?: () => void } = { error: new Error('quota') };
        setTimeout(() => req.onerror?.(), 0);
        return req;
      },
    };
    await expect(tuned.save()).resolves.toBeUndefined();
    global.indexedDB = { open: () => ({}) }; // never calls back: given up after a timeout
    await expect(new TunedChoices('adapter F', true).load()).resolves.toBeUndefined();
    expect(tuned.get('k')).toEqual(entry);
  });
});

describe('kernel choices (what tune enumerates)', () => {
  // A table that picks a variant its choice does not list would make tuned compiles fail: pin it.
  it("the table's pick is always a candidate, on GPUs and software adapters", () => {
    const limits = { maxComputeWorkgroupStorageSize: 16384, maxComputeInvocationsPerWorkgroup: 256 } as GPUSupportedLimits;
    for (const software of [true, false]) {
      for (const [C, O, g, hw, kk] of [[3, 64, 1, 224, 7], [64, 64, 1, 56, 3], [256, 512, 1, 7, 1], [32, 32, 32, 14, 3], [6, 16, 1, 14, 5], [2, 2, 1, 5, 3], [16, 16, 1, 8, 1]]) {
        const geo = convGeometry([1, C, hw, hw], [O, C / g, kk, kk], { stride: [1, 1], padding: [kk >> 1, kk >> 1, kk >> 1, kk >> 1], dilation: [1, 1], groups: g });
        const choice = convChoice(geo, software);
        expect(choice.candidates, choice.key).toContain(choice.preferred);
      }
      for (const [m, n, k] of [[1, 1000, 512], [4, 120, 400], [64, 1024, 128], [1024, 1024, 1024], [3, 5, 7]]) {
        for (const transB of [true, false]) {
          const choice = gemmChoice(gemmShape({ m, n, k, transB } as never), software);
          expect(choice.candidates, choice.key).toContain(choice.preferred);
        }
      }
      for (const [N, H] of [[1, 256], [8, 64], [1, 520], [3, 37]]) {
        for (const saved of [false, true]) {
          const choice = recurrentChoice('lstm', N, H, software, limits, saved);
          expect(choice.candidates, choice.key).toContain(choice.preferred);
          if (saved) expect(choice.candidates.every((c) => c.kind === 'step')).toBe(true);
        }
      }
    }
  });
});
