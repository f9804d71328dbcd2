// The benchmark's own checks, without a browser: the files it writes for a model, its float64
// reference and the tolerance check every library's output goes through, the ONNX file, and the
// JSON / Markdown / SVG writer (npm run bench itself is not part of npm test).
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { benchModel } from '../bench/models';
import { createModelAdapter } from '../bench/pages/webgpu-nn-adapter';
import { createTrainingAdapter } from '../bench/pages/webgpu-nn-train-adapter';
import { ortPlacement } from '../bench/placement';
import { prepareModel } from '../bench/prepare';
import { checkOutput, crossEntropyReference } from '../bench/reference';
import { markdown, ratiosOf, writeResults, type BenchResults, type Row } from '../bench/report';
import { decodeModel } from '../src/io/onnx/proto';

const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** webgpu-nn's CPU backend on the prepared files, as the page's adapter runs it. */
async function runOnCpu(prep: ReturnType<typeof prepareModel>, key: string): Promise<Float32Array> {
  const adapter = createModelAdapter('cpu');
  await adapter.init({ key, graph: prep.graph, params: prep.params, input: prep.input, bytes: async (f) => new Uint8Array(readFileSync(path.join(prep.dir, f))) });
  return adapter.run(prep.input);
}

describe('bench (reference check and results writer)', () => {
  it('roundtrip: the reference is ReLU of the seeded input, and the check passes our output and flags a wrong one', async () => {
    const prep = prepareModel(dir, benchModel('roundtrip'));
    expect(prep.graph.input.shape).toEqual([1, 1000]);
    expect([...prep.reference]).toEqual([...prep.input].map((v) => Math.max(v, 0)));
    const ours = await runOnCpu(prep, 'roundtrip');
    expect(checkOutput(ours, prep.reference)).toMatchObject({ maxAbsErr: 0, ok: true });
    const wrong = Float32Array.from(ours);
    wrong[999] += 2e-3; // max|ref| < 1, so the tolerance is below 1.1e-3
    const c = checkOutput(wrong, prep.reference);
    expect(c.ok).toBe(false);
    expect(c.maxAbsErr).toBeCloseTo(2e-3, 6);
    expect(checkOutput(Float32Array.from(ours).fill(NaN, 0, 1), prep.reference).ok).toBe(false);
    expect(checkOutput(ours.subarray(1), prep.reference).ok).toBe(false);
    // The ONNX file ORT reads: one Relu from the graph input to the graph output.
    const onnx = decodeModel(readFileSync(path.join(prep.dir, 'model.onnx')));
    expect(onnx.graph?.node?.map((n) => n.op_type)).toEqual(['Relu']);
  });

  it('lenet_b1: the float64 reference (conv, sigmoid, average pooling, linear) agrees with the CPU backend', async () => {
    const prep = prepareModel(dir, benchModel('lenet_b1'));
    const c = checkOutput(await runOnCpu(prep, 'lenet_b1'), prep.reference);
    expect(c.ok).toBe(true);
    expect(c.maxAbsErr).toBeLessThan(1e-5);
  });

  it('cross-entropy reference: the mean over rows of log-sum-exp minus the target logit', () => {
    const logits = Float64Array.of(0, 0, 1000, 0); // rows [0, 0] (loss ln 2) and [1000, 0] (loss 0 for class 0, 1000 for class 1)
    expect(crossEntropyReference(logits, Float32Array.of(1, 0))[0]).toBeCloseTo(Math.LN2 / 2, 12);
    expect(crossEntropyReference(logits, Float32Array.of(0, 1))[0]).toBeCloseTo((Math.LN2 + 1000) / 2, 9);
  });

  it("lenet_train_b64: seeded class indices, and the first SGD step's loss on the CPU backend matches the float64 reference", async () => {
    const prep = prepareModel(dir, benchModel('lenet_train_b64'));
    expect(prep.targets).toHaveLength(64);
    expect(new Set(prep.targets).size).toBeGreaterThan(5);
    for (const t of prep.targets!) expect(Number.isInteger(t) && t >= 0 && t < 10).toBe(true);
    expect(prep.reference).toHaveLength(1);
    const adapter = createTrainingAdapter('cpu');
    const files = { key: 'lenet_train_b64', graph: prep.graph, params: prep.params, input: prep.input, training: { lr: 0.1, targets: prep.targets! } };
    await adapter.init({ ...files, bytes: async (f) => new Uint8Array(readFileSync(path.join(prep.dir, f))) });
    const first = await adapter.run(prep.input);
    expect(checkOutput(first, prep.reference)).toMatchObject({ ok: true });
    // The step updated the weights: the same batch's loss went down.
    expect((await adapter.run(prep.input))[0]).toBeLessThan(first[0]);
  });

  it('writes latest.json, a dated copy, the Markdown table and the SVG chart of the ratios', () => {
    const row = (library: Row['library'], backend: Row['backend'], samples: number[]): Row => ({
      library,
      backend,
      model: 'roundtrip',
      medianMs: samples.length ? [...samples].sort((a, b) => a - b)[Math.floor(samples.length / 2)] : null,
      firstMs: 5,
      initMs: 10,
      maxAbsErr: 0,
      tolerance: 1e-3,
      ok: true,
      runs: samples.length,
      samples,
    });
    const rows = [row('webgpu-nn', 'webgpu', [2, 4, 3]), row('tfjs', 'webgpu', [4, 4, 12]), row('webgpu-nn', 'cpu', [1, 1, 1]), row('onnxruntime-web', 'wasm', [0.5, 0.5, 0.5])];
    const results: BenchResults = {
      date: '2026-01-02T03:04:05.000Z',
      adapter: { vendor: 'google', architecture: 'swiftshader', description: '', device: '' },
      browser: 'Chrome/test',
      machine: { cpus: 2, cpuModel: 'test', loadAverage: [1, 1, 1] },
      mode: 'chromium',
      models: [{ key: 'roundtrip', title: 'one ReLU' }],
      rows,
      ratios: ratiosOf(rows),
      notes: [],
    };
    // Per round: 2/4, 4/4, 3/12 → median 0.5; CPU 1/0.5 → 2.
    expect(results.ratios).toEqual([
      { model: 'roundtrip', ours: 'webgpu-nn/webgpu', peer: 'tfjs/webgpu', median: 0.5, rounds: 3 },
      { model: 'roundtrip', ours: 'webgpu-nn/cpu', peer: 'onnxruntime-web/wasm', median: 2, rounds: 3 },
    ]);
    const out = path.join(dir, 'results');
    const files = writeResults(out, results).map((f) => path.basename(f));
    expect(files).toEqual(['latest.json', '2026-01-02T03-04-05-000Z.json', 'latest.md', 'latest.svg']);
    const json = JSON.parse(readFileSync(path.join(out, 'latest.json'), 'utf8')) as BenchResults;
    expect(json.rows[0]).toMatchObject({ library: 'webgpu-nn', backend: 'webgpu', model: 'roundtrip', medianMs: 3, firstMs: 5, initMs: 10, maxAbsErr: 0, runs: 3, samples: [2, 4, 3] });
    expect(readFileSync(path.join(out, '2026-01-02T03-04-05-000Z.json'), 'utf8')).toBe(readFileSync(path.join(out, 'latest.json'), 'utf8'));
    expect(markdown(results)).toContain('| roundtrip | 3.00 (5.00) | 4.00 (5.00) | 1.00 (5.00) | 0.50 (5.00) |');
    const svg = readFileSync(path.join(out, 'latest.svg'), 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('webgpu-nn/webgpu ÷ tfjs/webgpu');
    expect(svg).toContain('>0.50<');
  });

  it("reads ORT's node placement log: CPU nodes are fallbacks, memory copies are not", () => {
    const at = '2026-12-05 08:29:01.211299 [V:onnxruntime:, session_state.cc:1581 VerifyEachNodeIsAssignedToAnEp]';
    expect(ortPlacement([`${at} Node placements`, `${at}  All nodes placed on [CPUExecutionProvider]. Number of nodes: 1`, `${at} SaveMLValueNameIndexMapping`])).toEqual({
      providers: ['CPUExecutionProvider'],
      cpuNodes: ['all 1 node(s)'],
    });
    const mixed = [
      `${at} Node placements`,
      `${at}  Node(s) placed on [JsExecutionProvider]. Number of nodes: 2`,
      `${at}   Conv (conv1#0)`,
      `${at}   Relu (conv1#1)`,
      `${at}  Node(s) placed on [CPUExecutionProvider]. Number of nodes: 2`,
      `${at}   LSTM (recurrent#2)`,
      `${at}   MemcpyToHost (Memcpy)`,
      '2026-12-05 08:29:01.212799 [I:onnxruntime:, session_state.cc:239 CreateGraphInfo] Done saving OrtValue mappings.',
    ];
    expect(ortPlacement(mixed)).toEqual({ providers: ['JsExecutionProvider', 'CPUExecutionProvider'], cpuNodes: ['LSTM recurrent#2'] });
  });
});
