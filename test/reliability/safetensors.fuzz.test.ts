// A structure-aware fuzzer for the safetensors reader (issue 13, "Build"). Unlike the byte-level
// fuzzing of test/weights.test.ts, it writes headers the way a hostile or broken exporter would:
// deep nesting, duplicate keys (plain and escaped), offsets that overlap, leave holes or run past
// the end, unknown and mistyped dtypes, shapes with huge, negative, fractional or nested dims,
// odd metadata, extra fields and a wrong header length. The generator knows whether what it wrote
// is a valid file, so every case has an oracle: a valid file must load with exactly its tensors;
// an invalid one must be a WeightsError; anything else (a RangeError, a stack overflow, a hang)
// fails. Each case must also finish within CASE_BOUND_MS: a bound that catches hangs and
// blow-ups (the cases take well under a millisecond), not a speed measurement.
import { describe, expect, it } from 'vitest';
import * as nn from '../../src/index';
import { readSafetensors, type SafetensorsDType } from '../../src/io/safetensors';
import { Random } from '../helpers';

const CASE_BOUND_MS = 2000;
const CASES = 3000;

const DTYPES: Record<string, number> = { F32: 4, F16: 2, BF16: 2, I64: 8, U8: 1, I32: 4, F64: 8, BOOL: 1 };

interface Case {
  bytes: Uint8Array;
  valid: boolean;
  /** For a valid file: every tensor's name, dtype, shape and bytes. */
  tensors: Map<string, { dtype: string; shape: number[]; data: Uint8Array }>;
  why: string;
}

/** JSON text nested `depth` deep around `inner`, in arrays and objects alternately. */
function nested(rng: Random, depth: number, inner: string): string {
  let s = inner;
  for (let i = 0; i < depth; i++) s = rng.next() < 0.5 ? `[${s}]` : `{"k${i % 3}":${s}}`;
  return s;
}

/** One header + data case. Every deviation from a valid file is drawn with a small probability and recorded. */
function makeCase(rng: Random): Case {
  const problems: string[] = [];
  const chance = (p: number, why: string) => {
    const hit = rng.next() < p;
    if (hit) problems.push(why);
    return hit;
  };
  const count = rng.int(0, 5);
  const names: string[] = [];
  while (names.length < count) {
    const pick = rng.int(0, 4);
    const name = pick === 0 ? `layer.${rng.int(0, 9)}.weight` : pick === 1 ? `ü${rng.int(0, 99)}\u2603` : pick === 2 ? 'x'.repeat(rng.int(1, 300)) : pick === 3 ? `n${rng.int(0, 999)}` : `"quote\\${rng.int(0, 9)}`;
    if (!names.includes(name) && name !== '__metadata__') names.push(name);
  }
  const entries: string[] = [];
  const tensors = new Map<string, { dtype: string; shape: number[]; data: Uint8Array }>();
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of names) {
    const dtype = Object.keys(DTYPES)[rng.int(0, Object.keys(DTYPES).length - 1)];
    const shape = Array.from({ length: rng.int(0, 3) }, () => rng.int(0, 4));
    const bytes = shape.reduce((a, d) => a * d, 1) * DTYPES[dtype];
    const data = new Uint8Array(bytes).map(() => rng.int(0, 255));
    let begin = offset;
    let end = offset + bytes;
    let dtypeText = JSON.stringify(dtype);
    let shapeText = `[${shape.join(',')}]`;
    if (chance(0.02, 'unknown dtype')) dtypeText = JSON.stringify(['F33', 'f32', '', 'F32 ', 'U4'][rng.int(0, 4)]);
    if (chance(0.01, 'dtype not a string')) dtypeText = ['4', 'null', '["F32"]', '{"F32":1}', nested(rng, rng.int(1, 80), '"F32"')][rng.int(0, 4)];
    if (chance(0.02, 'bad dim')) shapeText = `[${[...shape, ['-1', '1.5', '"2"', 'null', '1e300', '9007199254740993', '[2]', 'true'][rng.int(0, 7)]].join(',')}]`;
    if (chance(0.01, 'shape nested deep')) shapeText = nested(rng, rng.int(30, 3000), shapeText);
    if (chance(0.01, 'huge shape')) shapeText = `[${Array.from({ length: rng.int(2, 6) }, () => 2 ** rng.int(20, 40)).join(',')}]`;
    if (chance(0.02, 'offsets overlap, hole or past the end')) {
      const shift = [-1, 1, rng.int(2, 100), -rng.int(2, 50), 2 ** 40][rng.int(0, 4)];
      if (rng.next() < 0.5) begin += shift;
      else end += shift;
    }
    let offsetsText = `[${begin},${end}]`;
    if (chance(0.01, 'offsets malformed')) offsetsText = ['[0]', '[0,1,2]', '"0,1"', '[0.5,4]', '[-0,-4]', '{}', 'null', '[1e400,0]'][rng.int(0, 7)];
    const fields = [`"dtype":${dtypeText}`, `"shape":${shapeText}`, `"data_offsets":${offsetsText}`];
    if (rng.next() < 0.1) fields.push(`"extra":${nested(rng, rng.int(0, 5), '1')}`); // unknown fields are ignored
    if (chance(0.01, 'field missing')) fields.splice(rng.int(0, 2), 1);
    if (chance(0.01, 'field twice')) fields.push(fields[rng.int(0, fields.length - 1)]);
    for (let i = fields.length - 1; i > 0; i--) {
      const j = rng.int(0, i);
      [fields[i], fields[j]] = [fields[j], fields[i]];
    }
    const key = JSON.stringify(name);
    entries.push(`${key}:{${fields.join(rng.next() < 0.2 ? ' , ' : ',')}}`);
    if (chance(0.015, 'tensor name twice')) entries.push(`${rng.next() < 0.5 ? key : escapeAll(name)}:{${fields.join(',')}}`);
    tensors.set(name, { dtype, shape, data });
    chunks.push(data);
    offset += bytes;
  }
  if (rng.next() < 0.3) {
    let meta = `{"format":"pt","n":"${rng.int(0, 9)}"}`;
    if (chance(0.02, 'metadata value not a string')) meta = `{"format":${['1', 'null', '["pt"]', '{}'][rng.int(0, 3)]}}`;
    if (chance(0.01, 'metadata not an object')) meta = ['"pt"', '[]', '7'][rng.int(0, 2)];
    if (chance(0.01, 'metadata nested deep')) meta = `{"a":${nested(rng, rng.int(40, 5000), '"x"')}}`;
    entries.splice(rng.int(0, entries.length), 0, `"__metadata__":${meta}`);
  }
  if (chance(0.01, 'top-level value nested deep')) entries.push(`"deep":${nested(rng, rng.int(40, 8000), '{}')}`);
  let header = `{${entries.join(',')}}`;
  if (chance(0.01, 'not JSON')) header = header.slice(0, rng.int(1, Math.max(1, header.length - 1)));
  if (chance(0.005, 'does not start with {')) header = ` ${header}`;
  header += ' '.repeat(rng.int(0, 8));
  const json = new TextEncoder().encode(header);
  let dataBytes = offset;
  if (chance(0.01, 'trailing bytes')) dataBytes += rng.int(1, 16);
  const out = new Uint8Array(8 + json.length + dataBytes);
  let length = BigInt(json.length);
  if (chance(0.01, 'header length wrong')) length = [length + 1n, length - 1n, 2n ** 40n, 0n][rng.int(0, 3)];
  new DataView(out.buffer).setBigUint64(0, length < 0n ? 0n : length, true);
  out.set(json, 8);
  let at = 8 + json.length;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return { bytes: out, valid: problems.length === 0, tensors, why: problems.join(', ') || 'valid' };
}

