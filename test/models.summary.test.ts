// nn.models: names, shapes and summary() figures against torchvision and the published tables.
// test/data/torchvision-names.json is made by scripts/fixtures/make_torchvision_names.py.
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import * as nn from '../src';
import type { Module, ModelSummary } from '../src';
import { GOOGLENET_INCEPTIONS } from '../src/models/googlenet';
import { float32Tensor, toFloat32, writeSafetensors, type SafetensorsTensor } from '../src/io/safetensors';
import { LENET5_C3_TABLE } from '../src/models/lenet';
import { Random } from '../src/random';

interface TorchvisionModel {
  params: number;
  state: [string, number[]][];
}
const torchvision = JSON.parse(readFileSync(new URL('./data/torchvision-names.json', import.meta.url), 'utf8')) as {
  models: Record<string, TorchvisionModel>;
};

// The registry's rows that are torchvision networks, by torchvision's name.
const TORCHVISION_BUILDERS: Record<string, () => Module> = Object.fromEntries(nn.models.ZOO.filter((e) => e.torchvision).map((e) => [e.torchvision!, () => e.build()]));

/** Summed MACs and parameters of the layers under a dotted prefix. */
function under(s: ModelSummary, prefix: string): { macs: number; params: number } {
  const rows = s.layers.filter((l) => l.name === prefix || l.name.startsWith(`${prefix}.`));
  expect(rows.length, `layers under ${prefix}`).toBeGreaterThan(0);
  return { macs: rows.reduce((n, l) => n + l.macs, 0), params: rows.reduce((n, l) => n + l.params, 0) };
}

function layer(s: ModelSummary, name: string) {
  const found = s.layers.find((l) => l.name === name);
  if (!found) throw new Error(`no layer ${name} in ${s.layers.map((l) => l.name).join(', ')}`);
  return found;
}

/** A table entry printed to its last digit: |computed − printed| < one unit of that digit. */
function expectPrinted(computed: number, printed: number, unit: number, what: string): void {
  expect(Math.abs(computed / unit - printed), `${what}: ${computed} against the table's ${printed}×${unit}`).toBeLessThan(1);
}

describe('the zoo registry', () => {
  for (const entry of nn.models.ZOO) {
    test(`${entry.name}: its parameters, MACs and input as registered`, () => {
      const model = entry.build();
      const s = model.summary();
      expect([s.totalParams, s.totalMacs]).toEqual([entry.params, entry.macs]);
      const graph = model.trace(1);
      expect(graph.values[graph.inputs[0].id].shape).toEqual(entry.input);
    });
  }

  test('names are unique and each is the call that builds the row', () => {
    const names = nn.models.ZOO.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
    for (const e of nn.models.ZOO) expect(Object.keys(nn.models)).toContain(nn.models.builderName(e));
  });
});

describe('torchvision state dicts', () => {
  test('the fixture covers every torchvision builder', () => {
    expect(Object.keys(torchvision.models).sort()).toEqual(Object.keys(TORCHVISION_BUILDERS).sort());
  });

  for (const [name, build] of Object.entries(TORCHVISION_BUILDERS)) {
    test(`${name}: names and shapes in order, trainable flags and parameter count`, () => {
      const tv = torchvision.models[name];
      const model = build();
      const ours = model.namedParameters();
      // BatchNorm's num_batches_tracked is the one torchvision key not stored (loadWeights ignores it).
      const ignored = tv.state.filter(([key]) => key.endsWith('.num_batches_tracked')).map(([key]) => key.replace(/num_batches_tracked$/, ''));
      const bnPrefixes = ours.filter(([key]) => key.endsWith('.running_mean')).map(([key]) => key.replace(/running_mean$/, ''));
      expect(ignored).toEqual(bnPrefixes);
      const expected = tv.state.filter(([key]) => !key.endsWith('.num_batches_tracked'));
      expect(ours.map(([key, p]) => [key, [...p.shape]])).toEqual(expected);
      for (const [key, p] of ours) expect(p.trainable, key).toBe(!/\.running_(mean|var)$/.test(key));
      const s = model.summary();
      expect(s.totalParams).toBe(tv.params);
      expect(s.layers.reduce((n, l) => n + l.params, 0)).toBe(tv.params);
      expect(ours.every(([, p]) => !p.isMaterialized), 'summary() allocates no weights').toBe(true);
    });
  }
});

