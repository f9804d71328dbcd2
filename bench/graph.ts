// The portable form of a benchmark model: the graph webgpu-nn traces (before its own passes:
// no folding, no fusion), as JSON, with its parameters in one float32 blob. The float64
// reference, the ONNX writer, the TF.js page and the .tflite converter all read this one
// description, so every library runs the same operations on the same weights.
import type { Module } from '../src/index.js';

export interface BenchValue {
  readonly id: number;
  readonly kind: 'input' | 'param' | 'node';
  readonly shape: readonly number[];
  readonly name?: string;
  /** Parameters: where their elements start in the blob (in floats) and how many there are. */
  readonly offset?: number;
  readonly length?: number;
}

export interface BenchNode {
  /** webgpu-nn's op name: conv2d, pool2d, globalPool2d, adaptiveAvgPool2d, activation, binary, linear, matmul, concat, view, batchNorm2d, recurrent, softmax, … */
  readonly op: string;
  readonly attrs: Record<string, unknown>;
  readonly inputs: readonly (number | null)[];
  readonly outputs: readonly number[];
  /** The module that emitted it ('layer1.0.conv1'). */
  readonly scope: string;
}

export interface BenchGraph {
  readonly model: string;
  readonly values: readonly BenchValue[];
  readonly nodes: readonly BenchNode[];
  readonly input: { readonly name: string; readonly id: number; readonly shape: readonly number[] };
  readonly output: { readonly name: string; readonly id: number; readonly shape: readonly number[] };
  /** Floats in the parameter blob. */
  readonly paramFloats: number;
}

/** Traces `model` at `batch` and returns its portable graph and its parameters in one blob. */
export function exportGraph(key: string, model: Module, batch: number): { graph: BenchGraph; params: Float32Array } {
  const traced = model.trace(batch);
  if (traced.inputs.length !== 1 || traced.outputs.length !== 1) {
    throw new Error(`bench: ${key} must have one input and one output, has ${traced.inputs.length} and ${traced.outputs.length}`);
  }
  let floats = 0;
  const pieces: Float32Array[] = [];
  const values: BenchValue[] = traced.values.map((v) => {
    const base = { id: v.id, kind: v.kind, shape: [...v.shape], ...(v.name === undefined ? {} : { name: v.name }) };
    if (v.kind !== 'param') return base;
    const data = v.data!();
    pieces.push(data);
    const offset = floats;
    floats += data.length;
    return { ...base, offset, length: data.length };
  });
  const params = new Float32Array(floats);
  let at = 0;
  for (const p of pieces) {
    params.set(p, at);
    at += p.length;
  }
  const nodes: BenchNode[] = traced.nodes.map((n) => ({
    op: n.op.name,
    attrs: JSON.parse(JSON.stringify(n.attrs)) as Record<string, unknown>,
    inputs: [...n.inputs],
    outputs: [...n.outputs],
    scope: n.scope,
  }));
  const [inp] = traced.inputs;
  const [out] = traced.outputs;
  return {
    graph: {
      model: key,
      values,
      nodes,
      input: { name: inp.name, id: inp.id, shape: [...traced.values[inp.id].shape] },
      output: { name: out.name, id: out.id, shape: [...traced.values[out.id].shape] },
      paramFloats: floats,
    },
    params,
  };
}

/** A parameter's elements from the blob. */
export function paramData(graph: BenchGraph, params: Float32Array, id: number): Float32Array {
  const v = graph.values[id];
  if (v.kind !== 'param' || v.offset === undefined || v.length === undefined) throw new Error(`bench: value ${id} of ${graph.model} is not a parameter`);
  return params.subarray(v.offset, v.offset + v.length);
}

/** Nodes that read each value (the graph output counts as a reader). */
export function readerCounts(graph: BenchGraph): Map<number, number> {
  const counts = new Map<number, number>();
  const add = (id: number) => counts.set(id, (counts.get(id) ?? 0) + 1);
  for (const n of graph.nodes) for (const id of n.inputs) if (id !== null) add(id);
  add(graph.output.id);
  return counts;
}

/** conv2d/pool2d padding as [top, left, bottom, right]; 'same' (SAME_UPPER) resolved for the input. */
export function resolvePads(
  padding: unknown,
  input: readonly number[],
  kernel: readonly [number, number],
  stride: readonly [number, number],
  dilation: readonly [number, number],
): [number, number, number, number] {
  if (Array.isArray(padding)) return padding as [number, number, number, number];
  if (padding !== 'same') throw new Error(`bench: unknown padding ${JSON.stringify(padding)}`);
  const total = [0, 1].map((a) => {
    const size = input[2 + a];
    const out = Math.ceil(size / stride[a]);
    return Math.max(0, (out - 1) * stride[a] + (kernel[a] - 1) * dilation[a] + 1 - size);
  });
  return [Math.floor(total[0] / 2), Math.floor(total[1] / 2), total[0] - Math.floor(total[0] / 2), total[1] - Math.floor(total[1] / 2)];
}
