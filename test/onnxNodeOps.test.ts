// The ONNX node translation beyond what the conformance cases cover: its errors, the opset < 13
// softmax rule, bidirectional recurrences and the release of intermediates.
import { describe, expect, it } from 'vitest';
import { ModelFormatError, UnsupportedError } from '../src/errors';
import { applyOnnxNode, type OnnxAttribute, type OnnxInput } from '../src/io/onnx/nodeOps';
import type { Tensor } from '../src/tensor';
import { cpu, expectClose, Random } from './helpers';

const ctx = { constant: (data: Float32Array, shape: readonly number[]) => cpu.tensor(data, shape) };

const tensor = (value: Tensor): OnnxInput<Tensor> => ({ kind: 'tensor', value });
const constant = (data: Float32Array, shape: number[]): OnnxInput<Tensor> => ({ kind: 'constant', dtype: 'float32', shape, data });

function node(opType: string, attributes: Record<string, OnnxAttribute> = {}, outputs = 1, opset = 22) {
  return { opType, opset, attributes, outputs: new Array<boolean>(outputs).fill(true) };
}

type Inputs = (OnnxInput<Tensor> | null)[];

function run(opType: string, inputs: Inputs, attributes: Record<string, OnnxAttribute> = {}, outputs = 1, opset = 22) {
  return applyOnnxNode(cpu.ops, ctx, node(opType, attributes, outputs, opset), inputs);
}

const rng = new Random(7);
const randomInput = (shape: number[]) => tensor(cpu.tensor(rng.fill(shape.reduce((a, b) => a * b, 1)), shape));

describe('applyOnnxNode: errors', () => {
  it('refuses an unknown op by name', () => {
    expect(() => run('Einsum', [randomInput([2])])).toThrow(UnsupportedError);
    expect(() => run('Einsum', [randomInput([2])])).toThrow(/Einsum/);
    expect(() => run('constructor', [randomInput([2])])).toThrow(UnsupportedError);
  });

  it('calls a wrong input count or a missing required input malformed', () => {
    expect(() => run('Relu', [randomInput([2]), randomInput([2])])).toThrow(ModelFormatError);
    expect(() => run('Conv', [randomInput([1, 1, 3, 3]), null])).toThrow(ModelFormatError);
    expect(() => run('Relu', [randomInput([2])], {}, 0)).toThrow(ModelFormatError);
  });

  it('calls attributes of the wrong type malformed', () => {
    expect(() => run('LeakyRelu', [randomInput([2])], { alpha: 'big' })).toThrow(ModelFormatError);
    expect(() => run('Transpose', [randomInput([2, 3])], { perm: [1.5, 0] })).toThrow(ModelFormatError);
    expect(() => run('MaxPool', [randomInput([1, 1, 4, 4])], { kernel_shape: [2, 2], auto_pad: 'SAME' })).toThrow(ModelFormatError);
    expect(() => run('MaxPool', [randomInput([1, 1, 4, 4])], {})).toThrow(ModelFormatError);
  });

  it('refuses non-float32 data and run-time values where a constant is needed', () => {
    const doubles: OnnxInput<Tensor> = { kind: 'constant', dtype: 'float64', shape: [2], data: new Float64Array(2) };
    expect(() => run('Relu', [doubles])).toThrow(/dtype float64/);
    const x = randomInput([2, 3]);
    expect(() => run('Reshape', [x, randomInput([2])])).toThrow(UnsupportedError);
    expect(() => run('Reshape', [x, randomInput([2])])).toThrow(/must be a constant/);
  });

  it('refuses variants outside the API', () => {
    const lstmInputs = [randomInput([1, 1, 2]), constant(new Float32Array(16), [1, 8, 2]), constant(new Float32Array(16), [1, 8, 2])];
    expect(() => run('LSTM', lstmInputs, { hidden_size: 2, direction: 'reverse' }, 3)).toThrow(/reverse/);
    expect(() => run('LSTM', lstmInputs, { hidden_size: 2, activations: ['Relu', 'Tanh', 'Tanh'] }, 3)).toThrow(UnsupportedError);
    expect(() => run('LRN', [randomInput([1, 4, 2, 2])], { size: 2 })).toThrow(/even size/);
    expect(() => run('Conv', [randomInput([1, 1, 2, 2, 2]), randomInput([1, 1, 1, 1, 1])])).toThrow(/3-D/);
  });
});

