// What every benchmark page shares: it loads the model's files (the portable graph, the weights,
// the input) written by the runner, hands them to one library's adapter, and times init, the
// first inference and each warm inference with performance.now(). The runner drives it through
// window.bench (puppeteer's evaluate) and reads results back as plain JSON.
import type { BenchGraph } from '../graph.js';

export interface ModelFiles {
  readonly key: string;
  readonly graph: BenchGraph;
  /** Every parameter of the graph, at the offsets graph.values give. */
  readonly params: Float32Array;
  /** The input, in the graph's layout (NCHW images, [T, N, I] sequences). */
  readonly input: Float32Array;
  /** Another file of the model's folder (model.onnx, model.tflite, weights.safetensors). */
  bytes(file: string): Promise<Uint8Array>;
  /** A training benchmark: run() is one SGD step at this rate against these class indices and returns [loss]. */
  readonly training?: { readonly lr: number; readonly targets: Float32Array };
}

export interface AdapterInfo {
  /** The backend the library reports it runs on ('webgpu', 'cpu', 'wasm', …). */
  readonly backend: string;
  /** Parts of the model the library placed on the CPU although asked for the GPU. */
  readonly fallbacks?: readonly string[];
  readonly notes?: readonly string[];
}

export interface Adapter {
  /** Builds the session: weights uploaded, pipelines built where the library does that up front. */
  init(model: ModelFiles): Promise<AdapterInfo>;
  /** The input in the layout this library is fed (NHWC for TF.js and LiteRT), converted untimed. */
  prepare?(input: Float32Array): Float32Array;
  /** One inference from a CPU array to a CPU array, input upload and output readback included
   *  (training: one step from the CPU input to the loss read back). */
  run(input: Float32Array): Promise<Float32Array>;
  /** After the timed runs: anything that must be checked apart (ORT's verbose node placement). */
  verify?(model: ModelFiles): Promise<AdapterInfo>;
}

async function fetchBytes(url: string): Promise<Uint8Array> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`bench page: ${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

function base64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

declare global {
  interface Window {
    bench: unknown;
    /** Live bytes of GPU buffers this page created (installed by the runner before any script). */
    __gpuBytes?: () => number;
  }
}

/** Installs window.bench for the adapter chosen by `backend` (the page's ?backend= query). */
export function expose(makeAdapter: (backend: string) => Adapter): void {
  let adapter: Adapter | undefined;
  let model: ModelFiles | undefined;
  let prepared: Float32Array | undefined;
  let last: Float32Array | undefined;
  const gpuBytes = () => window.__gpuBytes?.() ?? 0;
  window.bench = {
    async init(key: string, backend: string, train?: { lr: number }) {
      const dir = `/bench/.cache/${key}/`;
      const [graphBytes, params, input] = await Promise.all(['graph.json', 'params.bin', 'input.bin'].map((f) => fetchBytes(dir + f)));
      const graph = JSON.parse(new TextDecoder().decode(graphBytes)) as BenchGraph;
      const f32 = (b: Uint8Array) => new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
      const training = train ? { lr: train.lr, targets: f32(await fetchBytes(dir + 'targets.bin')) } : undefined;
      model = { key, graph, params: f32(params), input: f32(input), bytes: (file) => fetchBytes(dir + file), training };
      adapter = makeAdapter(backend);
      const t0 = performance.now();
      const info = await adapter.init(model);
      const initMs = performance.now() - t0;
      prepared = adapter.prepare ? adapter.prepare(model.input) : model.input;
      return { initMs, info, gpuBytesInit: gpuBytes() };
    },
    // `repeat` awaited runs back to back, timed as one: their mean is a sample finer than the
    // page's timer (0.1 ms without cross-origin isolation).
    async run(repeat = 1) {
      const t0 = performance.now();
      for (let i = 0; i < repeat; i++) last = await adapter!.run(prepared!);
      return { ms: (performance.now() - t0) / repeat, gpuBytes: gpuBytes() };
    },
    output() {
      return base64(new Uint8Array(last!.buffer, last!.byteOffset, last!.byteLength));
    },
    async verify() {
      return adapter!.verify ? adapter!.verify(model!) : null;
    },
  };
}

/** NCHW → NHWC for a rank-4 input (the layout TF.js and LiteRT take images in); other ranks unchanged. */
export function toNhwc(input: Float32Array, shape: readonly number[]): Float32Array {
  if (shape.length !== 4) return input;
  const [N, C, H, W] = shape;
  const out = new Float32Array(input.length);
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let i = 0; i < H * W; i++) out[(n * H * W + i) * C + c] = input[(n * C + c) * H * W + i];
  return out;
}
