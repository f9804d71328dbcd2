// The shape glue folded at import (glue.ts), op by op, against the ONNX spec's examples.
import { describe, expect, it } from 'vitest';
import { ModelFormatError, ShapeError, UnsupportedError } from '../../src/errors';
import { applyGlue, type GlueNode } from '../../src/io/onnx/glue';
import type { OnnxAttribute, OnnxConstant, OnnxInput } from '../../src/io/onnx/nodeOps';
import type { Tensor } from '../../src/tensor';
import { cpu } from '../helpers';

const ctx = { ops: cpu.ops, constant: (data: Float32Array, shape: readonly number[]) => cpu.tensor(data, shape) };

const int64 = (values: number[], shape = [values.length]): OnnxConstant => ({ kind: 'constant', dtype: 'int64', shape, data: BigInt64Array.from(values.map(BigInt)) });
const float32 = (values: number[], shape = [values.length]): OnnxConstant => ({ kind: 'constant', dtype: 'float32', shape, data: Float32Array.from(values) });

function glue(opType: string, inputs: (OnnxInput<Tensor> | null)[], attributes: Record<string, OnnxAttribute> = {}, opset = 17, tensors: Record<string, OnnxConstant> = {}) {
  const node: GlueNode = { opType, opset, attributes, tensors, what: opType };
  return applyGlue(ctx, node, inputs);
}

/** A folded result's shape and elements as numbers. */
function folded(v: OnnxInput<Tensor>): { shape: readonly number[]; values: number[] } {
  if (v.kind !== 'constant') throw new Error('expected a constant');
  return { shape: v.shape, values: Array.from(v.data as ArrayLike<number | bigint>, Number) };
}