describe('applyOnnxNode: semantics the conformance cases do not reach', () => {
  it('Softmax before opset 13 normalises over the flattened dims from axis on', async () => {
    const x = randomInput([2, 3, 4]);
    const [y] = run('Softmax', [x], { axis: 1 }, 1, 11);
    expect(y!.shape).toEqual([2, 3, 4]);
    const flat = cpu.ops.softmax(cpu.ops.reshape((x as { value: Tensor }).value, [2, 12]), { dim: 1 });
    expectClose(await y!.data(), await flat.data());
  });

  it('Reshape copies a dim for 0 unless allowzero = 1', () => {
    const x = randomInput([2, 3, 4]);
    const shape = (dims: number[]): OnnxInput<Tensor> => ({
      kind: 'constant',
      dtype: 'int64',
      shape: [dims.length],
      data: BigInt64Array.from(dims.map(BigInt)),
    });
    expect(run('Reshape', [x, shape([0, -1])])[0]!.shape).toEqual([2, 12]);
    expect(() => run('Reshape', [x, shape([0, -1])], { allowzero: 1 })).toThrow();
  });

  // The conformance cases use constant weights, under which every gate order gives the same
  // numbers; these check the gate, bias and peephole layouts against the ONNX operator
  // definitions written out directly, with random weights.
  const variants: { op: 'LSTM' | 'GRU' | 'RNN'; attributes: RecurrenceAttributes }[] = [
    { op: 'LSTM', attributes: {} },
    { op: 'GRU', attributes: {} },
    { op: 'GRU', attributes: { linear_before_reset: 1 } },
    { op: 'RNN', attributes: {} },
    { op: 'RNN', attributes: { activations: ['Relu'] } },
  ];
  for (const variant of variants) {
    it(`${variant.op} ${JSON.stringify(variant.attributes)} follows the ONNX equations`, async () => {
      const [T, N, I, H] = [3, 2, 3, 4];
      const G = { LSTM: 4, GRU: 3, RNN: 1 }[variant.op];
      const lstm = variant.op === 'LSTM';
      const v = {
        X: rng.fill(T * N * I),
        W: rng.fill(G * H * I),
        R: rng.fill(G * H * H),
        B: rng.fill(2 * G * H),
        H0: rng.fill(N * H),
        C0: rng.fill(N * H),
        P: rng.fill(3 * H),
      };
      const inputs: Inputs = [
        tensor(cpu.tensor(v.X, [T, N, I])),
        constant(v.W, [1, G * H, I]),
        constant(v.R, [1, G * H, H]),
        constant(v.B, [1, 2 * G * H]),
        null,
        constant(v.H0, [1, N, H]),
      ];
      if (lstm) inputs.push(constant(v.C0, [1, N, H]), constant(v.P, [1, 3 * H]));
      const [y, yh] = run(variant.op, inputs, { hidden_size: H, ...variant.attributes }, lstm ? 3 : 2);
      const want = onnxRecurrence(variant.op, variant.attributes, v, { T, N, I, H });
      expect(y!.shape).toEqual([T, 1, N, H]);
      expectClose(await y!.data(), want.Y, 'Y');
      expectClose(await yh!.data(), want.Y.subarray((T - 1) * N * H), 'Y_h');
    });
  }

  it('a bidirectional LSTM is the forward LSTM plus the reverse weights run over the reversed sequence', async () => {
    const [T, N, I, H] = [3, 2, 2, 3];
    const xData = rng.fill(T * N * I);
    const weights = (d: number) => ({ W: rng.fill(4 * H * I), R: rng.fill(4 * H * H), B: rng.fill(8 * H), P: rng.fill(3 * H), d });
    const [fwd, rev] = [weights(0), weights(1)];
    const cat = (a: Float32Array, b: Float32Array) => Float32Array.of(...a, ...b);
    const lstm = (x: Tensor, dirs: (typeof fwd)[], layout = 0) =>
      run(
        'LSTM',
        [
          tensor(x),
          constant(dirs.map((w) => w.W).reduce(cat), [dirs.length, 4 * H, I]),
          constant(dirs.map((w) => w.R).reduce(cat), [dirs.length, 4 * H, H]),
          constant(dirs.map((w) => w.B).reduce(cat), [dirs.length, 8 * H]),
          null,
          null,
          null,
          constant(dirs.map((w) => w.P).reduce(cat), [dirs.length, 3 * H]),
        ],
        { hidden_size: H, direction: dirs.length === 2 ? 'bidirectional' : 'forward', layout },
        3,
      );
    const [yBoth, hBoth, cBoth] = lstm(cpu.tensor(xData, [T, N, I]), [fwd, rev]);
    expect(yBoth!.shape).toEqual([T, 2, N, H]);
    expect(hBoth!.shape).toEqual([2, N, H]);
    const [yFwd, hFwd] = lstm(cpu.tensor(xData, [T, N, I]), [fwd]);
    const reversed = new Float32Array(T * N * I);
    for (let t = 0; t < T; t++) reversed.set(xData.subarray((T - 1 - t) * N * I, (T - t) * N * I), t * N * I);
    const [yRev, hRev] = lstm(cpu.tensor(reversed, [T, N, I]), [rev]);

    const both = await yBoth!.data();
    const [f, r] = [await yFwd!.data(), await yRev!.data()];
    const plane = N * H;
    for (let t = 0; t < T; t++) {
      expectClose(both.subarray((2 * t) * plane, (2 * t + 1) * plane), f.subarray(t * plane, (t + 1) * plane), `forward step ${t}`);
      const reverseStep = r.subarray((T - 1 - t) * plane, (T - t) * plane);
      expectClose(both.subarray((2 * t + 1) * plane, (2 * t + 2) * plane), reverseStep, `reverse step ${t}`);
    }
    expectClose(await hBoth!.data(), Float32Array.of(...(await hFwd!.data()), ...(await hRev!.data())), 'Y_h');

    // layout = 1: X [N, T, I], Y [N, T, D, H], Y_h and Y_c [N, D, H].
    const [yB, hB, cB] = lstm(cpu.ops.permute(cpu.tensor(xData, [T, N, I]), [1, 0, 2]), [fwd, rev], 1);
    expect(yB!.shape).toEqual([N, T, 2, H]);
    expectClose(await yB!.data(), await cpu.ops.permute(yBoth!, [2, 0, 1, 3]).data(), 'Y, layout 1');
    expectClose(await hB!.data(), await cpu.ops.permute(hBoth!, [1, 0, 2]).data(), 'Y_h, layout 1');
    expectClose(await cB!.data(), await cpu.ops.permute(cBoth!, [1, 0, 2]).data(), 'Y_c, layout 1');
  });

  it('releases its intermediates, never its inputs or outputs', async () => {
    const released: Tensor[] = [];
    const tracking = { constant: ctx.constant, release: (t: Tensor) => (released.push(t), t.dispose()) };
    const a = randomInput([3, 4]);
    const b = randomInput([5, 4]);
    const c = randomInput([5]);
    const [y] = applyOnnxNode(cpu.ops, tracking, node('Gemm', { transB: 1, alpha: 0.5, beta: 2 }), [a, b, c]);
    expect(released.length).toBeGreaterThan(0);
    expect(released).not.toContain(y);
    for (const input of [a, b, c]) expect(released).not.toContain((input as { value: Tensor }).value);
    expect((await y!.data()).length).toBe(15);
  });
});

