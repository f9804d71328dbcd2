// The safetensors reader and writer on their own: layout, dtype conversion, and one typed error
// per kind of malformed file. test/weights.test.ts covers loadWeights/saveWeights and fuzzing.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { WeightsError } from '../src/errors';
import {
  MAX_HEADER_BYTES,
  float32Tensor,
  readSafetensors,
  toFloat32,
  writeSafetensors,
  type SafetensorsDType,
  type SafetensorsTensor,
} from '../src/io/safetensors';
import { Random } from './helpers';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./data/weights/${name}`, import.meta.url)));

/** A file from raw parts: the header text exactly as given, then `data`. */
function rawFile(headerText: string, data = new Uint8Array(0), headerLength?: bigint): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, headerLength ?? BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

const u16Tensor = (dtype: SafetensorsDType, bits: number[]): SafetensorsTensor => {
  const data = new Uint8Array(bits.length * 2);
  bits.forEach((b, i) => new DataView(data.buffer).setUint16(2 * i, b, true));
  return { dtype, shape: [bits.length], data };
};

function expectWeightsError(run: () => unknown, pattern: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a WeightsError matching ${pattern}`).toBeInstanceOf(WeightsError);
  expect((caught as WeightsError).name).toBe('WeightsError');
  expect((caught as WeightsError).message).toMatch(pattern);
}

describe('safetensors writer', () => {
  it('lays out length, space-padded header and data at an 8-byte boundary', () => {
    const bytes = writeSafetensors([['w', float32Tensor([2], new Float32Array([1.5, -2]))]], { format: 'pt' });
    const view = new DataView(bytes.buffer);
    const headerBytes = Number(view.getBigUint64(0, true));
    expect(headerBytes % 8).toBe(0);
    const text = new TextDecoder().decode(bytes.subarray(8, 8 + headerBytes));
    expect(text.trimEnd()).toBe('{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}');
    expect(text.slice(text.trimEnd().length)).toMatch(/^ *$/);
    expect(bytes.length).toBe(8 + headerBytes + 8);
    expect(view.getFloat32(8 + headerBytes, true)).toBe(1.5);
    expect(view.getFloat32(8 + headerBytes + 4, true)).toBe(-2);
  });

  it('round-trips names in order (integer-like too), scalars, empty tensors, metadata and every dtype size', () => {
    const rng = new Random(1);
    const tensors: [string, SafetensorsTensor][] = [
      ['layer.10.weight', float32Tensor([2, 3], rng.fill(6))],
      ['1', float32Tensor([], new Float32Array([7]))],
      ['0', float32Tensor([0, 4], new Float32Array(0))],
      ['half', u16Tensor('F16', [0x3c00, 0xc000])],
      ['steps', { dtype: 'I64', shape: [], data: new Uint8Array([5, 0, 0, 0, 0, 0, 0, 0]) }],
      ['flags', { dtype: 'BOOL', shape: [3], data: new Uint8Array([1, 0, 1]) }],
      ['ünïcode "name"', float32Tensor([1], new Float32Array([3]))],
    ];
    const file = readSafetensors(writeSafetensors(tensors, { format: 'pt', note: 'x' }));
    expect([...file.tensors.keys()]).toEqual(tensors.map(([n]) => n));
    for (const [name, t] of tensors) {
      const got = file.tensors.get(name)!;
      expect(got.dtype).toBe(t.dtype);
      expect(got.shape).toEqual(t.shape);
      expect(Array.from(got.data)).toEqual(Array.from(t.data));
    }
    expect(Object.fromEntries(file.metadata)).toEqual({ format: 'pt', note: 'x' });
    expect(readSafetensors(writeSafetensors([])).tensors.size).toBe(0);
  });

  it('refuses names it cannot write and data that does not match dtype × shape', () => {
    const t = float32Tensor([1], new Float32Array([1]));
    expectWeightsError(() => writeSafetensors([['a', t], ['a', t]]), /'a'.*written twice/);
    expectWeightsError(() => writeSafetensors([['__metadata__', t]]), /reserved/);
    expectWeightsError(() => writeSafetensors([['a', { ...t, shape: [2] }]]), /'a': F32 \[2\] needs 8 bytes, got 4/);
  });
});

