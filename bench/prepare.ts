// The files every library reads for one model, written into bench/.cache/<model>/ (not
// committed): the portable graph, its parameters, webgpu-nn's safetensors weights, the seeded
// input, the float64 reference output (cached by a hash of the rest), the ONNX file, and the
// .tflite file when bench/tflite/convert.py has been run for these weights. A training benchmark
// (model.train) has targets.bin (class indices) instead of the ONNX file, and its reference is
// the first step's loss: the mean cross-entropy of the reference logits.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportGraph, type BenchGraph } from './graph.js';
import { seededInput, seededTargets, type BenchModel } from './models.js';
import { onnxModel } from './onnx.js';
import { crossEntropyReference, referenceOutput } from './reference.js';

export interface PreparedModel {
  readonly dir: string;
  readonly graph: BenchGraph;
  readonly params: Float32Array;
  readonly input: Float32Array;
  /** Training benchmarks: the class index of each input row. */
  readonly targets?: Float32Array;
  readonly reference: Float64Array;
  /** Hash of graph, weights and input: the .tflite file and the reference are valid for it. */
  readonly hash: string;
  /** Whether model.tflite exists and was converted from these weights. */
  readonly tflite: boolean;
}

const bytesOf = (a: Float32Array | Float64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

export function prepareModel(cacheRoot: string, model: BenchModel, log: (line: string) => void = () => {}): PreparedModel {
  const dir = path.join(cacheRoot, model.key);
  mkdirSync(dir, { recursive: true });
  const built = model.build();
  const { graph, params } = exportGraph(model.key, built, model.batch);
  if (graph.input.shape.join() !== model.inputShape.join()) {
    throw new Error(`bench: ${model.key} traces an input ${graph.input.shape} instead of ${model.inputShape}`);
  }
  const input = seededInput(graph.input.shape.reduce((a, b) => a * b, 1));
  const targets = model.train ? seededTargets(model.batch, model.train.classes) : undefined;
  const graphJson = JSON.stringify(graph);
  const hashed = createHash('sha256').update(graphJson).update(bytesOf(params)).update(bytesOf(input));
  const hash = (targets ? hashed.update(bytesOf(targets)) : hashed).digest('hex').slice(0, 16);
  const write = (name: string, data: string | Uint8Array) => writeFileSync(path.join(dir, name), data);
  write('graph.json', graphJson);
  write('params.bin', bytesOf(params));
  write('input.bin', bytesOf(input));
  write('weights.safetensors', built.saveWeights());
  write('hash.txt', hash + '\n');
  if (targets) write('targets.bin', bytesOf(targets));

  const refFile = path.join(dir, `reference-${hash}.f64`);
  let reference: Float64Array;
  if (existsSync(refFile)) {
    const b = readFileSync(refFile);
    reference = new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
  } else {
    const t0 = performance.now();
    const output = referenceOutput(graph, params, input);
    reference = targets ? crossEntropyReference(output, targets) : output;
    write(path.basename(refFile), bytesOf(reference));
    log(`[${model.key}] float64 reference computed in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  }
  if (targets) return { dir, graph, params, input, targets, reference, hash, tflite: false };
  write('model.onnx', onnxModel(graph, params));
  const tfliteHash = path.join(dir, 'model.tflite.hash');
  const tflite = existsSync(path.join(dir, 'model.tflite')) && existsSync(tfliteHash) && readFileSync(tfliteHash, 'utf8').trim() === hash;
  return { dir, graph, params, input, reference, hash, tflite };
}