type RecurrenceAttributes = { linear_before_reset?: number; activations?: string[] };

/**
 * ONNX's LSTM, GRU and RNN equations for one forward direction (layout 0), in ONNX's own gate
 * order (LSTM i, o, f, c with peepholes i, o, f; GRU z, r, h), written from the operator docs.
 */
function onnxRecurrence(
  op: 'LSTM' | 'GRU' | 'RNN',
  attributes: RecurrenceAttributes,
  v: Record<'X' | 'W' | 'R' | 'B' | 'H0' | 'C0' | 'P', Float32Array>,
  { T, N, I, H }: { T: number; N: number; I: number; H: number },
): { Y: Float32Array } {
  const G = { LSTM: 4, GRU: 3, RNN: 1 }[op];
  const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
  const relu = attributes.activations?.[0] === 'Relu';
  // Row `row` of W·x and of R·h; the biases Wb and Rb.
  const wx = (x: ArrayLike<number>, row: number) => {
    let s = 0;
    for (let k = 0; k < I; k++) s += v.W[row * I + k] * x[k];
    return s;
  };
  const rh = (h: ArrayLike<number>, row: number) => {
    let s = 0;
    for (let k = 0; k < H; k++) s += v.R[row * H + k] * h[k];
    return s;
  };
  const wb = (row: number) => v.B[row];
  const rb = (row: number) => v.B[G * H + row];
  const Y = new Float32Array(T * N * H);
  for (let n = 0; n < N; n++) {
    let h = Array.from(v.H0.subarray(n * H, (n + 1) * H));
    let c = Array.from(v.C0.subarray(n * H, (n + 1) * H));
    for (let t = 0; t < T; t++) {
      const x = v.X.subarray((t * N + n) * I, (t * N + n + 1) * I);
      // Gate block `block` (in ONNX order) at hidden unit j, with both biases.
      const gate = (block: number, j: number) => {
        const row = block * H + j;
        return wx(x, row) + rh(h, row) + wb(row) + rb(row);
      };
      const units = [...Array(H).keys()];
      if (op === 'LSTM') {
        const cNext = units.map((j) => {
          const i = sigmoid(gate(0, j) + v.P[j] * c[j]);
          const f = sigmoid(gate(2, j) + v.P[2 * H + j] * c[j]);
          return f * c[j] + i * Math.tanh(gate(3, j));
        });
        h = units.map((j) => sigmoid(gate(1, j) + v.P[H + j] * cNext[j]) * Math.tanh(cNext[j]));
        c = cNext;
      } else if (op === 'GRU') {
        const z = units.map((j) => sigmoid(gate(0, j)));
        const r = units.map((j) => sigmoid(gate(1, j)));
        const resetH = units.map((k) => r[k] * h[k]);
        const candidate = units.map((j) => {
          const row = 2 * H + j;
          return attributes.linear_before_reset
            ? Math.tanh(wx(x, row) + r[j] * (rh(h, row) + rb(row)) + wb(row))
            : Math.tanh(wx(x, row) + rh(resetH, row) + rb(row) + wb(row));
        });
        h = units.map((j) => (1 - z[j]) * candidate[j] + z[j] * h[j]);
      } else {
        h = units.map((j) => (relu ? Math.max(gate(0, j), 0) : Math.tanh(gate(0, j))));
      }
      Y.set(h, (t * N + n) * H);
    }
  }
  return { Y };
}
