// ONNX Runtime Web on one of its execution providers, from the .onnx file the runner wrote.
// Its wasm and glue files are served from node_modules (env.wasm.wasmPaths); one thread unless
// `numThreads` says more (the wasm-threads row, on a cross-origin-isolated page).
import type * as ortTypes from 'onnxruntime-web';
import type { Adapter, AdapterInfo, ModelFiles } from './harness.js';

type Ort = typeof ortTypes;

/** `provider` is what ORT calls it: 'webgpu' (native EP or JSEP, by the build imported) or 'wasm'. */
export function createOrtAdapter(ort: Ort, provider: 'webgpu' | 'wasm', label: string, numThreads = 1): Adapter {
  let session: ortTypes.InferenceSession;
  let shape: number[];
  const options = (verbose: boolean): ortTypes.InferenceSession.SessionOptions => ({
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    ...(verbose ? { logSeverityLevel: 0, logVerbosityLevel: 0 } : {}),
  });
  return {
    async init(files) {
      ort.env.wasm.wasmPaths = '/node_modules/onnxruntime-web/dist/';
      ort.env.wasm.numThreads = numThreads;
      session = await ort.InferenceSession.create(await files.bytes('model.onnx'), options(false));
      shape = [...files.graph.input.shape];
      // ORT sets numThreads back to 1 where it cannot make threads (no cross-origin isolation).
      const threads = ort.env.wasm.numThreads ?? 1;
      return { backend: provider === 'wasm' && threads > 1 ? `${label}, ${threads} threads` : label };
    },
    async run(input) {
      const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', input, shape) };
      const results = await session.run(feeds);
      const y = results[session.outputNames[0]];
      const out = (await y.getData()) as Float32Array;
      y.dispose();
      return out;
    },
    // A second session with verbose logging after the timed runs: ORT prints where it placed each
    // node ("Node(s) placed on [CPUExecutionProvider]"); the runner reads the console.
    async verify(files: ModelFiles): Promise<AdapterInfo> {
      const previous = ort.env.logLevel;
      ort.env.logLevel = 'verbose';
      const probe = await ort.InferenceSession.create(await files.bytes('model.onnx'), options(true));
      await probe.release();
      ort.env.logLevel = previous;
      return { backend: label };
    },
  };
}
