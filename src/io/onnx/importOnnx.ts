// nn.importOnnx: an ONNX file as a model like the built-in ones. The protobuf decoder
// (protobufjs and the ONNX schema) is loaded here by dynamic import, so it stays out of the
// core bundle until a model is imported.
import { ModelFormatError, ShapeError } from '../../errors.js';
import { readOnnxGraph } from './onnxGraph.js';
import { OnnxModel, type ImportOnnxOptions } from './onnxModel.js';

/**
 * Reads an ONNX model (the bytes of a .onnx file). Throws ModelFormatError for a malformed or
 * truncated file, one UnsupportedError listing every node type outside the runtime, and the
 * translation's UnsupportedError or ShapeError for unsupported variants (found by tracing the
 * model once here, with its dynamic dims at 1).
 */
export async function importOnnx(bytes: Uint8Array | ArrayBuffer, options: ImportOnnxOptions = {}): Promise<OnnxModel> {
  if (!(bytes instanceof Uint8Array) && !(bytes instanceof ArrayBuffer)) {
    throw new ModelFormatError(`importOnnx: expected the file's bytes (Uint8Array or ArrayBuffer), got ${String(bytes)}`);
  }
  const { decodeModel } = await import('./proto.js');
  const model = new OnnxModel(readOnnxGraph(decodeModel(bytes)), options);
  try {
    model.trace(1);
  } catch (e) {
    // Dims other than the batch taken as 1 may not fit the model (a LeNet with dynamic height):
    // shapes are checked again when it runs with real ones (or give options.inputShapes).
    const dynamicBeyondBatch = model.inputs.some((i) => i.dims.some((d, k) => k > 0 && typeof d === 'string' && !options.inputShapes?.[i.name]));
    if (!(e instanceof ShapeError && dynamicBeyondBatch)) throw e;
  }
  return model;
}
