// ONNX files (ModelProto) to and from plain objects, with protobufjs and the ONNX schema
// (schema/onnx.proto, Apache-2.0; schema/onnxSchema.ts is its reflection JSON). Field names are
// ONNX's own (op_type, raw_data, dim_param), as in the Python onnx package. Only importOnnx
// (and tools such as the benchmark's model writer) load this module, by dynamic import, so
// the core bundle stays free of protobufjs.
import protobuf from 'protobufjs/light.js';
import { ModelFormatError } from '../../errors.js';
import { ONNX_SCHEMA } from './schema/onnxSchema.js';

// ---- the parts of the schema the runtime reads (all fields optional, as in proto2)

export interface TensorShapeDim {
  dim_value?: number;
  dim_param?: string;
}

export interface TypeProto {
  tensor_type?: { elem_type?: number; shape?: { dim?: TensorShapeDim[] } };
}

export interface ValueInfoProto {
  name?: string;
  type?: TypeProto;
  doc_string?: string;
}

export interface TensorProto {
  dims?: number[];
  /** TensorProto.DataType: 1 FLOAT, 2 UINT8, 3 INT8, 4 UINT16, 5 INT16, 6 INT32, 7 INT64, 9 BOOL, 10 FLOAT16, 11 DOUBLE, 12 UINT32, 13 UINT64, 16 BFLOAT16. */
  data_type?: number;
  name?: string;
  raw_data?: Uint8Array;
  float_data?: number[];
  int32_data?: number[];
  int64_data?: number[];
  double_data?: number[];
  uint64_data?: number[];
  /** 1 = EXTERNAL: the elements live in another file. */
  data_location?: number;
  external_data?: { key?: string; value?: string }[];
}

export interface AttributeProto {
  name?: string;
  /** AttributeType: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 5 GRAPH, 6 FLOATS, 7 INTS, 8 STRINGS, … */
  type?: number;
  f?: number;
  i?: number;
  s?: Uint8Array;
  t?: TensorProto;
  g?: GraphProto;
  floats?: number[];
  ints?: number[];
  strings?: Uint8Array[];
  ref_attr_name?: string;
}

export interface NodeProto {
  input?: string[];
  output?: string[];
  name?: string;
  op_type?: string;
  domain?: string;
  attribute?: AttributeProto[];
  doc_string?: string;
}

export interface GraphProto {
  node?: NodeProto[];
  name?: string;
  initializer?: TensorProto[];
  doc_string?: string;
  input?: ValueInfoProto[];
  output?: ValueInfoProto[];
  value_info?: ValueInfoProto[];
}

export interface OperatorSetId {
  domain?: string;
  version?: number;
}

export interface ModelProto {
  ir_version?: number;
  opset_import?: OperatorSetId[];
  producer_name?: string;
  producer_version?: string;
  domain?: string;
  model_version?: number;
  doc_string?: string;
  graph?: GraphProto;
  metadata_props?: { key?: string; value?: string }[];
}

// ---- decoding and encoding

let root: protobuf.Root | undefined;

function type(name: 'ModelProto' | 'TensorProto'): protobuf.Type {
  root ??= protobuf.Root.fromJSON(ONNX_SCHEMA as protobuf.INamespace);
  return root.lookupType(`onnx.${name}`);
}

function decode<T>(name: 'ModelProto' | 'TensorProto', bytes: Uint8Array | ArrayBuffer): T {
  const view = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes;
  if (!(view instanceof Uint8Array)) throw new ModelFormatError(`ONNX: expected the file's bytes (Uint8Array or ArrayBuffer), got ${String(bytes)}`);
  const t = type(name);
  try {
    return t.toObject(t.decode(view), { longs: Number, arrays: true, defaults: false }) as T;
  } catch (e) {
    // protobufjs throws RangeError (truncated), Error (bad wire type) or ProtocolError; a deeply
    // nested bit-flipped file can even exhaust the stack. All of them mean a malformed file.
    throw new ModelFormatError(`ONNX: the file is not a valid ${name} (${e instanceof Error ? e.message : String(e)})`);
  }
}

/**
 * Decodes an ONNX file. int64 fields become numbers (exact up to 2^53), bytes fields are views
 * of `bytes`, enums are numbers, repeated fields are always arrays. A truncated or malformed
 * file is a ModelFormatError that carries the protobuf library's message.
 */
export function decodeModel(bytes: Uint8Array | ArrayBuffer): ModelProto {
  return decode('ModelProto', bytes);
}

/** Decodes one TensorProto (the .pb files of ONNX test data sets). */
export function decodeTensor(bytes: Uint8Array | ArrayBuffer): TensorProto {
  return decode('TensorProto', bytes);
}

/** Encodes a ModelProto (plain object as decodeModel returns, or built by hand) as an ONNX file. */
export function encodeModel(proto: ModelProto): Uint8Array {
  const t = type('ModelProto');
  const problem = t.verify(proto);
  if (problem) throw new ModelFormatError(`ONNX: cannot encode the model: ${problem}`);
  return t.encode(t.fromObject(proto)).finish();
}

/** ONNX TensorProto.DataType codes by name, for writers. */
export const DATA_TYPE = {
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;