describe('LeNet', () => {
  test("lenet(): the lecture's 61,706 parameters and 416,520 MACs, d2l's keys", () => {
    const model = nn.models.lenet();
    const s = model.summary();
    expect([s.totalParams, s.totalMacs]).toEqual([61_706, 416_520]);
    expect(model.namedParameters().map(([k]) => k)).toEqual(['0.weight', '0.bias', '3.weight', '3.bias', '7.weight', '7.bias', '9.weight', '9.bias', '11.weight', '11.bias']);
    expect(s.layers.map((l) => l.type)).toEqual(['Conv2d', 'Sigmoid', 'AvgPool2d', 'Conv2d', 'Sigmoid', 'AvgPool2d', 'Flatten', 'Linear', 'Sigmoid', 'Linear', 'Sigmoid', 'Linear']);
    expect(layer(s, '11').outputShape).toEqual([1, 10]);
  });

  test("lenet({ activation: 'relu', pooling: 'max' }): same counts, modern layers", () => {
    const s = nn.models.lenet({ activation: 'relu', pooling: 'max' }).summary();
    expect([s.totalParams, s.totalMacs]).toEqual([61_706, 416_520]);
    expect(s.layers.map((l) => l.type).filter((t) => t !== 'Conv2d' && t !== 'Linear' && t !== 'Flatten')).toEqual(['ReLU', 'MaxPool2d', 'ReLU', 'MaxPool2d', 'ReLU', 'ReLU']);
  });

  test('lenet5(): 60,000 trainable parameters, per layer as in the paper', () => {
    const model = nn.models.lenet5();
    const s = model.summary();
    expect(s.totalParams).toBe(60_000);
    const params = Object.fromEntries(s.layers.filter((l) => l.params > 0).map((l) => [l.name, l.params]));
    expect(params).toEqual({ c1: 156, s2: 12, c3: 1_516, s4: 32, c5: 48_120, f6: 10_164 });
    expect(layer(s, 'c3').outputShape).toEqual([1, 16, 10, 10]);
    expect(layer(s, 'c5').outputShape).toEqual([1, 120, 1, 1]);
    expect(layer(s, 'output').outputShape).toEqual([1, 10]);
    // The 840 RBF centres are a fixed buffer of ±1 values.
    const centres = model.namedParameters().find(([k]) => k === 'output.weight')![1];
    expect([centres.trainable, centres.size]).toEqual([false, 840]);
    expect(new Set(model.stateDict().get('output.weight')!.data)).toEqual(new Set([-1, 1]));
  });

  test("lenet5(): C3's connection table (Table I) and its masked weight", () => {
    expect(LENET5_C3_TABLE.map((inputs) => inputs.length)).toEqual([3, 3, 3, 3, 3, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 6]);
    expect(LENET5_C3_TABLE[4]).toEqual([0, 4, 5]);
    expect(LENET5_C3_TABLE[11]).toEqual([0, 1, 2, 5]);
    expect(LENET5_C3_TABLE.slice(12, 15)).toEqual([[0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5]]);
    const model = nn.models.lenet5();
    const w = model.stateDict().get('c3.weight')!;
    expect(w.shape).toEqual([16, 6, 5, 5]);
    // Unconnected kernels start at zero; connected ones are drawn.
    for (let o = 0; o < 16; o++) {
      for (let i = 0; i < 6; i++) {
        const kernel = w.data.subarray((o * 6 + i) * 25, (o * 6 + i + 1) * 25);
        expect(kernel.some((v) => v !== 0), `c3 map ${o} from ${i}`).toBe(LENET5_C3_TABLE[o].includes(i));
      }
    }
  });
});

