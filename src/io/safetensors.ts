// safetensors (https://huggingface.co/docs/safetensors): an 8-byte little-endian header length N,
// N bytes of UTF-8 JSON { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__? },
// then the raw little-endian tensor bytes, offsets counted from the end of the header.
//
// The reader trusts nothing: every malformed file is a WeightsError naming the problem, and a
// file is only returned once all of it has been checked. Like the reference implementation it
// requires the tensors to tile the data section exactly (no holes, no overlaps, no trailing
// bytes), so that one file cannot hide a second payload.
import { WeightsError } from '../errors.js';
import { formatShape, type Shape } from '../shape.js';

/** Bytes per element of every dtype the format defines (sub-byte types excepted). */
const DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  F8_E8M0: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  C64: 8,
  I64: 8,
  U64: 8,
} as const;

export type SafetensorsDType = keyof typeof DTYPE_BYTES;

/** The dtypes loadWeights converts to float32. */
export const FLOAT_DTYPES: readonly SafetensorsDType[] = ['F32', 'F16', 'BF16'];

export interface SafetensorsTensor {
  readonly dtype: SafetensorsDType;
  readonly shape: Shape;
  /** The tensor's raw little-endian bytes (a view into the file when read). */
  readonly data: Uint8Array;
}

export interface SafetensorsFile {
  /** Tensors by name, in the order of their data in the file. */
  readonly tensors: ReadonlyMap<string, SafetensorsTensor>;
  /** The optional `__metadata__` string map. */
  readonly metadata: ReadonlyMap<string, string>;
}

/** The reference implementation's limit; a larger header is a corrupt length, not a real file. */
export const MAX_HEADER_BYTES = 100_000_000;

const METADATA_KEY = '__metadata__';

/** A name for a message, quoted, cut if a hostile file made it enormous. */
export function quoteName(name: string): string {
  return name.length > 80 ? `'${name.slice(0, 77)}...'` : `'${name}'`;
}

const fail = (message: string): never => {
  throw new WeightsError(`safetensors: ${message}`);
};

// ---------------------------------------------------------------------------------------------
// Reading

