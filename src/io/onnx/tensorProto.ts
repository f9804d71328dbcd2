// ONNX TensorProto → a constant (dtype name, shape, typed elements), checked against its dims
// before anything is allocated: a file cannot make the importer allocate more than it holds.
import { ModelFormatError, UnsupportedError } from '../../errors.js';
import { formatShape, type Shape } from '../../shape.js';
import type { OnnxConstant, OnnxData } from './nodeOps.js';
import type { TensorProto } from './proto.js';

interface DataType {
  readonly name: string;
  readonly bytes: number;
  /** The typed array the elements live in (FLOAT16 and BFLOAT16 are widened to float32). */
  readonly array: { new (length: number): OnnxData; new (buffer: ArrayBuffer): OnnxData };
}

/** TensorProto.DataType codes the runtime reads. */
const DATA_TYPES: Readonly<Record<number, DataType>> = {
  1: { name: 'float32', bytes: 4, array: Float32Array },
  2: { name: 'uint8', bytes: 1, array: Uint8Array },
  3: { name: 'int8', bytes: 1, array: Int8Array },
  4: { name: 'uint16', bytes: 2, array: Uint16Array },
  5: { name: 'int16', bytes: 2, array: Int16Array },
  6: { name: 'int32', bytes: 4, array: Int32Array },
  7: { name: 'int64', bytes: 8, array: BigInt64Array },
  9: { name: 'bool', bytes: 1, array: Uint8Array },
  10: { name: 'float16', bytes: 2, array: Float32Array },
  11: { name: 'float64', bytes: 8, array: Float64Array },
  12: { name: 'uint32', bytes: 4, array: Uint32Array },
  13: { name: 'uint64', bytes: 8, array: BigUint64Array },
  16: { name: 'bfloat16', bytes: 2, array: Float32Array },
};

/** The typed array each dtype name lives in (the names a TensorProto gives its elements, float16 and bfloat16 excepted: those arrive widened). */
export const TYPED_ARRAYS: Readonly<Record<string, DataType['array']>> = Object.fromEntries(
  Object.values(DATA_TYPES)
    .filter((t) => t.name !== 'float16' && t.name !== 'bfloat16')
    .map((t) => [t.name, t.array]),
);

/** ONNX's names for the codes, for messages about types the runtime does not read. */
const OTHER_TYPES: Readonly<Record<number, string>> = { 0: 'undefined', 8: 'string', 14: 'complex64', 15: 'complex128' };

/** The dtype name of an ONNX element type code ('float32', 'int64', …; 'float8e4m3fn'-style codes by number). */
export function dtypeName(code: number | undefined): string {
  if (code === undefined) return 'undefined';
  return DATA_TYPES[code]?.name ?? OTHER_TYPES[code] ?? `type ${code}`;
}

/** Checks ONNX dims: non-negative safe integers. */
export function checkDims(dims: readonly number[] | undefined, what: string): Shape {
  const shape = dims ?? [];
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new ModelFormatError(`${what}: dims [${shape.join(', ')}] must be non-negative integers`);
  }
  return [...shape];
}

/** A TensorProto's elements. FLOAT16 and BFLOAT16 become float32 values (dtype 'float32'). */
export function tensorFromProto(t: TensorProto, what: string): OnnxConstant {
  const name = t.name;
  const label = name ? `${what} '${name}'` : what;
  const shape = checkDims(t.dims, label);
  const type = t.data_type === undefined ? undefined : DATA_TYPES[t.data_type];
  if (!type) throw new UnsupportedError(`${label}: element type ${dtypeName(t.data_type)} is not supported`);
  if (t.data_location === 1 || (t.external_data?.length ?? 0) > 0) {
    throw new UnsupportedError(`${label}: external data (weights in a separate file) is not supported; save the model with its weights inside`);
  }
  // Product with an overflow guard: the data must hold this many elements, so it stays small.
  let count = 1;
  for (const d of shape) count *= d;
  const widened = type.name === 'float16' || type.name === 'bfloat16';
  const dtype = widened ? 'float32' : type.name;
  const raw = t.raw_data;
  if (raw && raw.length > 0) {
    if (raw.length !== count * type.bytes) {
      throw new ModelFormatError(`${label}: ${formatShape(shape)} ${type.name} needs ${count * type.bytes} bytes, raw_data has ${raw.length}`);
    }
    const aligned = new Uint8Array(raw.length); // raw_data is a view at any offset: copy to align
    aligned.set(raw);
    if (widened) {
      const halves = new Uint16Array(aligned.buffer);
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = type.name === 'float16' ? halfToFloat(halves[i]) : bfloatToFloat(halves[i]);
      return { kind: 'constant', dtype, shape, data, name };
    }
    return { kind: 'constant', dtype, shape, data: new type.array(aligned.buffer), name };
  }
  const values = typedField(t, type.name);
  if (values.length !== count) {
    throw new ModelFormatError(`${label}: ${formatShape(shape)} needs ${count} elements, the tensor holds ${values.length}`);
  }
  const data = new type.array(count);
  if (data instanceof BigInt64Array || data instanceof BigUint64Array) {
    values.forEach((v, i) => (data[i] = BigInt(v)));
  } else if (widened) {
    // FLOAT16 and BFLOAT16 elements sit in int32_data as their 16 bits.
    values.forEach((v, i) => (data[i] = type.name === 'float16' ? halfToFloat(v) : bfloatToFloat(v)));
  } else {
    (data as Float32Array).set(values);
  }
  return { kind: 'constant', dtype, shape, data, name };
}

/** The typed field a data type keeps its elements in when raw_data is empty. */
function typedField(t: TensorProto, type: string): number[] {
  switch (type) {
    case 'float32':
      return t.float_data ?? [];
    case 'float64':
      return t.double_data ?? [];
    case 'int64':
      return t.int64_data ?? [];
    case 'uint32':
    case 'uint64':
      return t.uint64_data ?? [];
    default:
      return t.int32_data ?? [];
  }
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

function bfloatToFloat(b: number): number {
  return new Float32Array(new Uint32Array([(b & 0xffff) << 16]).buffer)[0];
}
