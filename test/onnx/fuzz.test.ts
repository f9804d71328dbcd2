// Seeded fuzzing of the importer: truncated, bit-flipped and overwritten ONNX files must give
// a typed error (ModelFormatError, UnsupportedError, ShapeError: all NNError) — never a bare
// Error, a crash, a hang or an unbounded allocation. A file that still imports is compiled and
// run on the CPU, which must also either work or throw a typed error.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, importOnnx, NNError, Tensor, type OnnxModel } from '../../src/index';
import { Random } from '../../src/random';
import { cpu } from '../helpers';

const TORCH = join(__dirname, '..', 'data', 'onnx', 'torch');
const CONFORMANCE = join(__dirname, '..', 'data', 'onnx', 'conformance');

// Plain Uint8Arrays: a Buffer's slice() is a view, and each mutation must start from the original.
const read = (...path: string[]) => new Uint8Array(readFileSync(join(...path)));
const BASES: Record<string, Uint8Array> = {
  gru: read(TORCH, 'gru_1layer.onnx'),
  lstm: read(TORCH, 'lstm_2layer_bidirectional.onnx'),
  conv: read(CONFORMANCE, 'onnx-node', 'test_conv_with_strides_padding', 'model.onnx'),
  gemm: read(CONFORMANCE, 'onnx-pytorch-converted', 'test_Linear', 'model.onnx'),
};

/** What happened to one mutated file: 'imported', 'ran', or the typed error's name. */
async function attempt(bytes: Uint8Array): Promise<string> {
  let model: OnnxModel;
  try {
    model = await importOnnx(bytes);
  } catch (e) {
    if (e instanceof NNError) return e.name;
    throw e;
  }
  try {
    const session = await compile(model, cpu);
    const shapes = model.inputs.map((i) => i.dims.map((d) => (typeof d === 'number' ? d : 2)));
    const inputs = Object.fromEntries(model.inputs.map((input, k) => [input.name, cpu.tensor(new Float32Array(shapes[k].reduce((a, b) => a * b, 1)), shapes[k])]));
    const out = await session.run(inputs);
    for (const t of out instanceof Tensor ? [out] : Object.values(out)) t.dispose();
    session.dispose();
    return 'ran';
  } catch (e) {
    if (e instanceof NNError) return `run ${e.name}`;
    throw e;
  }
}

function tally(outcomes: Map<string, number>, outcome: string): void {
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
}

/** Runs the mutations, failing with the first mutation that escapes as an untyped error. */
async function fuzz(name: string, mutations: Iterable<[string, Uint8Array]>): Promise<Map<string, number>> {
  const outcomes = new Map<string, number>();
  let slowest = { ms: 0, what: '' };
  for (const [what, bytes] of mutations) {
    const start = performance.now();
    let outcome: string;
    try {
      outcome = await attempt(bytes);
    } catch (e) {
      throw new Error(`${name}, ${what}: escaped as ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
    const ms = performance.now() - start;
    if (ms > slowest.ms) slowest = { ms, what };
    tally(outcomes, outcome);
  }
  console.log(`fuzz ${name}: ${[...outcomes].map(([k, v]) => `${k} ${v}`).join(', ')}; slowest ${slowest.ms.toFixed(0)} ms (${slowest.what})`);
  return outcomes;
}

function* truncations(bytes: Uint8Array): Generator<[string, Uint8Array]> {
  for (let n = 0; n < bytes.length; n++) yield [`first ${n} bytes`, bytes.subarray(0, n)];
}

function* bitFlips(bytes: Uint8Array, rng: Random, count: number): Generator<[string, Uint8Array]> {
  for (let k = 0; k < count; k++) {
    const copy = bytes.slice();
    const flips = rng.int(1, 4);
    const where: number[] = [];
    for (let f = 0; f < flips; f++) {
      const bit = rng.int(0, bytes.length * 8 - 1);
      copy[bit >> 3] ^= 1 << (bit & 7);
      where.push(bit);
    }
    yield [`bits ${where.join(', ')} flipped`, copy];
  }
}

function* overwrites(bytes: Uint8Array, rng: Random, count: number): Generator<[string, Uint8Array]> {
  for (let k = 0; k < count; k++) {
    const copy = bytes.slice();
    const at = rng.int(0, bytes.length - 1);
    const value = rng.int(0, 255);
    copy[at] = value;
    yield [`byte ${at} set to ${value}`, copy];
  }
}

describe('importOnnx on damaged files', () => {
  it('truncated files: every length of three models', async () => {
    for (const name of ['gru', 'conv', 'gemm']) {
      const outcomes = await fuzz(`${name} truncated`, truncations(BASES[name]));
      expect(outcomes.get('ran') ?? 0, 'a truncated file must not run').toBe(0);
    }
  });

  it('bit flips and overwritten bytes (seeded)', async () => {
    const rng = new Random(11);
    for (const [name, bytes] of Object.entries(BASES)) {
      const outcomes = await fuzz(`${name} mutated`, [...bitFlips(bytes, rng, 250), ...overwrites(bytes, rng, 100)]);
      expect([...outcomes.values()].reduce((a, b) => a + b, 0)).toBe(350);
    }
  });

  it('random bytes and an empty file', async () => {
    const rng = new Random(12);
    const noise = Array.from({ length: 300 }, (_, k): [string, Uint8Array] => [`noise ${k}`, Uint8Array.from({ length: rng.int(0, 400) }, () => rng.int(0, 255))]);
    const outcomes = await fuzz('noise', noise);
    expect(outcomes.get('ran') ?? 0).toBe(0);
    await expect(importOnnx(new Uint8Array())).rejects.toMatchObject({ name: 'ModelFormatError' });
  });
});
