// narrow and select on the CPU reference: PyTorch's results on worked examples, negative
// indices, empty slices, and typed errors; inside a compiled graph as eagerly.
import { describe, expect, it } from 'vitest';
import * as nn from '../src/index';
import { cpu } from './helpers';

const x = () => cpu.tensor(Float32Array.from({ length: 24 }, (_, i) => i), [2, 3, 4]);

describe('narrow and select (CPU)', () => {
  it('narrow keeps the rank: torch.narrow(x, 1, 1, 2) and along the last dim', async () => {
    const y = cpu.ops.narrow(x(), 1, 1, 2);
    expect(y.shape).toEqual([2, 2, 4]);
    expect(Array.from(await y.data())).toEqual([4, 5, 6, 7, 8, 9, 10, 11, 16, 17, 18, 19, 20, 21, 22, 23]);
    expect(Array.from(await cpu.ops.narrow(x(), -1, -3, 2).data())).toEqual([1, 2, 5, 6, 9, 10, 13, 14, 17, 18, 21, 22]);
    expect(cpu.ops.narrow(x(), 0, 2, 0).shape).toEqual([0, 3, 4]);
  });

  it('select drops the dim: x[:, -1] is select(x, 1, -1), x[1] is select(x, 0, 1)', async () => {
    const last = cpu.ops.select(x(), 1, -1);
    expect(last.shape).toEqual([2, 4]);
    expect(Array.from(await last.data())).toEqual([8, 9, 10, 11, 20, 21, 22, 23]);
    expect(Array.from(await cpu.ops.select(x(), 0, 1).data())).toEqual(Array.from({ length: 12 }, (_, i) => 12 + i));
    expect(cpu.ops.select(cpu.tensor([5, 6], [2]), 0, 1).shape).toEqual([]);
  });

  it('out-of-range or non-integer arguments are ShapeErrors naming the op and the shape', () => {
    expect(() => cpu.ops.narrow(x(), 1, 2, 2)).toThrow(/narrow: start 2 and length 2 run past dim 1 of size 3 \(shape \[2, 3, 4\]\)/);
    expect(() => cpu.ops.narrow(x(), 3, 0, 1)).toThrow(/narrow: dim 3 is out of range/);
    expect(() => cpu.ops.select(x(), 1, 3)).toThrow(/select: index 3 is out of range for dim 1 of size 3/);
    expect(() => cpu.ops.select(x(), 1, -4)).toThrow(nn.ShapeError);
    expect(() => cpu.ops.narrow(x(), 1, 0.5, 1)).toThrow(/start must be an integer/);
    expect(() => cpu.ops.select(cpu.tensor([1], []), 0, 0)).toThrow(/0-D/);
  });

  it('a model takes the last step of an LSTM with select, compiled as eagerly', async () => {
    class LastStep extends nn.Module {
      readonly type = 'LastStep';
      readonly rnn = this.addModule('rnn', nn.layers.lstm(3, 4));
      forward(ctx: nn.ForwardContext, seq: nn.SymbolicTensor) {
        return ctx.ops.select(ctx.call(this.rnn, seq), 0, -1);
      }
    }
    const model = new LastStep();
    const seq = cpu.tensor(Float32Array.from({ length: 5 * 2 * 3 }, (_, i) => Math.sin(i)), [5, 2, 3]);
    const session = await nn.compile(model, cpu, { inputShape: [5, 2, 3] });
    const y = await session.run(seq);
    expect(y.shape).toEqual([2, 4]);
    const params = Object.fromEntries([...model.stateDict()].map(([k, v]) => [k.slice('rnn.'.length), cpu.tensor(v.data, v.shape)]));
    const eager = cpu.ops.lstm(seq, params, { hiddenSize: 4 });
    expect(Array.from(await y.data())).toEqual(Array.from(await cpu.ops.select(eager.output, 0, 4).data()));
  });
});

describe('recurrent layers with returnState', () => {
  it('return { output, h, c } (LSTM) and { output, h } (GRU, RNN); the last step of output is h', async () => {
    class Encoder extends nn.Module {
      readonly type = 'Encoder';
      readonly lstm = this.addModule('lstm', nn.layers.lstm(3, 4, { returnState: true }));
      readonly gru = this.addModule('gru', nn.layers.gru(4, 2, { returnState: true, numLayers: 2 }));
      forward(ctx: nn.ForwardContext, seq: nn.SymbolicTensor) {
        const { output, h, c } = ctx.call(this.lstm, seq);
        const second = ctx.call(this.gru, output);
        return { last: ctx.ops.select(output, 0, -1), h, c: c!, gruH: second.h };
      }
    }
    const session = await nn.compile(new Encoder(), cpu, { inputShape: [6, 2, 3] });
    const out = await session.run(cpu.tensor(Float32Array.from({ length: 36 }, (_, i) => Math.cos(i)), [6, 2, 3]));
    expect(out.h.shape).toEqual([1, 2, 4]);
    expect(out.c.shape).toEqual([1, 2, 4]);
    expect(out.gruH.shape).toEqual([2, 2, 2]);
    expect(Array.from(await out.h.data())).toEqual(Array.from(await out.last.data()));
    expect(() => nn.sequential([nn.layers.rnn(3, 4, { returnState: true })], { inputShape: [2, 3] }).summary()).toThrow(/returns a record/);
  });
});