describe("AlexNet and the lecture's complexity table", () => {
  test("alexnet({ variant: 'lecture' }): 46,764,746 parameters on 1×224×224, 10 classes", () => {
    const s = nn.models.alexnet({ variant: 'lecture' }).summary();
    expect(s.totalParams).toBe(46_764_746);
    expect(layer(s, 'features.0').outputShape).toEqual([1, 96, 54, 54]);
    expect(layer(s, 'features.12').outputShape).toEqual([1, 256, 5, 5]);
    expect(layer(s, 'classifier.6').outputShape).toEqual([1, 10]);
  });

  test("the table's AlexNet column (its Conv1 row counts a 3-channel input)", () => {
    // [rows, #parameters (printed, unit), FLOP (printed, unit)]; "FLOP" are multiply-adds.
    const table: [string[], [number, number], [number, number]][] = [
      [['features.0'], [35, 1e3], [101, 1e6]],
      [['features.3'], [614, 1e3], [415, 1e6]],
      [['features.6', 'features.8', 'features.10'], [3, 1e6], [445, 1e6]],
      [['classifier.0'], [26, 1e6], [26, 1e6]],
      [['classifier.3'], [16, 1e6], [16, 1e6]],
    ];
    const rgb = nn.models.alexnet({ variant: 'lecture', inChannels: 3 }).summary();
    for (const [rows, [params, pUnit], [flop, fUnit]] of table) {
      const sum = rows.map((r) => under(rgb, r)).reduce((a, b) => ({ params: a.params + b.params, macs: a.macs + b.macs }));
      expectPrinted(sum.params, params, pUnit, `${rows.join('+')} params`);
      expectPrinted(sum.macs, flop, fUnit, `${rows.join('+')} MACs`);
    }
    expectPrinted(rgb.totalParams, 46, 1e6, 'total params');
    expectPrinted(rgb.totalMacs, 1, 1e9, 'total MACs');
    // The lecture's own network reads one channel: Conv1 has 11,712 parameters and 34 M MACs.
    const gray = nn.models.alexnet({ variant: 'lecture' }).summary();
    expect([layer(gray, 'features.0').params, layer(gray, 'features.0').macs]).toEqual([11_712, 33_872_256]);
  });

  test("the table's LeNet column is 10× the network it describes (erratum)", () => {
    // The table prints Conv1 150 / 1.2M, Conv2 2.4K / 2.4M, Dense1 0.48M / 0.48M, Dense2 0.1M /
    // 0.1M, Total 0.6M / 4M; the slide's own "16×5×5×120 = 48k" gives Dense1 48K. Computed
    // (weights without biases, as the table counts):
    const s = nn.models.lenet().summary();
    const weights = (name: string) => layer(s, name).params - (layer(s, name).outputShape[1] ?? 0);
    expect([weights('0'), weights('3'), weights('7'), weights('9')]).toEqual([150, 2_400, 48_000, 10_080]);
    expect([layer(s, '0').macs, layer(s, '3').macs, layer(s, '7').macs, layer(s, '9').macs]).toEqual([117_600, 240_000, 48_000, 10_080]);
    // Against the printed values: right for the convolutions' parameters, 10× for everything else.
    expectPrinted(weights('0'), 150, 1, 'Conv1 params');
    expectPrinted(weights('3'), 24, 1e2, 'Conv2 params');
    expectPrinted(10 * weights('7'), 48, 1e4, 'Dense1 params ×10');
    expectPrinted(10 * weights('9'), 1, 1e5, 'Dense2 params ×10');
    expectPrinted(10 * layer(s, '0').macs, 12, 1e5, 'Conv1 FLOP ×10');
    expectPrinted(10 * layer(s, '3').macs, 24, 1e5, 'Conv2 FLOP ×10');
    expectPrinted(10 * layer(s, '7').macs, 48, 1e4, 'Dense1 FLOP ×10');
    expectPrinted(10 * s.totalParams, 6, 1e5, 'total params ×10');
    expectPrinted(10 * s.totalMacs, 4, 1e6, 'total FLOP ×10');
  });

  test('torchvision AlexNet keeps AdaptiveAvgPool2d(6×6): the same weights fit 64×64 inputs', () => {
    const s = nn.models.alexnet({ inputSize: 64 }).summary();
    expect(s.totalParams).toBe(61_100_840);
    expect(layer(s, 'avgpool').outputShape).toEqual([1, 256, 6, 6]);
  });
});