describe('safetensors reader', () => {
  it('reads a file written by PyTorch (the LeNet and BatchNorm fixtures)', () => {
    const lenet = readSafetensors(fixture('lenet_f32.safetensors'));
    expect([...lenet.tensors.keys()]).toEqual(['0.weight', '0.bias', '3.weight', '3.bias', '7.weight', '7.bias', '9.weight', '9.bias', '11.weight', '11.bias']);
    expect(lenet.tensors.get('7.weight')!.shape).toEqual([120, 400]);
    expect(lenet.metadata.get('format')).toBe('pt');
    const bn = readSafetensors(fixture('conv_bn_relu.safetensors'));
    const steps = bn.tensors.get('1.num_batches_tracked')!;
    expect(steps.dtype).toBe('I64');
    expect(steps.shape).toEqual([]);
    expect(new DataView(steps.data.buffer, steps.data.byteOffset).getBigInt64(0, true)).toBe(5n);
  });

  it('accepts an ArrayBuffer, a view at an offset, and unaligned data (header length not a multiple of 8)', () => {
    const header = '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}'; // 55 bytes: data starts at 63
    const data = new Uint8Array(new Float32Array([0.25, -8]).buffer);
    const bytes = rawFile(header, data);
    const padded = new Uint8Array(bytes.length + 5);
    padded.set(bytes, 3);
    for (const input of [bytes, bytes.slice().buffer, padded.subarray(3, 3 + bytes.length)]) {
      expect(Array.from(toFloat32(readSafetensors(input).tensors.get('a')!))).toEqual([0.25, -8]);
    }
  });

  it('widens F16 exactly: zeros, subnormals, normals, the largest, infinities, NaN', () => {
    const cases: [number, number][] = [
      [0x0000, 0], [0x8000, -0], [0x0001, 2 ** -24], [0x03ff, 1023 * 2 ** -24], [0x0400, 2 ** -14],
      [0x3c00, 1], [0xc000, -2], [0x3555, 0.333251953125], [0x7bff, 65504], [0x7c00, Infinity], [0xfc00, -Infinity],
    ];
    const got = toFloat32(u16Tensor('F16', [...cases.map(([b]) => b), 0x7e00, 0xfc01]));
    cases.forEach(([bits, want], i) => expect(Object.is(got[i], want), `0x${bits.toString(16)} → ${got[i]}`).toBe(true));
    expect(got[cases.length]).toBeNaN();
    expect(got[cases.length + 1]).toBeNaN();
  });

  it('F16: every positive finite pattern is strictly above the one before, and negatives mirror them', () => {
    const positive = Array.from({ length: 0x7c00 }, (_, i) => i);
    const values = toFloat32(u16Tensor('F16', positive));
    const negatives = toFloat32(u16Tensor('F16', positive.map((b) => b | 0x8000)));
    for (let i = 1; i < values.length; i++) {
      if (!(values[i] > values[i - 1])) expect.fail(`0x${i.toString(16)}: ${values[i]} is not above ${values[i - 1]}`);
      if (negatives[i] !== -values[i]) expect.fail(`0x${(i | 0x8000).toString(16)}: ${negatives[i]} is not −${values[i]}`);
    }
  });

  it('widens BF16 as the top half of a float32', () => {
    const got = toFloat32(u16Tensor('BF16', [0x3f80, 0x4049, 0xc2f7, 0x0001, 0x7f80, 0xff80, 0x7fc0]));
    expect(Array.from(got.slice(0, 6))).toEqual([1, 3.140625, -123.5, 2 ** -133, Infinity, -Infinity]);
    expect(got[6]).toBeNaN();
  });

  it('refuses to convert dtypes other than F32, F16 and BF16', () => {
    expectWeightsError(() => toFloat32({ dtype: 'F64', shape: [1], data: new Uint8Array(8) }), /cannot convert F64.*F32, F16, BF16/);
  });

  const entry = (fields: string) => `{"t":{${fields}}}`;
  const eight = new Uint8Array(8);
  const malformed: [string, () => Uint8Array, RegExp][] = [
    ['empty file', () => new Uint8Array(0), /0 bytes, shorter than the 8-byte header length/],
    ['7 bytes', () => new Uint8Array(7), /7 bytes, shorter/],
    ['header length past the end', () => rawFile('{}', new Uint8Array(0), 3n), /header length 3 runs past the end of the file \(2 bytes/],
    ['absurd header length (2^63)', () => rawFile('{}', new Uint8Array(0), 2n ** 63n), /header length \d+ is absurd/],
    ['header length just over the limit', () => rawFile('{}', new Uint8Array(0), BigInt(MAX_HEADER_BYTES + 1)), /is absurd/],
    ['empty header', () => rawFile(''), /starting with '\{' \(first byte none/],
    ['header not starting with {', () => rawFile(' {}'), /starting with '\{' \(first byte 0x20/],
    ['byte-order mark', () => rawFile('\ufeff{}'), /first byte 0xef/],
    ['bad JSON', () => rawFile('{"t":'), /not valid JSON/],
    ['trailing garbage after the JSON', () => rawFile('{}x'), /not valid JSON/],
    ['invalid UTF-8', () => {
      const f = rawFile('{"t":1}');
      f[10] = 0xff;
      return f;
    }, /not valid UTF-8/],
    ['entry not an object', () => rawFile('{"t":[1,2]}'), /tensor 't' must be an object \{ dtype, shape, data_offsets \}, got \[1,2\]/],
    ['entry without dtype', () => rawFile(entry('"shape":[2],"data_offsets":[0,8]'), eight), /tensor 't' has no 'dtype'/],
    ['entry without shape', () => rawFile(entry('"dtype":"F32","data_offsets":[0,8]'), eight), /tensor 't' has no 'shape'/],
    ['entry without data_offsets', () => rawFile(entry('"dtype":"F32","shape":[2]'), eight), /tensor 't' has no 'data_offsets'/],
    ['unknown dtype', () => rawFile(entry('"dtype":"F128","shape":[2],"data_offsets":[0,8]'), eight), /unknown dtype "F128" \(known: BOOL/],
    ['dtype not a string', () => rawFile(entry('"dtype":4,"shape":[2],"data_offsets":[0,8]'), eight), /unknown dtype 4/],
    ['negative dim', () => rawFile(entry('"dtype":"F32","shape":[-2],"data_offsets":[0,8]'), eight), /shape \[-2\]; dims must be non-negative integers/],
    ['fractional dim', () => rawFile(entry('"dtype":"F32","shape":[2.5],"data_offsets":[0,8]'), eight), /shape \[2.5\]; dims must be/],
    ['dim beyond 2^53', () => rawFile(entry('"dtype":"F32","shape":[1e300],"data_offsets":[0,8]'), eight), /dims must be non-negative integers/],
    ['shape not an array', () => rawFile(entry('"dtype":"F32","shape":"2","data_offsets":[0,8]'), eight), /shape "2"; dims must be/],
    ['huge shape', () => rawFile(entry('"dtype":"F32","shape":[4294967296,4294967296,4294967296],"data_offsets":[0,8]'), eight), /needs more than 2\^53 bytes/],
    ['offsets not a pair', () => rawFile(entry('"dtype":"F32","shape":[2],"data_offsets":[0,4,8]'), eight), /data_offsets \[0,4,8\]; expected \[begin, end\]/],
    ['negative offset', () => rawFile(entry('"dtype":"F32","shape":[2],"data_offsets":[-8,0]'), eight), /data_offsets \[-8,0\]; expected/],
    ['begin after end', () => rawFile(entry('"dtype":"F32","shape":[2],"data_offsets":[8,0]'), eight), /begin is after end/],
    ['offsets out of range', () => rawFile(entry('"dtype":"F32","shape":[2],"data_offsets":[0,16]'), eight), /\[0, 16\] beyond the 8-byte data section/],
    ['bytes not matching dtype × shape', () => rawFile(entry('"dtype":"F32","shape":[3],"data_offsets":[0,8]'), eight), /\(8 bytes\) but F32 \[3\] needs 12 bytes/],
    ['overlapping tensors', () => rawFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', eight), /tensor 'b' \(bytes 4..8\) overlaps 'a'/],
    ['a hole between tensors', () => rawFile('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[6,8]}}', eight), /bytes 4..6 of the data section belong to no tensor/],
    ['trailing bytes', () => rawFile(entry('"dtype":"F32","shape":[1],"data_offsets":[0,4]'), eight), /data section is 8 bytes but the tensors cover 4/],
    ['metadata not an object', () => rawFile('{"__metadata__":"pt"}'), /'__metadata__' must be an object of strings, got "pt"/],
    ['metadata with a number', () => rawFile('{"__metadata__":{"format":1}}'), /must map strings to strings; 'format' is 1/],
  ];
  for (const [what, make, pattern] of malformed) {
    it(`malformed: ${what}`, () => expectWeightsError(() => readSafetensors(make()), pattern));
  }

  it('malformed: a header that is JSON but not an object (array, number, string, null)', () => {
    // The format wants '{' first, so these fail that check; past it, a non-object cannot parse.
    for (const text of ['[]', '1', '"x"', 'null']) expectWeightsError(() => readSafetensors(rawFile(text)), /starting with '\{'/);
  });

  it('accepts what the format allows: padding spaces, metadata, zero-size tensors at any offset, no tensors', () => {
    const file = readSafetensors(
      rawFile('{"__metadata__":{},"e":{"dtype":"F32","shape":[0,3],"data_offsets":[4,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}     ', new Uint8Array(4)),
    );
    expect([...file.tensors.keys()]).toEqual(['a', 'e']);
    expect(readSafetensors(rawFile('{}')).tensors.size).toBe(0);
  });

  it('names a hostile, enormous key in a short form', () => {
    const name = 'k'.repeat(100_000);
    let message = '';
    try {
      readSafetensors(rawFile(`{"${name}":{"dtype":"F32"}}`));
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/tensor 'k+\.\.\.' has no 'shape'/);
    expect(message.length).toBeLessThan(200);
  });

  it('refuses input that is not bytes', () => {
    for (const input of ['abc', null, undefined, 42, {}, [1, 2, 3]]) {
      expectWeightsError(() => readSafetensors(input as unknown as Uint8Array), /expected the file's bytes as a Uint8Array or ArrayBuffer/);
    }
  });
});