/** Parses and checks a whole safetensors file; throws WeightsError for anything malformed. */
export function readSafetensors(input: Uint8Array | ArrayBuffer): SafetensorsFile {
  const bytes = asBytes(input);
  if (bytes.length < 8) fail(`the file is ${bytes.length} bytes, shorter than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // A u64, read as two halves: anything at or above 2^32 is absurd for a header anyway.
  const high = view.getUint32(4, true);
  const headerBytes = high * 2 ** 32 + view.getUint32(0, true);
  if (headerBytes > MAX_HEADER_BYTES) {
    fail(`header length ${headerBytes} is absurd (more than ${MAX_HEADER_BYTES} bytes): not a safetensors file, or a corrupt one`);
  }
  if (8 + headerBytes > bytes.length) {
    fail(`header length ${headerBytes} runs past the end of the file (${bytes.length - 8} bytes follow the length)`);
  }
  const header = parseHeader(bytes.subarray(8, 8 + headerBytes));
  const data = bytes.subarray(8 + headerBytes);

  let metadata = new Map<string, string>();
  const entries: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header)) {
    if (name === METADATA_KEY) {
      metadata = parseMetadata(value);
      continue;
    }
    entries.push({ name, ...parseEntry(name, value, data.length) });
  }

  // The tensors must tile the data section: sorted by offset, each starts where the last ended.
  entries.sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous = '';
  for (const e of entries) {
    if (e.begin < covered) fail(`tensor ${quoteName(e.name)} (bytes ${e.begin}..${e.end}) overlaps ${quoteName(previous)} (which ends at byte ${covered})`);
    if (e.begin > covered) fail(`bytes ${covered}..${e.begin} of the data section belong to no tensor (a hole before ${quoteName(e.name)})`);
    covered = e.end;
    previous = e.name;
  }
  if (covered !== data.length) {
    fail(`the data section is ${data.length} bytes but the tensors cover ${covered} (trailing bytes, or a truncated header)`);
  }

  const tensors = new Map<string, SafetensorsTensor>();
  for (const e of entries) tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: data.subarray(e.begin, e.end) });
  return { tensors, metadata };
}

function asBytes(input: unknown): Uint8Array {
  if (input instanceof Uint8Array) return input;
  if (input instanceof ArrayBuffer) return new Uint8Array(input);
  if (ArrayBuffer.isView(input)) return new Uint8Array(input.buffer, input.byteOffset, input.byteLength);
  const got = input === null ? 'null' : typeof input === 'object' ? (input.constructor?.name ?? 'object') : typeof input;
  return fail(`expected the file's bytes as a Uint8Array or ArrayBuffer, got ${got}`);
}

function parseHeader(raw: Uint8Array): Record<string, unknown> {
  // The format requires the JSON to start with '{' (this also rules out a byte-order mark).
  if (raw.length === 0 || raw[0] !== 0x7b) fail(`the header must be a JSON object starting with '{' (first byte ${describeByte(raw[0])})`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(raw);
  } catch {
    return fail('the header is not valid UTF-8');
  }
  try {
    // Valid JSON that starts with '{' is an object.
    return JSON.parse(text) as Record<string, unknown>;
  } catch (err) {
    return fail(`the header is not valid JSON (${err instanceof Error ? err.message : String(err)})`);
  }
}

function parseMetadata(value: unknown): Map<string, string> {
  if (!isRecord(value)) return fail(`'${METADATA_KEY}' must be an object of strings, got ${describeJson(value)}`);
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(`'${METADATA_KEY}' must map strings to strings; ${quoteName(k)} is ${describeJson(v)}`);
    out.set(k, v as string);
  }
  return out;
}

function parseEntry(name: string, value: unknown, dataBytes: number): { dtype: SafetensorsDType; shape: number[]; begin: number; end: number } {
  const what = `tensor ${quoteName(name)}`;
  if (!isRecord(value)) return fail(`${what} must be an object { dtype, shape, data_offsets }, got ${describeJson(value)}`);
  for (const field of ['dtype', 'shape', 'data_offsets']) {
    if (!Object.hasOwn(value, field)) fail(`${what} has no '${field}'`);
  }
  const { dtype, shape, data_offsets: offsets } = value as { dtype: unknown; shape: unknown; data_offsets: unknown };
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    fail(`${what} has unknown dtype ${describeJson(dtype)} (known: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every(isNonNegativeInteger)) {
    fail(`${what} has shape ${describeJson(shape)}; dims must be non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isNonNegativeInteger)) {
    fail(`${what} has data_offsets ${describeJson(offsets)}; expected [begin, end], two non-negative integers`);
  }
  const dims = shape as number[];
  const [begin, end] = offsets as [number, number];
  if (begin > end) fail(`${what} has data_offsets [${begin}, ${end}]: begin is after end`);
  if (end > dataBytes) fail(`${what} has data_offsets [${begin}, ${end}] beyond the ${dataBytes}-byte data section`);
  const expected = byteLength(dims, DTYPE_BYTES[dtype as SafetensorsDType]);
  if (expected !== end - begin) {
    const want = expected === null ? 'more than 2^53' : `${expected}`;
    fail(`${what} has data_offsets [${begin}, ${end}] (${end - begin} bytes) but ${dtype} ${formatShape(dims)} needs ${want} bytes`);
  }
  return { dtype: dtype as SafetensorsDType, shape: dims, begin, end };
}