describe('VGG', () => {
  test("the paper's Table 2: 133 / 133 / 133 / 134 / 138 / 144 million parameters for A, A-LRN, B, C, D, E", () => {
    const table: [nn.models.VggConfig, number][] = [['A', 133], ['A-LRN', 133], ['B', 133], ['C', 134], ['D', 138], ['E', 144]];
    for (const [config, millions] of table) expect(Math.round(nn.models.vgg({ config }).summary().totalParams / 1e6), config).toBe(millions);
  });

  test("configuration C closes blocks 3–5 with 1×1 convolutions; A-LRN has an LRN after the first", () => {
    const c = nn.models.vgg({ config: 'C' }).summary().layers.filter((l) => l.type === 'Conv2d');
    expect(c.map((l) => l.params)).toEqual([
      1_792, 36_928, 73_856, 147_584, 295_168, 590_080, 65_792, 1_180_160, 2_359_808, 262_656, 2_359_808, 2_359_808, 262_656,
    ]);
    const lrn = nn.models.vgg({ config: 'A-LRN' }).summary().layers;
    expect(lrn.slice(0, 4).map((l) => l.type)).toEqual(['Conv2d', 'ReLU', 'LocalResponseNorm', 'MaxPool2d']);
    expect(lrn.filter((l) => l.type === 'LocalResponseNorm')).toHaveLength(1);
  });

  test('VGG-16: 15.5 G MACs at 224, the classifier sees 512×7×7 at any input size', () => {
    const s = nn.models.vgg16().summary();
    expect(s.totalMacs).toBe(15_470_264_320);
    expect(layer(nn.models.vgg16({ inputSize: 32 }).summary(), 'avgpool').outputShape).toEqual([1, 512, 7, 7]);
  });
});

describe('NiN', () => {
  test("d2l's NiN: 1,992,166 parameters, 10 maps averaged to the classes", () => {
    const model = nn.models.nin();
    const s = model.summary();
    expect(s.totalParams).toBe(1_992_166);
    expect(layer(s, '7.4').outputShape).toEqual([1, 10, 5, 5]);
    expect(layer(s, '9').outputShape).toEqual([1, 10]);
    expect(model.namedParameters()[0][0]).toBe('0.0.weight');
  });
});