/** The same key with every character \\u-escaped: JSON.parse would merge it with the plain one. */
function escapeAll(name: string): string {
  return `"${Array.from(name, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`).join('')}"`;
}

describe('safetensors reader, structure-aware fuzzing', () => {
  it(`${CASES} generated headers: valid files load exactly, every malformed one is a WeightsError, each within ${CASE_BOUND_MS} ms`, () => {
    const rng = new Random(1313);
    const seen = { valid: 0, invalid: 0 };
    const kinds = new Set<string>();
    for (let i = 0; i < CASES; i++) {
      const c = makeCase(rng);
      const what = `case ${i} (${c.why})`;
      const start = performance.now();
      let error: unknown;
      let file: ReturnType<typeof readSafetensors> | undefined;
      try {
        file = readSafetensors(c.bytes);
      } catch (e) {
        error = e;
      }
      const ms = performance.now() - start;
      expect(ms, `${what} took ${ms.toFixed(0)} ms`).toBeLessThan(CASE_BOUND_MS);
      if (c.valid) {
        seen.valid++;
        expect(error, what).toBeUndefined();
        expect([...file!.tensors.keys()].sort(), what).toEqual([...c.tensors.keys()].sort());
        for (const [name, t] of c.tensors) {
          const got = file!.tensors.get(name)!;
          expect(got.dtype, what).toBe(t.dtype as SafetensorsDType);
          expect(got.shape, what).toEqual(t.shape);
          expect(Array.from(got.data), what).toEqual(Array.from(t.data));
        }
      } else {
        seen.invalid++;
        c.why.split(', ').forEach((k) => kinds.add(k));
        // Some deviations can still form a valid file (a shift of 0 bytes over an empty tensor…);
        // then the reader must have found the tensors consistent; otherwise a WeightsError.
        if (error === undefined) {
          for (const t of file!.tensors.values()) expect(t.data.length, what).toBe(t.shape.reduce((a, d) => a * d, 1) * DTYPES[t.dtype]);
        } else {
          expect(error, `${what}: ${String(error)}`).toBeInstanceOf(nn.WeightsError);
          expect((error as Error).message.length, what).toBeLessThan(2000);
        }
      }
    }
    // The generator reached every kind of problem and plenty of both outcomes.
    expect(seen.valid).toBeGreaterThan(CASES / 2);
    expect(seen.invalid).toBeGreaterThan(CASES / 10);
    expect(kinds.size).toBeGreaterThanOrEqual(18);
  });

  it('loadWeights of fuzzed files for a real model: all or nothing, never another error', async () => {
    const rng = new Random(77);
    const model = nn.sequential([nn.layers.linear(3, 2)], { inputShape: [3], seed: 1 });
    const original = model.saveWeights();
    const before = model.stateDict();
    for (let i = 0; i < 300; i++) {
      // Start from the model's own file and break its header structurally.
      const c = makeCase(rng);
      const text = new TextDecoder().decode(original.subarray(8, 8 + Number(new DataView(original.buffer).getBigUint64(0, true))));
      const mutated = i % 2 === 0 ? text.replace('"0.weight"', `"0.weight":${nested(rng, rng.int(1, 4000), '1')},"0.weight"`) : text.replace('{', `{"0.bias":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},`);
      const bytes = i % 3 === 0 ? c.bytes : withHeader(mutated, original.subarray(8 + text.length));
      await expect(model.loadWeights(bytes), `case ${i}`).rejects.toBeInstanceOf(nn.WeightsError);
      for (const [name, { data }] of model.stateDict()) expect(Array.from(data), name).toEqual(Array.from(before.get(name)!.data));
    }
  });
});

function withHeader(text: string, data: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(text);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}