/** dims × itemBytes, or null past 2^53 (checked per dim, so the product never loses its digits unseen). */
function byteLength(dims: readonly number[], itemBytes: number): number | null {
  if (dims.includes(0)) return 0;
  let n = itemBytes;
  for (const d of dims) {
    n *= d;
    if (n > Number.MAX_SAFE_INTEGER) return null;
  }
  return n;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNonNegativeInteger = (v: unknown): boolean => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function describeByte(b: number | undefined): string {
  return b === undefined ? 'none: the header is empty' : `0x${b.toString(16).padStart(2, '0')}`;
}

/** A short rendering of a JSON value for messages (long values are cut). */
function describeJson(v: unknown): string {
  const text = JSON.stringify(v) ?? String(v);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

// ---------------------------------------------------------------------------------------------
// Converting to float32

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A tensor's elements as float32: F32 copied, F16 and BF16 widened exactly. */
export function toFloat32(t: SafetensorsTensor): Float32Array {
  const n = t.data.length / DTYPE_BYTES[t.dtype];
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  switch (t.dtype) {
    case 'F32': {
      // On a little-endian host (every WebGPU platform) the bytes are the floats: one copy. (Not
      // t.data.slice(): on a Node Buffer that is a view of the whole file, not a copy.)
      if (LITTLE_ENDIAN) {
        const out = new Float32Array(n);
        new Uint8Array(out.buffer).set(t.data);
        return out;
      }
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(4 * i, true);
      return out;
    }
    case 'F16': {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = halfToFloat(view.getUint16(2 * i, true));
      return out;
    }
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const out = new Float32Array(n);
      const bits = new Uint32Array(out.buffer);
      for (let i = 0; i < n; i++) bits[i] = view.getUint16(2 * i, true) << 16;
      return out;
    }
    default:
      return fail(`cannot convert ${t.dtype} to float32 (supported: ${FLOAT_DTYPES.join(', ')})`);
  }
}

/** IEEE binary16 → number: sign, 5-bit exponent (bias 15), 10-bit fraction. */
function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24; // zero and subnormals
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

// ---------------------------------------------------------------------------------------------
// Writing

/** A float32 tensor as safetensors F32 bytes (little-endian). */
export function float32Tensor(shape: Shape, values: Float32Array): SafetensorsTensor {
  if (LITTLE_ENDIAN) return { dtype: 'F32', shape, data: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)) };
  const data = new Uint8Array(values.length * 4);
  const view = new DataView(data.buffer);
  for (let i = 0; i < values.length; i++) view.setFloat32(4 * i, values[i], true);
  return { dtype: 'F32', shape, data };
}

/**
 * Writes a safetensors file: tensors in the order given, the header JSON padded with spaces so
 * the data starts at a multiple of 8 bytes (as the format recommends).
 */
export function writeSafetensors(
  tensors: Iterable<readonly [string, SafetensorsTensor]>,
  metadata: Readonly<Record<string, string>> = {},
): Uint8Array {
  // The JSON is assembled by hand so the keys keep their order (a JS object would move
  // integer-like keys such as '0' to the front).
  const fields: string[] = [];
  const metadataEntries = Object.entries(metadata);
  if (metadataEntries.length > 0) fields.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(Object.fromEntries(metadataEntries))}`);
  const seen = new Set<string>();
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of tensors) {
    if (name === METADATA_KEY || seen.has(name)) fail(`cannot write a tensor named ${quoteName(name)} (${seen.has(name) ? 'written twice' : 'reserved'})`);
    seen.add(name);
    const expected = byteLength(t.shape, DTYPE_BYTES[t.dtype]);
    if (expected !== t.data.length) fail(`tensor ${quoteName(name)}: ${t.dtype} ${formatShape(t.shape)} needs ${expected} bytes, got ${t.data.length}`);
    fields.push(`${JSON.stringify(name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${offset + t.data.length}]}`);
    chunks.push(t.data);
    offset += t.data.length;
  }
  const json = new TextEncoder().encode(`{${fields.join(',')}}`);
  const headerBytes = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + headerBytes + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerBytes);
  let at = 8 + headerBytes;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