describe('GoogLeNet', () => {
  // The lecture's table: params (K) and ops (M) per inception block.
  const TABLE: Record<string, [number, number]> = {
    inception3a: [159, 128],
    inception3b: [380, 304],
    inception4a: [364, 73],
    inception4b: [437, 88],
    inception4c: [463, 100],
    inception4d: [580, 119],
    inception4e: [840, 170],
    inception5a: [1072, 54],
    inception5b: [1388, 71],
  };

  test("the table's ops column per inception block (5a computes to 51 M against the printed 54 M)", () => {
    const s = nn.models.googlenet().summary();
    for (const [name, [, ops]] of Object.entries(TABLE)) {
      const macs = under(s, name).macs;
      if (name === 'inception5a') expect(Math.round(macs / 1e6), name).toBe(51);
      else expectPrinted(macs, ops, 1e6, name);
    }
    expect(layer(s, 'inception3a.branch3.1.conv').outputShape).toEqual([1, 32, 28, 28]);
    expect(layer(s, 'inception5b.branch4.1.conv').outputShape).toEqual([1, 128, 7, 7]);
    expect(layer(s, 'fc').outputShape).toEqual([1, 1000]);
  });

  test("the table's params column differs from the architecture it describes by a few per cent (4c: 10 %)", () => {
    const s = nn.models.googlenet().summary();
    const deviation = Object.entries(TABLE).map(([name, [params]]) => Math.round((under(s, name).params / (params * 1e3) - 1) * 100));
    expect(deviation).toEqual([3, 2, 3, 3, 10, 4, 3, -3, 4]);
  });

  test("the lecture's inception-versus-convolution table (3a at 28×28 from 192 channels)", () => {
    const s = nn.models.googlenet().summary();
    expectPrinted(under(s, 'inception3a').params, 16, 1e4, 'inception params');
    expectPrinted(under(s, 'inception3a').macs, 128, 1e6, 'inception ops');
    for (const [k, params, ops] of [[3, 44, 346], [5, 122, 963]] as const) {
      const conv = nn.sequential([nn.layers.conv2d(192, 256, k, { padding: (k - 1) / 2 })], { inputShape: [192, 28, 28] }).summary();
      expectPrinted(conv.totalParams, params, 1e4, `${k}×${k} conv params`);
      expectPrinted(conv.totalMacs, ops, 1e6, `${k}×${k} conv ops`);
    }
  });

  test('the inception widths are the table rows; { batchNorm: true } is torchvision\'s 6,624,904', () => {
    expect(GOOGLENET_INCEPTIONS.map(([name]) => name)).toEqual(Object.keys(TABLE));
    const bn = nn.models.googlenet({ batchNorm: true }).summary();
    expect(bn.totalParams).toBe(6_624_904);
    expect(layer(bn, 'inception3a.branch3.1.conv').params).toBe(16 * 32 * 9);
    expect(layer(nn.models.googlenet().summary(), 'inception3a.branch3.1.conv').params).toBe(16 * 32 * 25 + 32);
  });
});

describe('ResNet', () => {
  test("the paper's Table 1 for 101 and 152 layers: 7.6 and 11.3 ×10⁹ (v1; torchvision's v1.5: 7.8 and 11.5)", () => {
    expectPrinted(nn.models.resnet101({ variant: 'v1' }).summary().totalMacs, 76, 1e8, 'ResNet-101 v1');
    expectPrinted(nn.models.resnet152({ variant: 'v1' }).summary().totalMacs, 113, 1e8, 'ResNet-152 v1');
    expectPrinted(nn.models.resnet101().summary().totalMacs, 78, 1e8, 'ResNet-101 v1.5');
    expectPrinted(nn.models.resnet152().summary().totalMacs, 115, 1e8, 'ResNet-152 v1.5');
  });

  test("the paper's Table 1: 1.8 and 3.6 ×10⁹ multiply-adds for 18 and 34 layers", () => {
    // Printed to the first decimal, truncated: 1.81 and 3.66 ×10⁹ computed.
    expectPrinted(nn.models.resnet18().summary().totalMacs, 18, 1e8, 'ResNet-18');
    expectPrinted(nn.models.resnet34().summary().totalMacs, 36, 1e8, 'ResNet-34');
  });

  test('ResNet-50: 4.09 G MACs as torchvision builds it (v1.5), 3.86 G for the paper\'s v1', () => {
    const v15 = nn.models.resnet50().summary();
    const v1 = nn.models.resnet50({ variant: 'v1' }).summary();
    expect(Math.round(v15.totalMacs / 1e7) / 100).toBe(4.09);
    expect(Math.round(v1.totalMacs / 1e7) / 100).toBe(3.86);
    expectPrinted(v1.totalMacs, 38, 1e8, "ResNet-50 v1 against the paper's 3.8");
    expect(v1.totalParams).toBe(v15.totalParams);
    // v1.5 strides in the 3×3, v1 in the first 1×1.
    expect(layer(v15, 'layer2.0.conv1').outputShape).toEqual([1, 128, 56, 56]);
    expect(layer(v15, 'layer2.0.conv2').outputShape).toEqual([1, 128, 28, 28]);
    expect(layer(v1, 'layer2.0.conv1').outputShape).toEqual([1, 128, 28, 28]);
    expect(layer(v15, 'layer4.2.conv3').outputShape).toEqual([1, 2048, 7, 7]);
  });
});