describe('ONNX glue folding', () => {
  const x = (shape: number[]): OnnxInput<Tensor> => ({ kind: 'tensor', value: cpu.tensor(new Float32Array(shape.reduce((a, b) => a * b, 1)), shape) });

  it('Shape (with opset 15 start/end) and Size of a run-time tensor', () => {
    expect(folded(glue('Shape', [x([2, 3, 4, 5])]))).toEqual({ shape: [4], values: [2, 3, 4, 5] });
    expect(folded(glue('Shape', [x([2, 3, 4, 5])], { start: 1, end: -1 }, 15)).values).toEqual([3, 4]);
    expect(folded(glue('Shape', [x([2, 3, 4, 5])], { start: -10, end: 10 }, 15)).values).toEqual([2, 3, 4, 5]);
    expect(folded(glue('Size', [x([2, 3, 4])]))).toEqual({ shape: [], values: [24] });
  });

  it('Gather with negative indices and an axis', () => {
    const data = int64([1, 2, 3, 4, 5, 6], [3, 2]);
    expect(folded(glue('Gather', [data, int64([-1, 0])]))).toEqual({ shape: [2, 2], values: [5, 6, 1, 2] });
    expect(folded(glue('Gather', [data, int64([1], [])], { axis: 1 }))).toEqual({ shape: [3], values: [2, 4, 6] });
    expect(() => glue('Gather', [data, int64([3])])).toThrow(ShapeError);
    expect(() => glue('Gather', [x([3]), int64([0])])).toThrow(UnsupportedError);
  });

  it('Slice: clamped bounds, negative steps, opset 9 attributes', () => {
    const data = int64([1, 2, 3, 4, 5, 6, 7, 8], [2, 4]);
    // The spec's example: starts [1, 0], ends [2, 3], axes [0, 1], steps [1, 2] → [[5, 7]].
    expect(folded(glue('Slice', [data, int64([1, 0]), int64([2, 3]), int64([0, 1]), int64([1, 2])]))).toEqual({ shape: [1, 2], values: [5, 7] });
    // starts [0, 3], ends [-1, 1000] on axes 0, 1 with steps 1 … and PyTorch's open end INT64_MAX.
    expect(folded(glue('Slice', [data, int64([0, 1]), int64([-1, 9.2e18])])).values).toEqual([2, 3, 4]);
    // Reversal: step −1 from the end to before the start.
    expect(folded(glue('Slice', [int64([1, 2, 3, 4]), int64([-1]), int64([-9.2e18]), int64([0]), int64([-1])])).values).toEqual([4, 3, 2, 1]);
    expect(folded(glue('Slice', [data], { starts: [1], ends: [3], axes: [1] }, 9))).toEqual({ shape: [2, 2], values: [2, 3, 6, 7] });
    expect(() => glue('Slice', [data, int64([0]), int64([1]), int64([0]), int64([0])])).toThrow(ShapeError);
  });

  it('Unsqueeze and Squeeze: attribute axes before opset 13, input axes after; on tensors as views', () => {
    expect(folded(glue('Unsqueeze', [int64([7], [])], { axes: [0] }, 11))).toEqual({ shape: [1], values: [7] });
    expect(folded(glue('Unsqueeze', [int64([1, 2, 3]), int64([0, -1])]))).toEqual({ shape: [1, 3, 1], values: [1, 2, 3] });
    const squeezed = glue('Squeeze', [x([1, 3, 1, 2])]);
    expect(squeezed.kind === 'tensor' && squeezed.value.shape).toEqual([3, 2]);
    const one = glue('Squeeze', [x([1, 3, 1, 2]), int64([2])]);
    expect(one.kind === 'tensor' && one.value.shape).toEqual([1, 3, 2]);
    expect(() => glue('Squeeze', [x([2, 3]), int64([0])])).toThrow(ShapeError);
  });

  it('Concat, Expand, ConstantOfShape, Cast, Constant', () => {
    expect(folded(glue('Concat', [int64([1, 2], [1, 2]), int64([3, 4, 5, 6], [2, 2])], { axis: 0 }))).toEqual({ shape: [3, 2], values: [1, 2, 3, 4, 5, 6] });
    expect(folded(glue('Expand', [int64([1, 2, 3], [3, 1]), int64([2, 1, 2])]))).toEqual({ shape: [2, 3, 2], values: [1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3] });
    expect(folded(glue('ConstantOfShape', [int64([2, 3])]))).toEqual({ shape: [2, 3], values: [0, 0, 0, 0, 0, 0] });
    expect(folded(glue('ConstantOfShape', [int64([2])], {}, 17, { value: int64([5], [1]) }))).toEqual({ shape: [2], values: [5, 5] });
    const cast = glue('Cast', [float32([1.7, -2.5, 3])], { to: 7 });
    expect(cast.kind === 'constant' && cast.dtype).toBe('int64');
    expect(folded(cast).values).toEqual([1, -2, 3]);
    expect(folded(glue('Constant', [], { value_ints: [4, 5] }))).toEqual({ shape: [2], values: [4, 5] });
    expect(folded(glue('Constant', [], { value_float: 0.5 }))).toEqual({ shape: [], values: [0.5] });
    expect(() => glue('Constant', [], { value_string: 'a' })).toThrow(UnsupportedError);
  });

  it('Expand of a run-time tensor broadcasts it; Pad with zero pads is the identity, other pads are refused', async () => {
    const t: OnnxInput<Tensor> = { kind: 'tensor', value: cpu.tensor(Float32Array.from([1, NaN, -Infinity]), [3, 1]) };
    const e = glue('Expand', [t, int64([3, 2])]);
    expect(e.kind === 'tensor' && Array.from(await e.value.data())).toEqual([1, 1, NaN, NaN, -Infinity, -Infinity]);
    const padded = glue('Pad', [t, int64([0, 0, 0, 0])]);
    expect(padded.kind === 'tensor' && padded.value).toBe(t.value);
    expect(() => glue('Pad', [t, int64([0, 1, 0, 1])])).toThrow(/non-zero pads/);
    expect(() => glue('Unsqueeze', [int64([1])], {}, 11)).toThrow(ModelFormatError);
  });
});
