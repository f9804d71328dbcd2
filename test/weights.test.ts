// model.loadWeights / model.saveWeights: real PyTorch state_dicts (test/data/weights, made by
// scripts/fixtures/make_weights_fixtures.py) run to torch's outputs; every mismatch is one
// WeightsError; and a seeded fuzzer shows that no corrupt file escapes as another error or
// changes a single parameter.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import { float32Tensor, readSafetensors, writeSafetensors, type SafetensorsTensor } from '../src/io/safetensors';
import { cpu, expectClose, Random } from './helpers';

const L = nn.layers;
const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./data/weights/${name}`, import.meta.url)));
const fixtureJson = (name: string) => JSON.parse(readFileSync(new URL(`./data/weights/${name}`, import.meta.url), 'utf8'));

interface JsonTensor {
  shape: number[];
  data: number[];
}

/** d2l's LeNet, as in the fixture script (state_dict keys 0, 3, 7, 9, 11). */
const lenet = (seed = 0) =>
  nn.sequential(
    [
      L.conv2d(1, 6, 5, { padding: 2 }), L.sigmoid(), L.avgPool2d(2, { stride: 2 }),
      L.conv2d(6, 16, 5), L.sigmoid(), L.avgPool2d(2, { stride: 2 }),
      L.flatten(), L.linear(400, 120), L.sigmoid(), L.linear(120, 84), L.sigmoid(), L.linear(84, 10),
    ],
    { inputShape: [1, 28, 28], seed },
  );

const convBnRelu = () => nn.sequential([L.conv2d(3, 4, 3, { padding: 1 }), L.batchNorm2d(4), L.relu()], { inputShape: [3, 6, 6] });

async function runCpu(model: nn.Module, input: JsonTensor, options?: nn.CompileOptions): Promise<Float32Array> {
  const session = await nn.compile(model, cpu, options);
  const x = cpu.tensor(new Float32Array(input.data), input.shape);
  const y = (await session.run(x)) as nn.Tensor;
  const out = await y.data();
  y.dispose();
  x.dispose();
  session.dispose();
  return out;
}

/** Like expectClose, with the relative part of the tolerance given: |got − ref| ≤ 1e-4 + rel·max|ref|. */
function expectWithin(got: Float32Array, ref: number[], rel: number): void {
  const maxRef = Math.max(...ref.map(Math.abs));
  const worst = Math.max(...ref.map((r, i) => Math.abs(got[i] - r)));
  expect(worst).toBeLessThanOrEqual(1e-4 + rel * maxRef);
}

/** Copies of every parameter's elements, by key (draws the defaults once). */
const snapshot = (model: nn.Module) => new Map([...model.stateDict()].map(([k, v]) => [k, v.data.slice()]));

const sameElements = (a: Float32Array, b: Float32Array) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]) || (Number.isNaN(v) && Number.isNaN(b[i])));

function expectState(model: nn.Module, want: Map<string, Float32Array>): void {
  for (const [k, v] of model.stateDict()) {
    if (!sameElements(v.data, want.get(k)!)) expect.fail(`parameter '${k}' differs from what was expected`);
  }
}

/** Runs loadWeights and returns its error (or undefined when it loaded). */
async function loadError(model: nn.Module, bytes: unknown): Promise<unknown> {
  try {
    await model.loadWeights(bytes as Uint8Array);
    return undefined;
  } catch (err) {
    return err;
  }
}

async function expectLoadError(model: nn.Module, bytes: unknown, ...patterns: RegExp[]): Promise<string> {
  const before = snapshot(model);
  const err = await loadError(model, bytes);
  expect(err).toBeInstanceOf(nn.WeightsError);
  for (const p of patterns) expect((err as Error).message).toMatch(p);
  expectState(model, before);
  return (err as Error).message;
}

describe('loadWeights: PyTorch fixtures', () => {
  const record = fixtureJson('lenet.json') as Record<'input' | 'output' | 'output_f16' | 'output_bf16', JsonTensor>;

  it('LeNet, F32: matches torch on a batch of two', async () => {
    const model = lenet();
    await model.loadWeights(fixture('lenet_f32.safetensors'));
    expectClose(await runCpu(model, record.input), record.output.data, 'LeNet F32');
  });

  it('LeNet, F32 from a Node Buffer as readFileSync returns it (regression: every tensor got the whole file)', async () => {
    const model = lenet();
    await model.loadWeights(readFileSync(new URL('./data/weights/lenet_f32.safetensors', import.meta.url)));
    expect(model.stateDict().get('0.bias')!.data.length).toBe(6);
    expectClose(await runCpu(model, record.input), record.output.data, 'LeNet F32 from a Buffer');
  });

  it('LeNet, F16 and BF16: exactly the widened weights (torch run with them), and near the F32 output', async () => {
    for (const [dtype, rounded] of [['f16', record.output_f16], ['bf16', record.output_bf16]] as const) {
      const model = lenet();
      await model.loadWeights(fixture(`lenet_${dtype}.safetensors`).buffer as ArrayBuffer);
      const out = await runCpu(model, record.input);
      expectClose(out, rounded.data, `LeNet ${dtype} against torch with the same rounded weights`);
      // Against the F32 weights' output: F16 keeps 11 significant bits (weights off by ≤ 2^-12
      // relative), close enough for the design tolerance. BF16 keeps 8 (≤ 2^-9 ≈ 2e-3 relative,
      // above the 1e-3 the design tolerance allows for float32 kernels), measured 2.2e-3·max|ref|
      // here: allow 1e-2.
      expectWithin(out, record.output.data, dtype === 'f16' ? 1e-3 : 1e-2);
    }
  });

  it('conv-BN-ReLU trained in torch: running statistics load, num_batches_tracked is ignored, folded or not', async () => {
    const { input, output } = fixtureJson('conv_bn_relu.json') as Record<'input' | 'output', JsonTensor>;
    const bytes = fixture('conv_bn_relu.safetensors');
    const model = convBnRelu();
    await model.loadWeights(bytes);
    const file = readSafetensors(bytes);
    const state = model.stateDict();
    expect([...state.keys()]).toEqual(['0.weight', '0.bias', '1.weight', '1.bias', '1.running_mean', '1.running_var']);
    for (const [k, v] of state) expect(Array.from(v.data)).toEqual(Array.from(new Float32Array(file.tensors.get(k)!.data.slice().buffer)));
    expect(state.get('1.running_var')!.data.every((v) => v > 1.5)).toBe(true); // not the defaults
    expectClose(await runCpu(model, input), output.data, 'conv-BN-ReLU, BN folded');
    expectClose(await runCpu(model, input, { optimize: false }), output.data, 'conv-BN-ReLU, BN kept');
  });

  it('a model compiled after loadWeights uses the loaded weights, and loading again replaces them', async () => {
    const model = lenet(7);
    const defaults = await runCpu(model, record.input);
    await model.loadWeights(fixture('lenet_f32.safetensors'));
    const loaded = await runCpu(model, record.input);
    expect(sameElements(defaults, loaded)).toBe(false);
    expectClose(loaded, record.output.data);
    await model.loadWeights(lenet(7).saveWeights());
    expect(sameElements(await runCpu(model, record.input), defaults)).toBe(true);
  });
});

describe('saveWeights', () => {
  it('writes the F32 LeNet file byte for byte as the fixture script wrote it', async () => {
    const bytes = fixture('lenet_f32.safetensors');
    const model = lenet();
    await model.loadWeights(bytes);
    expect(Buffer.from(model.saveWeights()).equals(Buffer.from(bytes))).toBe(true);
  });

  it('round-trips every parameter and buffer in state_dict order, header padded to 8 bytes', async () => {
    const build = (seed: number) =>
      nn.sequential(
        { features: nn.sequential([L.conv2d(2, 3, 3), L.batchNorm2d(3)]), act: L.relu(), flat: L.flatten(), head: L.linear(3 * 4 * 4, 5) },
        { inputShape: [2, 6, 6], seed },
      );
    const source = build(1);
    const bytes = source.saveWeights();
    const headerBytes = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerBytes % 8).toBe(0);
    const file = readSafetensors(bytes);
    expect([...file.tensors.keys()]).toEqual(source.namedParameters().map(([k]) => k));
    expect([...file.tensors.keys()]).toContain('features.1.running_var');
    expect([...file.tensors.values()].every((t) => t.dtype === 'F32')).toBe(true);
    expect(file.metadata.get('format')).toBe('pt');

    const target = build(2);
    expect(sameElements(target.stateDict().get('head.weight')!.data, source.stateDict().get('head.weight')!.data)).toBe(false);
    await target.loadWeights(bytes);
    expectState(target, snapshot(source));
  });

  it('round-trips a recurrent layer and a model with no parameters', async () => {
    const source = nn.sequential([L.lstm(3, 4, { numLayers: 2, bidirectional: true })], { inputShape: [5, 3], seed: 4 });
    const target = nn.sequential([L.lstm(3, 4, { numLayers: 2, bidirectional: true })], { inputShape: [5, 3], seed: 5 });
    await target.loadWeights(source.saveWeights());
    expectState(target, snapshot(source));
    const empty = nn.sequential([L.relu()], { inputShape: [3] });
    await empty.loadWeights(empty.saveWeights());
  });
});

describe('loadWeights: mismatches are one WeightsError and change nothing', () => {
  const f32 = (shape: number[], rng = new Random(9)) => float32Tensor(shape, rng.fill(shape.reduce((a, b) => a * b, 1)));
  const i64 = (value: number): SafetensorsTensor => ({ dtype: 'I64', shape: [], data: new Uint8Array([value, 0, 0, 0, 0, 0, 0, 0]) });
  const lenetTensors = () => [...readSafetensors(fixture('lenet_f32.safetensors')).tensors];

  it('lists every missing and unexpected key by name in one error', async () => {
    const renamed = lenetTensors().map(([k, t]) => [k.replace(/^(7|9)\./, 'fc$1.'), t] as const);
    const message = await expectLoadError(lenet(), writeSafetensors(renamed), /4 missing keys: '7\.weight', '7\.bias', '9\.weight', '9\.bias'/, /4 unexpected keys: 'fc7\.weight', 'fc7\.bias', 'fc9\.weight', 'fc9\.bias'/);
    expect(message).toMatch(/^loadWeights: the file does not fit Sequential: /);
    await expectLoadError(lenet(), writeSafetensors([]), /10 missing keys: '0\.weight'.*'11\.bias'$/);
  });

  it('names the key, the file shape and the expected shape of a wrong shape', async () => {
    const tensors = lenetTensors().map(([k, t]) => [k, k === '3.weight' ? f32([16, 6, 3, 3]) : t] as const);
    await expectLoadError(lenet(), writeSafetensors(tensors), /'3\.weight' has shape \[16, 6, 3, 3\] in the file, the model expects \[16, 6, 5, 5\]/);
  });

  it('refuses dtypes other than F32, F16, BF16 for parameters', async () => {
    const asInt = lenetTensors().map(([k, t]) => [k, k === '11.bias' ? { ...t, dtype: 'I32' as const } : t] as const);
    await expectLoadError(lenet(), writeSafetensors(asInt), /'11\.bias' is I32; only F32, F16, BF16 load/);
  });

  it('lists all problems at once: missing, unexpected and mismatched', async () => {
    const tensors = lenetTensors()
      .filter(([k]) => k !== '0.bias')
      .map(([k, t]) => [k, k === '9.bias' ? f32([85]) : t] as const);
    await expectLoadError(lenet(), writeSafetensors([...tensors, ['extra', f32([1])]]), /1 missing key: '0\.bias'; 1 unexpected key: 'extra'; 1 mismatched key: '9\.bias' has shape \[85\]/);
  });

  it('accepts num_batches_tracked only on BatchNorm modules, and only as an I64 scalar', async () => {
    const model = convBnRelu();
    const base = [...readSafetensors(model.saveWeights()).tensors];
    await model.loadWeights(writeSafetensors([...base, ['1.num_batches_tracked', i64(3)]]));
    await expectLoadError(model, writeSafetensors([...base, ['0.num_batches_tracked', i64(3)]]), /1 unexpected key: '0\.num_batches_tracked'/);
    await expectLoadError(model, writeSafetensors([...base, ['1.num_batches_tracked', f32([])]]), /'1\.num_batches_tracked' is F32 \[\], expected BatchNorm's I64 scalar/);
  });

  it('changes nothing when only the last tensor is wrong (all or nothing)', async () => {
    const model = lenet(3);
    const tensors = lenetTensors();
    tensors[tensors.length - 1] = ['11.bias', f32([11])];
    await expectLoadError(model, writeSafetensors(tensors), /'11\.bias' has shape \[11\]/);
  });

  it('rejects a promise (never throws synchronously) for input that is not bytes', async () => {
    const model = lenet();
    for (const input of ['weights.safetensors', null, 42, { length: 8 }]) {
      let promise: Promise<void> | undefined;
      expect(() => {
        promise = model.loadWeights(input as unknown as Uint8Array);
      }).not.toThrow();
      await expect(promise).rejects.toBeInstanceOf(nn.WeightsError);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// Fuzzing: a small valid file (F32 parameters and BatchNorm's I64 counter), corrupted.

describe('loadWeights: fuzzed files either load correctly or throw WeightsError, never partly', () => {
  const build = () =>
    nn.sequential([L.conv2d(1, 2, 2), L.batchNorm2d(2), L.relu(), L.flatten(), L.linear(8, 3)], { inputShape: [1, 3, 3], seed: 11 });
  const valid = (() => {
    const rng = new Random(12);
    const tensors: [string, SafetensorsTensor][] = build()
      .namedParameters()
      .map(([k, p]) => [k, float32Tensor(p.shape, rng.fill(p.size, 0.5, 2))]);
    tensors.splice(6, 0, ['1.num_batches_tracked', { dtype: 'I64', shape: [], data: new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0]) }]);
    return writeSafetensors(tensors, { format: 'pt' });
  })();
  const validHeaderBytes = Number(new DataView(valid.buffer).getBigUint64(0, true));
  const model = build();
  const keys = model.namedParameters().map(([k]) => k);

  /** The F32 values a correct loader must produce for `bytes`, decoded without the library. */
  function independentDecode(bytes: Uint8Array): Map<string, Float32Array> {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const n = Number(view.getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n))) as Record<string, { data_offsets: [number, number] }>;
    return new Map(
      keys.map((k) => {
        const [begin, end] = header[k].data_offsets;
        return [k, Float32Array.from({ length: (end - begin) / 4 }, (_, i) => view.getFloat32(8 + n + begin + 4 * i, true))];
      }),
    );
  }

  /** Loads `bytes`; checks the outcome is a full, correct load or a WeightsError with nothing changed. */
  async function attempt(bytes: Uint8Array, what: string): Promise<'loaded' | 'refused'> {
    const before = model.stateDict();
    const copies = snapshot(model);
    const err = await loadError(model, bytes);
    if (err === undefined) {
      expectState(model, independentDecode(bytes));
      return 'loaded';
    }
    if (!(err instanceof nn.WeightsError)) expect.fail(`${what}: ${String(err)} is not a WeightsError`);
    for (const [k, v] of model.stateDict()) {
      if (v.data !== before.get(k)!.data || !sameElements(v.data, copies.get(k)!)) expect.fail(`${what}: '${k}' changed by a failed load`);
    }
    return 'refused';
  }

  it('the unmodified file loads', async () => {
    expect(await attempt(valid, 'valid')).toBe('loaded');
  });

  it('every truncation is refused, and so is any trailing byte', async () => {
    for (let n = 0; n < valid.length; n++) expect(await attempt(valid.subarray(0, n), `truncated to ${n}`)).toBe('refused');
    const longer = new Uint8Array(valid.length + 1);
    longer.set(valid);
    expect(await attempt(longer, 'one byte longer')).toBe('refused');
  });

  it(`every single-bit flip: in the data the file loads with that bit, in the length or the tensor entries it is refused`, async () => {
    const dataStart = 8 + validHeaderBytes;
    const counts = { loaded: 0, refused: 0 };
    for (let bit = 0; bit < valid.length * 8; bit++) {
      const bytes = valid.slice();
      bytes[bit >> 3] ^= 1 << (bit & 7);
      const outcome = await attempt(bytes, `bit ${bit} flipped`);
      counts[outcome]++;
      if (bit >> 3 >= dataStart) expect(outcome, `bit ${bit} is in the data`).toBe('loaded');
      else if (bit >> 3 < 8 || !inMetadata(bit >> 3)) expect(outcome, `bit ${bit} is in the length or a tensor entry`).toBe('refused');
    }
    expect(counts.loaded).toBeGreaterThan(1000);
    expect(counts.refused).toBeGreaterThan(1000);
  });

  /** Whether header byte `at` lies in the `"__metadata__":{…},` prefix (a flip there may still be a valid file). */
  function inMetadata(at: number): boolean {
    const text = new TextDecoder().decode(valid.subarray(8, 8 + validHeaderBytes));
    return at - 8 < text.indexOf('},') + 2;
  }

  it('thousands of random multi-bit flips and byte overwrites', async () => {
    const rng = new Random(21);
    const counts = { loaded: 0, refused: 0 };
    for (let trial = 0; trial < 3000; trial++) {
      const bytes = valid.slice();
      const flips = rng.int(2, 8);
      // A third of the trials each: the header (where the parser is), the data, anywhere.
      const [start, end] = [[0, 8 + validHeaderBytes], [8 + validHeaderBytes, valid.length], [0, valid.length]][trial % 3];
      for (let f = 0; f < flips; f++) {
        const at = rng.int(start, end - 1);
        if (rng.next() < 0.5) bytes[at] ^= 1 << rng.int(0, 7);
        else bytes[at] = rng.int(0, 255);
      }
      counts[await attempt(bytes, `trial ${trial}`)]++;
    }
    expect(counts.loaded).toBeGreaterThan(900);
    expect(counts.refused).toBeGreaterThan(1500);
  });

  it('random header mutations (fields, values, keys, metadata, text, length)', async () => {
    const rng = new Random(33);
    const pick = <T>(xs: readonly T[]): T => xs[rng.int(0, xs.length - 1)];
    const base = JSON.parse(new TextDecoder().decode(valid.subarray(8, 8 + validHeaderBytes))) as Record<string, unknown>;
    const data = valid.subarray(8 + validHeaderBytes);
    const weird = [-1, 0, 1, 2, 2.5, 1e300, -0, 2 ** 53, 2 ** 53 + 2, 2 ** 64, '3', '', null, true, [], {}, [1], [[1]], [0, 8], [-1, 3], { a: 1 }];
    const dtypes = ['F32', 'F16', 'BF16', 'I64', 'U8', 'F64', 'BOOL', 'F128', 'f32', '', 'F8_E4M3'];
    type Entry = Record<string, unknown>;
    /** A random tensor entry of `h` to edit (a throwaway object once earlier edits removed it). */
    const entryOf = (h: Record<string, unknown>): Entry => {
      const e = h[pick(keys)];
      return typeof e === 'object' && e !== null && !Array.isArray(e) ? (e as Entry) : {};
    };

    const mutations: ((h: Record<string, unknown>) => void)[] = [
      (h) => delete entryOf(h)[pick(['dtype', 'shape', 'data_offsets'])],
      (h) => (entryOf(h)[pick(['dtype', 'shape', 'data_offsets'])] = pick(weird)),
      (h) => (h[pick(keys)] = pick(weird)),
      (h) => (entryOf(h).dtype = pick(dtypes)),
      (h) => {
        const shape = entryOf(h).shape as unknown[];
        if (!Array.isArray(shape)) return;
        const i = rng.int(0, shape.length);
        if (rng.next() < 0.3) shape.splice(i, 1);
        else if (rng.next() < 0.5) shape.splice(i, 0, pick([1, 0, 2, -1, 1.5, 2 ** 40]));
        else shape[i] = pick(weird);
      },
      (h) => {
        const offsets = entryOf(h).data_offsets as number[];
        if (!Array.isArray(offsets)) return;
        offsets[rng.int(0, 1)] += pick([-8, -4, -1, 1, 4, 8, 1000, -1e6]);
      },
      (h) => {
        entryOf(h).data_offsets = entryOf(h).data_offsets; // another tensor's bytes
      },
      (h) => {
        const k = pick([...keys, '1.num_batches_tracked']);
        const renamed = pick([`${k}x`, k.toUpperCase(), `0.num_batches_tracked`, '__proto__', '__metadata__', 'constructor', pick(keys)]);
        const e = h[k];
        delete h[k];
        // defineProperty, so that '__proto__' becomes a key rather than the prototype.
        Object.defineProperty(h, renamed, { value: e, enumerable: true, writable: true, configurable: true });
      },
      (h) => delete h[pick([...keys, '1.num_batches_tracked'])],
      (h) => (h[`copy${rng.int(0, 9)}`] = JSON.parse(JSON.stringify(entryOf(h)))),
      (h) => (h.__metadata__ = pick([...weird, { format: 'pt', other: 'ok' }, { format: 3 }, {}])),
      (h) => delete h.__metadata__,
    ];

    /** Text-level edits of the header and its length field. */
    function encode(h: Record<string, unknown>): Uint8Array {
      let text = JSON.stringify(h);
      const textEdit = rng.int(0, 9);
      if (textEdit === 0) text = text.slice(0, rng.int(0, text.length));
      else if (textEdit === 1) text += ' '.repeat(rng.int(1, 12)); // valid padding
      else if (textEdit === 2) {
        const at = rng.int(0, text.length);
        text = text.slice(0, at) + pick(['{', '}', '"', ',', ':', '\\', '\u0000', 'é', '\ud800', ' ', '0']) + text.slice(at);
      } else if (textEdit === 3) {
        const at = rng.int(0, text.length - 1);
        text = text.slice(0, at) + text.slice(at + 1);
      }
      const json = new TextEncoder().encode(text);
      const out = new Uint8Array(8 + json.length + data.length);
      let length = BigInt(json.length);
      const lengthEdit = rng.int(0, 14);
      if (lengthEdit === 0) length = BigInt.asUintN(64, BigInt(rng.int(0, 2 ** 31)) * BigInt(rng.int(0, 2 ** 31)) * BigInt(rng.int(1, 8)));
      else if (lengthEdit === 1) length = BigInt.asUintN(64, length + BigInt(rng.int(-9, 9)));
      new DataView(out.buffer).setBigUint64(0, length, true);
      out.set(json, 8);
      out.set(data, 8 + json.length);
      return out;
    }

    const counts = { loaded: 0, refused: 0 };
    for (let trial = 0; trial < 2000; trial++) {
      const h = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
      for (let m = rng.int(1, 3); m > 0; m--) pick(mutations)(h);
      counts[await attempt(encode(h), `mutation trial ${trial}`)]++;
    }
    expect(counts.loaded).toBeGreaterThan(50);
    expect(counts.refused).toBeGreaterThan(1000);
  });
});