describe('recurrent models', () => {
  test("d2l's character models: 2,908 / 8,860 / 6,876 parameters, MACs per sequence of seqLength", () => {
    const table: [string, () => Module, number, number][] = [
      ['rnn', () => nn.models.rnn(), 2_908, 1],
      ['lstm', () => nn.models.lstm(), 8_860, 4],
      ['gru', () => nn.models.gru(), 6_876, 3],
    ];
    for (const [name, build, params, gates] of table) {
      const s = build().summary();
      expect(s.totalParams, name).toBe(params);
      // 35 steps × (gates·32 × (28 + 32) recurrent + 32 × 28 dense).
      expect(s.totalMacs, name).toBe(35 * (gates * 32 * (28 + 32) + 32 * 28));
      expect(s.layers.map((l) => [l.name, l.outputShape]), name).toEqual([['rnn', [35, 1, 32]], ['linear', [35, 1, 28]]]);
    }
  });

  test('options: layers, directions, sizes and sequence length; PyTorch keys', () => {
    const model = nn.models.lstm({ inputSize: 10, hiddenSize: 8, numLayers: 2, bidirectional: true, outputSize: 5, seqLength: 7 });
    const s = model.summary();
    const layer0 = 2 * 4 * 8 * (10 + 8 + 2);
    const layer1 = 2 * 4 * 8 * (16 + 8 + 2);
    expect(s.totalParams).toBe(layer0 + layer1 + 16 * 5 + 5);
    expect(s.totalMacs).toBe(7 * (2 * 32 * (10 + 8) + 2 * 32 * (16 + 8) + 16 * 5));
    expect(layer(s, 'linear').outputShape).toEqual([7, 1, 5]);
    expect(model.namedParameters().map(([k]) => k).slice(0, 5)).toEqual([
      'rnn.weight_ih_l0',
      'rnn.weight_hh_l0',
      'rnn.bias_ih_l0',
      'rnn.bias_hh_l0',
      'rnn.weight_ih_l0_reverse',
    ]);
  });
});

