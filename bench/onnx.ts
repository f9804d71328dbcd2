// Writes a benchmark model as an ONNX file for ONNX Runtime Web, from the portable graph and
// the same weights, with the protobuf layer the ONNX importer uses (src/io/onnx/proto.ts).
// NCHW throughout, as in PyTorch; ONNX's own conventions (LSTM gates i, o, f, c) are applied here.
import { DATA_TYPE, encodeModel, type AttributeProto, type NodeProto, type TensorProto } from '../src/io/onnx/proto.js';
import { paramData, resolvePads, type BenchGraph, type BenchNode } from './graph.js';

const OPSET = 17;

type Pair = [number, number];

const ints = (name: string, values: readonly number[]): AttributeProto => ({ name, type: 7, ints: [...values] });
const int = (name: string, i: number): AttributeProto => ({ name, type: 2, i });
const float = (name: string, f: number): AttributeProto => ({ name, type: 1, f });
const text = (name: string, s: string): AttributeProto => ({ name, type: 3, s: new TextEncoder().encode(s) });

function floatTensor(name: string, dims: readonly number[], data: Float32Array): TensorProto {
  const copy = new Float32Array(data); // its own buffer, little-endian as ONNX wants
  return { name, dims: [...dims], data_type: DATA_TYPE.FLOAT, raw_data: new Uint8Array(copy.buffer) };
}

function int64Tensor(name: string, values: readonly number[]): TensorProto {
  return { name, dims: [values.length], data_type: DATA_TYPE.INT64, int64_data: [...values] };
}

const ACTIVATION_OPS: Record<string, string> = { relu: 'Relu', sigmoid: 'Sigmoid', tanh: 'Tanh' };

function activationNode(kind: string, input: string, output: string, scope: string): NodeProto {
  const op = ACTIVATION_OPS[kind];
  if (!op) throw new Error(`onnx writer: activation ${kind} (${scope}) is not written`);
  return { op_type: op, input: [input], output: [output] };
}

