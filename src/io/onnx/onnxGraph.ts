// A decoded ModelProto checked and reduced to what the importer runs: the default-domain opset,
// graph inputs (with their fixed and dynamic dims), initializers as constants, nodes with plain
// attributes, and graph outputs. Every unsupported node type is collected and reported at once.
import { ModelFormatError, UnsupportedError } from '../../errors.js';
import { GLUE_OPS } from './glue.js';
import { supportedOnnxOps, type OnnxAttribute, type OnnxConstant } from './nodeOps.js';
import type { AttributeProto, ModelProto, NodeProto } from './proto.js';
import { checkDims, dtypeName, tensorFromProto } from './tensorProto.js';

/** The default-domain opsets the importer has been checked against (ONNX's conformance cases and torch.onnx). */
export const MIN_OPSET = 6;
export const MAX_OPSET = 25;
/** More elements than one input can have (a float32 array of 2^31 elements is 8 GiB). */
const MAX_INPUT_ELEMENTS = 2 ** 31;

export interface OnnxGraphInput {
  readonly name: string;
  /** A number for a fixed dim; a string (the dim_param, or '?' when unnamed) for one that may change. */
  readonly dims: readonly (number | string)[];
}

export interface OnnxGraphNode {
  readonly opType: string;
  readonly name: string;
  /** '' marks an omitted optional input or output. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, OnnxAttribute>>;
  readonly tensors: Readonly<Record<string, OnnxConstant>>;
}

export interface OnnxGraph {
  readonly opset: number;
  readonly producer: string;
  readonly inputs: readonly OnnxGraphInput[];
  readonly initializers: readonly OnnxConstant[];
  readonly nodes: readonly OnnxGraphNode[];
  readonly outputs: readonly string[];
}

/** Reads and checks a decoded model; throws ModelFormatError or one UnsupportedError listing every unsupported node type. */
export function readOnnxGraph(model: ModelProto): OnnxGraph {
  const graph = model.graph;
  if (!graph) throw new ModelFormatError('ONNX: the model has no graph');
  const opset = defaultOpset(model);
  const nodes = graph.node ?? [];
  checkSupported(nodes, opset);

  const initializers = (graph.initializer ?? []).map((t, i) => {
    if (!t.name) throw new ModelFormatError(`ONNX: initializer ${i} has no name`);
    return tensorFromProto(t, 'ONNX initializer');
  });
  const initializerNames = new Set(initializers.map((t) => t.name!));
  if (initializerNames.size !== initializers.length) throw new ModelFormatError('ONNX: two initializers have the same name');

  // Before IR version 4 initializers were listed among the inputs too: those are not run-time inputs.
  const inputs = (graph.input ?? [])
    .filter((v) => !initializerNames.has(v.name ?? ''))
    .map((v, i): OnnxGraphInput => {
      const name = v.name;
      if (!name) throw new ModelFormatError(`ONNX: graph input ${i} has no name`);
      const tensor = v.type?.tensor_type;
      if (!tensor) throw new UnsupportedError(`ONNX: graph input '${name}' is not a tensor (sequences and maps are not supported)`);
      if (tensor.elem_type !== 1) {
        throw new UnsupportedError(`ONNX: graph input '${name}' has dtype ${dtypeName(tensor.elem_type)}; computation is float32`);
      }
      const dims = tensor.shape?.dim;
      if (!dims) throw new UnsupportedError(`ONNX: graph input '${name}' has no shape (its rank must be known)`);
      const read = dims.map((d) => (d.dim_value !== undefined ? checkDims([d.dim_value], `ONNX: input '${name}'`)[0] : d.dim_param || '?'));
      const fixed = read.reduce<number>((n, d) => n * (typeof d === 'number' ? d : 1), 1);
      if (fixed > MAX_INPUT_ELEMENTS) {
        throw new UnsupportedError(`ONNX: graph input '${name}' [${read.join(', ')}] has more than ${MAX_INPUT_ELEMENTS} elements`);
      }
      return { name, dims: read };
    });

  const defined = new Set([...initializerNames, ...inputs.map((i) => i.name)]);
  const read = nodes.map((node, index) => readNode(node, index, defined));
  const outputs = (graph.output ?? []).map((v, i) => {
    if (!v.name || !defined.has(v.name)) throw new ModelFormatError(`ONNX: graph output ${i} ('${v.name ?? ''}') is not computed by the graph`);
    return v.name;
  });
  if (outputs.length === 0) throw new ModelFormatError('ONNX: the graph has no outputs');
  return { opset, producer: [model.producer_name, model.producer_version].filter(Boolean).join(' '), inputs, initializers, nodes: read, outputs };
}

function defaultOpset(model: ModelProto): number {
  const entry = (model.opset_import ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  // IR version 2 models without opset_import mean opset 1; the runtime starts at 6.
  const opset = entry?.version ?? 1;
  if (!Number.isSafeInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    throw new UnsupportedError(`ONNX: opset ${opset} is not supported (opsets ${MIN_OPSET} to ${MAX_OPSET} are)`);
  }
  return opset;
}

/** One UnsupportedError naming every node type the runtime cannot run (with its domain and opset). */
function checkSupported(nodes: readonly NodeProto[], opset: number): void {
  const known = new Set([...supportedOnnxOps(), ...GLUE_OPS]);
  const missing = new Map<string, number>();
  for (const node of nodes) {
    const domain = node.domain && node.domain !== 'ai.onnx' ? `${node.domain}::` : '';
    const type = `${domain}${node.op_type ?? '(no op_type)'}`;
    if (domain || !known.has(node.op_type ?? '')) missing.set(type, (missing.get(type) ?? 0) + 1);
  }
  if (missing.size === 0) return;
  const list = [...missing].map(([type, count]) => `${type} (opset ${opset}, ${count} node${count === 1 ? '' : 's'})`);
  throw new UnsupportedError(`ONNX: ${missing.size} unsupported node type${missing.size === 1 ? '' : 's'}: ${list.join(', ')}`);
}

function readNode(node: NodeProto, index: number, defined: Set<string>): OnnxGraphNode {
  const opType = node.op_type ?? '';
  const name = node.name || `${opType}_${index}`;
  const what = `ONNX node '${name}' (${opType})`;
  const inputs = node.input ?? [];
  for (const input of inputs) {
    // Nodes must come in execution order, as the ONNX spec requires.
    if (input !== '' && !defined.has(input)) throw new ModelFormatError(`${what}: input '${input}' is not defined before the node`);
  }
  const outputs = node.output ?? [];
  for (const output of outputs) {
    if (output === '') continue;
    if (defined.has(output)) throw new ModelFormatError(`${what}: output '${output}' is already defined`);
    defined.add(output);
  }
  const attributes: Record<string, OnnxAttribute> = {};
  const tensors: Record<string, OnnxConstant> = {};
  for (const a of node.attribute ?? []) {
    if (!a.name) throw new ModelFormatError(`${what}: an attribute has no name`);
    if (Object.hasOwn(attributes, a.name) || Object.hasOwn(tensors, a.name)) throw new ModelFormatError(`${what}: attribute ${a.name} is given twice`);
    if (a.type === 4) tensors[a.name] = tensorFromProto(a.t ?? {}, `${what}: attribute ${a.name}`);
    else attributes[a.name] = attributeValue(a, what);
  }
  return { opType, name, inputs, outputs, attributes, tensors };
}

const TEXT = new TextDecoder('utf-8', { fatal: false });

function attributeValue(a: AttributeProto, what: string): OnnxAttribute {
  switch (a.type) {
    case 1:
      return a.f ?? 0;
    case 2:
      return a.i ?? 0;
    case 3:
      return TEXT.decode(a.s ?? new Uint8Array());
    case 6:
      return a.floats ?? [];
    case 7:
      return a.ints ?? [];
    case 8:
      return (a.strings ?? []).map((s) => TEXT.decode(s));
    default:
      throw new UnsupportedError(`${what}: attribute ${a.name} of type ${a.type ?? 'undefined'} (graphs, sparse tensors, type protos) is not supported`);
  }
}