describe('builder options', () => {
  test('summary() allocates no weights, for every builder', () => {
    const builders: (() => Module)[] = [
      () => nn.models.lenet(),
      () => nn.models.lenet5(),
      () => nn.models.alexnet({ variant: 'lecture' }),
      () => nn.models.vgg({ config: 'A-LRN' }),
      () => nn.models.nin(),
      () => nn.models.googlenet(),
      () => nn.models.gru(),
    ];
    for (const build of builders) {
      const model = build();
      model.summary();
      expect(model.namedParameters().filter(([, p]) => p.isMaterialized)).toEqual([]);
    }
  });

  test('inChannels, numClasses and inputSize set the input shape and the classifier', () => {
    const model = nn.models.resnet18({ inChannels: 1, numClasses: 7, inputSize: [32, 48] });
    expect(model.inputShapes).toEqual({ input: [1, 32, 48] });
    const s = model.summary();
    expect(layer(s, 'conv1').outputShape).toEqual([1, 64, 16, 24]);
    expect(layer(s, 'fc').outputShape).toEqual([1, 7]);
  });

  test('seeds: same seed, same weights; another seed, other weights', () => {
    const w = (seed: number) => nn.models.lenet({ seed }).stateDict().get('0.weight')!.data;
    expect(w(3)).toEqual(w(3));
    expect(w(3)).not.toEqual(w(4));
  });

  test('bad options are typed errors naming the builder', () => {
    expect(() => nn.models.resnet50({ variant: 'v2' as 'v1' })).toThrow(nn.UnsupportedError);
    expect(() => nn.models.alexnet({ variant: 'original' as 'lecture' })).toThrow(/alexnet: variant 'original'/);
    expect(() => nn.models.vgg({ config: 'F' as 'A' })).toThrow(nn.UnsupportedError);
    expect(() => nn.models.lenet({ activation: 'gelu' as 'relu' })).toThrow(nn.UnsupportedError);
    expect(() => nn.models.vgg11({ numClasses: 0 })).toThrow(nn.ShapeError);
    expect(() => nn.models.nin({ inChannels: 1.5 })).toThrow(/nin: inChannels must be a positive integer/);
    expect(() => nn.models.lstm({ hiddenSize: -1 })).toThrow(nn.ShapeError);
    expect(() => nn.models.lenet({ inputSize: 8 })).toThrow(/lenet: inputSize 8×8 is too small/);
    // Too small for a network's pooling: the layer that cannot run is named.
    expect(() => nn.models.nin({ inputSize: 40 }).summary()).toThrow(/^\d+(\.\d+)*: /);
  });
});

describe('torchvision state dicts load unchanged', () => {
  // A file laid out as torchvision's state_dict saved as safetensors: every key in torchvision's
  // order and shape, BatchNorm's num_batches_tracked as I64 scalars, the weights alternately F32
  // and F16 (as a half-precision export would have some).
  function torchvisionFile(name: string, rng: Random): { file: Uint8Array; values: Map<string, Float32Array> } {
    const values = new Map<string, Float32Array>();
    const tensors: [string, SafetensorsTensor][] = torchvision.models[name].state.map(([key, shape], i) => {
      if (key.endsWith('num_batches_tracked')) return [key, { dtype: 'I64', shape, data: new Uint8Array(8) }];
      const v = rng.fill(shape.reduce((a, b) => a * b, 1));
      if (i % 2 === 0) {
        values.set(key, v);
        return [key, float32Tensor(shape, v)];
      }
      // F16: each value rounded to half precision; the model must hold exactly the rounded ones.
      const half: SafetensorsTensor = { dtype: 'F16', shape, data: new Uint8Array(Uint16Array.from(v, toHalf).buffer) };
      values.set(key, toFloat32(half));
      return [key, half];
    });
    return { file: writeSafetensors(tensors, { format: 'pt' }), values };
  }

  for (const name of ['resnet18', 'googlenet']) {
    test(`${name}: every key, shape and value arrives`, async () => {
      const model = TORCHVISION_BUILDERS[name]();
      const { file, values } = torchvisionFile(name, new Random(7));
      await model.loadWeights(file);
      const state = model.stateDict();
      expect([...state.keys()]).toEqual([...values.keys()]);
      // Byte-wise: expect().toEqual on millions of floats takes a minute.
      const bytes = (a: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
      for (const [key, v] of values) expect(bytes(state.get(key)!.data).equals(bytes(v)), key).toBe(true);
    });
  }
});

/** float32 → IEEE half bits, round to nearest even (finite, normal range: enough for weights in ±1). */
function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const exponent = ((bits >>> 23) & 0xff) - 127 + 15;
  if (exponent <= 0) return sign; // tiny values flush to zero
  let mantissa = bits & 0x7fffff;
  let half = sign | (exponent << 10) | (mantissa >>> 13);
  mantissa &= 0x1fff;
  if (mantissa > 0x1000 || (mantissa === 0x1000 && (half & 1))) half++;
  return half;
}