/** The ONNX file of `graph` with its parameters as initializers. */
export function onnxModel(graph: BenchGraph, params: Float32Array): Uint8Array {
  const name = (id: number) => `v${id}`;
  const nodes: NodeProto[] = [];
  const initializers: TensorProto[] = [];
  const extra = (suffix: string) => `extra${initializers.length}_${suffix}`;
  // The LSTM's weights are written reordered (ONNX gate order) under new names; the originals are unused.
  const rewritten = new Set(graph.nodes.filter((n) => n.op === 'recurrent').flatMap((n) => n.inputs.slice(3)));
  for (const n of graph.nodes) if (n.op !== 'recurrent') for (const id of n.inputs) rewritten.delete(id);
  for (const v of graph.values) {
    if (v.kind === 'param' && !rewritten.has(v.id)) initializers.push(floatTensor(name(v.id), v.shape, paramData(graph, params, v.id)));
  }

  // Node names carry the module (layer1.0.conv1), so ORT's placement log names the layer.
  for (const node of graph.nodes) for (const n of translate(node)) nodes.push({ ...n, name: `${node.scope || node.op}#${nodes.length}` });

  function translate(node: BenchNode): NodeProto[] {
    const a = node.attrs;
    const ins = node.inputs.map((id) => (id === null ? '' : name(id)));
    const out = name(node.outputs[0]);
    const shapeOf = (id: number | null) => graph.values[id!].shape;
    // An op with a fused activation writes its raw result to a temporary, then the activation.
    const withActivation = (op: NodeProto, activation: unknown): NodeProto[] => {
      if (!activation) return [op];
      const tmp = `${out}_pre`;
      op.output = [tmp];
      return [op, activationNode((activation as { kind: string }).kind, tmp, out, node.scope)];
    };
    switch (node.op) {
      case 'conv2d': {
        const w = shapeOf(node.inputs[1]);
        const stride = a.stride as Pair;
        const dilation = a.dilation as Pair;
        const pads = resolvePads(a.padding, shapeOf(node.inputs[0]), [w[2], w[3]], stride, dilation);
        const conv: NodeProto = {
          op_type: 'Conv',
          input: ins.slice(0, ins[2] ? 3 : 2),
          output: [out],
          attribute: [ints('kernel_shape', [w[2], w[3]]), ints('strides', stride), ints('dilations', dilation), ints('pads', pads), int('group', a.groups as number)],
        };
        return withActivation(conv, a.activation);
      }
      case 'pool2d': {
        const kernel = a.kernel as Pair;
        const stride = a.stride as Pair;
        const dilation = a.dilation as Pair;
        const pads = resolvePads(a.padding, shapeOf(node.inputs[0]), kernel, stride, dilation);
        const common = [ints('kernel_shape', kernel), ints('strides', stride), ints('pads', pads), int('ceil_mode', a.ceilMode ? 1 : 0)];
        if (a.mode === 'max') return [{ op_type: 'MaxPool', input: [ins[0]], output: [out], attribute: [...common, ints('dilations', dilation)] }];
        if (dilation[0] !== 1 || dilation[1] !== 1) throw new Error(`onnx writer: dilated average pooling (${node.scope})`);
        return [{ op_type: 'AveragePool', input: [ins[0]], output: [out], attribute: [...common, int('count_include_pad', a.countIncludePad ? 1 : 0)] }];
      }
      case 'globalPool2d':
        return [{ op_type: a.mode === 'max' ? 'GlobalMaxPool' : 'GlobalAveragePool', input: [ins[0]], output: [out] }];
      case 'adaptiveAvgPool2d': {
        const [, , H, W] = shapeOf(node.inputs[0]);
        const [OH, OW] = a.outputSize as Pair;
        if (OH === 1 && OW === 1) return [{ op_type: 'GlobalAveragePool', input: [ins[0]], output: [out] }];
        if (H % OH !== 0 || W % OW !== 0) throw new Error(`onnx writer: adaptive pooling ${H}×${W} → ${OH}×${OW} has uneven bins (${node.scope})`);
        if (H === OH && W === OW) return [{ op_type: 'Identity', input: [ins[0]], output: [out] }];
        const k = [H / OH, W / OW];
        return [{ op_type: 'AveragePool', input: [ins[0]], output: [out], attribute: [ints('kernel_shape', k), ints('strides', k)] }];
      }
      case 'activation':
        return [activationNode(a.kind as string, ins[0], out, node.scope)];
      case 'binary':
        return [{ op_type: a.kind === 'add' ? 'Add' : 'Mul', input: ins.slice(0, 2), output: [out] }];
      case 'linear': {
        if (shapeOf(node.inputs[0]).length !== 2) throw new Error(`onnx writer: linear on a rank-${shapeOf(node.inputs[0]).length} input (${node.scope})`);
        const gemm: NodeProto = { op_type: 'Gemm', input: ins.slice(0, ins[2] ? 3 : 2), output: [out], attribute: [int('transB', 1)] };
        return withActivation(gemm, a.activation);
      }
      case 'concat':
        return [{ op_type: 'Concat', input: ins, output: [out], attribute: [int('axis', a.dim as number)] }];
      case 'view': {
        const shape = extra('shape');
        initializers.push(int64Tensor(shape, graph.values[node.outputs[0]].shape));
        return [{ op_type: 'Reshape', input: [ins[0], shape], output: [out] }];
      }
      case 'batchNorm2d': {
        const C = shapeOf(node.inputs[0])[1];
        const [scale, bias] = [1, 2].map((i, k) => {
          if (ins[i]) return ins[i];
          const n = extra(k === 0 ? 'ones' : 'zeros');
          initializers.push(floatTensor(n, [C], new Float32Array(C).fill(k === 0 ? 1 : 0)));
          return n;
        });
        return [{ op_type: 'BatchNormalization', input: [ins[0], scale, bias, ins[3], ins[4]], output: [out], attribute: [float('epsilon', a.eps as number)] }];
      }
      case 'softmax':
        return [{ op_type: 'Softmax', input: [ins[0]], output: [out], attribute: [int('axis', a.dim as number)] }];
      case 'recurrent':
        return lstmNodes(node);
    }
    throw new Error(`onnx writer: op ${node.op} (${node.scope}) is not written`);
  }

  /** PyTorch's LSTM layer as ONNX LSTM: gates i, f, g, o → i, o, f, c; W, R [1, 4H, ·], B [1, 8H]. */
  function lstmNodes(node: BenchNode): NodeProto[] {
    const a = node.attrs;
    const plain = a.mode === 'lstm' && a.numLayers === 1 && !a.bidirectional && !a.batchFirst && a.clip === null && !a.hasH0 && !a.hasC0;
    if (!plain) throw new Error(`onnx writer: only a one-layer unidirectional LSTM is written (${node.scope})`);
    const H = a.hiddenSize as number;
    const reorder = (data: Float32Array, rowLength: number) => {
      const out = new Float32Array(data.length);
      const block = H * rowLength;
      // ONNX i, o, f, c from PyTorch blocks i 0, f 1, g 2, o 3
      [0, 3, 1, 2].forEach((from, to) => out.set(data.subarray(from * block, (from + 1) * block), to * block));
      return out;
    };
    const param = (i: number) => paramData(graph, params, node.inputs[i]!);
    const I = graph.values[node.inputs[3]!].shape[1];
    const W = extra('W');
    initializers.push(floatTensor(W, [1, 4 * H, I], reorder(param(3), I)));
    const R = extra('R');
    initializers.push(floatTensor(R, [1, 4 * H, H], reorder(param(4), H)));
    const B = extra('B');
    const bias = new Float32Array(8 * H);
    if (node.inputs[5] !== null) bias.set(reorder(param(5), 1), 0);
    if (node.inputs[6] !== null) bias.set(reorder(param(6), 1), 4 * H);
    initializers.push(floatTensor(B, [1, 8 * H], bias));
    // ONNX's Y is [T, 1, N, H], not PyTorch's [T, N, H]: the benchmark's LSTM reads only h.
    if (graph.nodes.some((n) => n.inputs.includes(node.outputs[0])) || graph.output.id === node.outputs[0]) {
      throw new Error(`onnx writer: the LSTM's output sequence is read (${node.scope}); only h and c are written`);
    }
    const outs = ['', ...node.outputs.slice(1).map((id) => name(id))];
    return [{ op_type: 'LSTM', input: [name(node.inputs[0]!), W, R, B], output: outs, attribute: [int('hidden_size', H), text('direction', 'forward')] }];
  }

  const valueInfo = (id: number) => ({
    name: name(id),
    type: { tensor_type: { elem_type: DATA_TYPE.FLOAT, shape: { dim: graph.values[id].shape.map((d) => ({ dim_value: d })) } } },
  });
  return encodeModel({
    ir_version: 8,
    opset_import: [{ domain: '', version: OPSET }],
    producer_name: 'webgpu-nn bench',
    graph: {
      name: graph.model,
      node: nodes,
      initializer: initializers,
      input: [valueInfo(graph.input.id)],
      output: [valueInfo(graph.output.id)],
    },
  });
}
