// Graph rewrites applied by compile():
//  - foldBatchNorm: an inference BatchNorm right after a convolution becomes part of the
//    convolution's weights and bias (w' = w·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β): one pass
//    over the data instead of two.
//  - fuseResidualAdds: an add of two same-shaped tensors, one of them a convolution's output
//    that nothing else reads, becomes that convolution with the other operand as its residual
//    input (added in the kernel's epilogue: ResNet's skip connection, one pass over the data
//    and one dispatch fewer). The fused convolution takes the add's place in the node order, so
//    an operand computed after the convolution (ResNet's downsample branch) is ready.
//  - fuseMatmulBias: a matmul of a tensor by a 2-D weight parameter [in, out] whose only reader
//    adds a bias parameter [out] becomes a linear layer (weight transposed once, at compile):
//    the bias goes into the GEMM's epilogue, one dispatch and one pass over the data fewer.
//    ONNX exports of nn.Linear on 3-D inputs (the recurrent models' heads) are MatMul + Add.
//  - fuseActivations: an activation that is the only reader of a convolution or linear
//    output moves into that op's epilogue (after the residual: ReLU(conv + x) is one kernel).
// All keep results the same up to float rounding (tested in test/graph.test.ts).
import { activationOp, type Activation } from '../ops/elementwise/activation.js';
import { binaryOp, type BinaryAttrs } from '../ops/elementwise/binary.js';
import { batchNorm2dOp, batchNormInputs, type BatchNormAttrs } from '../ops/norm/batchNorm2d.js';
import { conv2dOp, type Conv2dAttrs } from '../ops/conv/conv2d.js';
import { linearOp } from '../ops/gemm/linear.js';
import { matmulOp } from '../ops/gemm/matmul.js';
import type { OpDef } from '../ops/op.js';
import { formatShape } from '../shape.js';
import { countReaders, producers, type Graph, type Node, type Value, type ValueId } from './ir.js';

export function optimizeGraph(graph: Graph): Graph {
  return fuseActivations(fuseMatmulBias(fuseResidualAdds(foldBatchNorm(graph))));
}

/** Replaces nodes: `replace` maps a node to its substitute, `drop` lists nodes to remove. */
function rewrite(graph: Graph, values: Value[], replace: Map<Node, Node>, drop: Set<Node>): Graph {
  return {
    ...graph,
    values,
    nodes: graph.nodes.filter((n) => !drop.has(n)).map((n) => replace.get(n) ?? n),
  };
}

export function foldBatchNorm(graph: Graph): Graph {
  const readers = countReaders(graph);
  const made = producers(graph);
  const values = [...graph.values];
  const replace = new Map<Node, Node>();
  const drop = new Set<Node>();
  const isParam = (id: ValueId | null) => id === null || graph.values[id].kind === 'param';
  const addParam = (name: string, data: () => Float32Array, like: ValueId): ValueId => {
    const id = values.length;
    values.push({ id, kind: 'param', shape: graph.values[like].shape, name, data });
    return id;
  };

  for (const bn of graph.nodes) {
    if (bn.op !== batchNorm2dOp) continue;
    const x = bn.inputs[batchNormInputs.x]!;
    const conv = made.get(x);
    if (!conv || conv.op !== conv2dOp || readers.get(x) !== 1 || replace.has(conv)) continue;
    const convAttrs = conv.attrs as Conv2dAttrs;
    const [, w, b] = conv.inputs;
    const bnParams = [batchNormInputs.weight, batchNormInputs.bias, batchNormInputs.runningMean, batchNormInputs.runningVar].map((k) => bn.inputs[k]);
    if (convAttrs.activation || !isParam(w) || !isParam(b) || !bnParams.every(isParam)) continue;

    const read = (id: ValueId | null) => (id === null ? null : graph.values[id].data!());
    const eps = (bn.attrs as BatchNormAttrs).eps;
    // Computed once, on first use (compile reads every parameter once).
    let folded: { w: Float32Array; b: Float32Array } | undefined;
    const fold = () => (folded ??= foldWeights(read(w)!, read(b), bnParams.map(read) as FoldStats, eps, graph.values[w!].shape[0]));
    const wName = graph.values[w!].name ?? 'weight';
    const newW = addParam(`${wName} (BatchNorm folded)`, () => fold().w, w!);
    const outChannels = graph.values[w!].shape[0];
    const newB = values.length;
    values.push({ id: newB, kind: 'param', shape: [outChannels], name: `${wName.replace(/weight$/, 'bias')} (BatchNorm folded)`, data: () => fold().b });
    replace.set(conv, { ...conv, inputs: [conv.inputs[0], newW, newB], outputs: bn.outputs });
    drop.add(bn);
  }
  return replace.size ? rewrite(graph, values, replace, drop) : graph;
}

type FoldStats = [Float32Array | null, Float32Array | null, Float32Array, Float32Array];

function foldWeights(w: Float32Array, b: Float32Array | null, [gamma, beta, mean, variance]: FoldStats, eps: number, outChannels: number) {
  const perChannel = w.length / outChannels;
  const wOut = new Float32Array(w.length);
  const bOut = new Float32Array(outChannels);
  for (let o = 0; o < outChannels; o++) {
    const scale = (gamma ? gamma[o] : 1) / Math.sqrt(variance[o] + eps);
    for (let i = o * perChannel; i < (o + 1) * perChannel; i++) wOut[i] = w[i] * scale;
    bOut[o] = ((b ? b[o] : 0) - mean[o]) * scale + (beta ? beta[o] : 0);
  }
  return { w: wOut, b: bOut };
}

export function fuseResidualAdds(graph: Graph): Graph {
  const readers = countReaders(graph);
  const made = producers(graph);
  const shapeOf = (id: ValueId) => formatShape(graph.values[id].shape);
  const replace = new Map<Node, Node>();
  const drop = new Set<Node>();
  // A convolution without a residual or activation yet, whose output only the add reads.
  const foldable = (id: ValueId): Node | null => {
    const conv = made.get(id);
    if (!conv || conv.op !== conv2dOp || drop.has(conv) || readers.get(id) !== 1) return null;
    const attrs = conv.attrs as Conv2dAttrs;
    return attrs.activation || (conv.inputs[3] ?? null) !== null ? null : conv;
  };
  for (const add of graph.nodes) {
    if (add.op !== binaryOp || (add.attrs as BinaryAttrs).kind !== 'add') continue;
    const [a, b] = add.inputs as [ValueId, ValueId];
    if (a === b || shapeOf(a) !== shapeOf(b) || shapeOf(a) !== shapeOf(add.outputs[0])) continue;
    const convA = foldable(a);
    const conv = convA ?? foldable(b);
    if (!conv) continue;
    const residual = convA ? b : a;
    const [x, w, bias] = conv.inputs;
    replace.set(add, { ...conv, inputs: [x, w, bias ?? null, residual], outputs: add.outputs });
    drop.add(conv);
  }
  return replace.size ? rewrite(graph, [...graph.values], replace, drop) : graph;
}

export function fuseMatmulBias(graph: Graph): Graph {
  const readers = countReaders(graph);
  const made = producers(graph);
  const values = [...graph.values];
  const replace = new Map<Node, Node>();
  const drop = new Set<Node>();
  const param = (id: ValueId | null) => (id !== null && graph.values[id].kind === 'param' ? graph.values[id] : null);
  for (const add of graph.nodes) {
    if (add.op !== binaryOp || (add.attrs as BinaryAttrs).kind !== 'add') continue;
    const [a, b] = add.inputs as [ValueId, ValueId];
    for (const [product, bias] of [[a, b], [b, a]]) {
      const mm = made.get(product);
      if (!mm || mm.op !== matmulOp || drop.has(mm) || readers.get(product) !== 1) continue;
      const [x, w] = mm.inputs as [ValueId, ValueId];
      const weight = param(w);
      const biasValue = param(bias);
      const y = graph.values[product].shape;
      // x [..., in] (rank 2 or more: a 1-D x drops a dim linear keeps), w [in, out], b [out], and the add's output is the product's shape.
      if (!weight || !biasValue || weight.shape.length !== 2 || graph.values[x].shape.length < 2) continue;
      const [inFeatures, outFeatures] = weight.shape;
      if (biasValue.shape.length !== 1 || biasValue.shape[0] !== outFeatures || formatShape(graph.values[add.outputs[0]].shape) !== formatShape(y)) continue;
      const transposed = values.length;
      let data: Float32Array | undefined;
      values.push({
        id: transposed,
        kind: 'param',
        shape: [outFeatures, inFeatures],
        name: `${weight.name ?? 'weight'} (transposed)`,
        data: () => (data ??= transpose(weight.data!(), inFeatures, outFeatures)),
      });
      replace.set(add, { op: linearOp as OpDef<unknown>, attrs: {}, inputs: [x, transposed, bias], outputs: add.outputs, scope: mm.scope });
      drop.add(mm);
      break;
    }
  }
  return replace.size ? rewrite(graph, values, replace, drop) : graph;
}

/** w [rows, cols] as [cols, rows]. */
function transpose(w: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(w.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
  return t;
}

const FUSABLE: ReadonlySet<OpDef<unknown>> = /* @__PURE__ */ new Set([conv2dOp, linearOp] as OpDef<unknown>[]);

export function fuseActivations(graph: Graph): Graph {
  const readers = countReaders(graph);
  const made = producers(graph);
  const replace = new Map<Node, Node>();
  const drop = new Set<Node>();
  for (const act of graph.nodes) {
    if (act.op !== activationOp) continue;
    const x = act.inputs[0]!;
    const producer = made.get(x);
    if (!producer || !FUSABLE.has(producer.op) || readers.get(x) !== 1) continue;
    const current = replace.get(producer) ?? producer;
    if ((current.attrs as { activation?: Activation }).activation) continue;
    replace.set(producer, { ...current, attrs: { ...(current.attrs as object), activation: act.attrs as Activation }, outputs: act.outputs });
    drop.add(act);
  }
  return replace.size ? rewrite(graph, [...graph.values], replace, drop) : graph;
}
