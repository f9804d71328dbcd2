// The demo's network: LeNet with ReLU and max pooling, as trained by `npm run train:lenet`, run
// with its convolution layers' activations as extra outputs so the page can draw them.
import * as nn from '../src/index';

/** The shipped weights (`npm run train:lenet`), fetched once; Vite fingerprints the file when it builds the page. */
export { default as WEIGHTS_URL } from '../weights/lenet-mnist.safetensors?url';

/** The architecture the weights belong to; `seed` picks its default (untrained) weights. */
export const buildLeNet = (seed = 0): nn.Sequential => nn.models.lenet({ activation: 'relu', pooling: 'max', seed });

/** A feature map output: the layer whose output it is, and how the page labels it. */
export interface FeatureLayer {
  /** Child name in the Sequential (the output of the ReLU after each convolution). */
  readonly layer: string;
  readonly title: string;
}

export const FEATURE_LAYERS: readonly FeatureLayer[] = [
  { layer: '1', title: 'conv 1 → ReLU' },
  { layer: '4', title: 'conv 2 → ReLU' },
];

/**
 * The same layers (the same Parameter objects: weights loaded into `net` are seen here) run in
 * order, returning the logits and each feature layer's output by name.
 */
class WithFeatureMaps extends nn.Module {
  readonly type = 'LeNet';

  constructor(net: nn.Sequential) {
    super();
    for (const [name, layer] of net.children()) this.addModule(name, layer);
    this.inputShapes = net.inputShapes;
    this.seed = net.seed;
  }

  forward(ctx: nn.ForwardContext, x: nn.SymbolicTensor): Record<string, nn.SymbolicTensor> {
    const maps: Record<string, nn.SymbolicTensor> = {};
    for (const [name, layer] of this.children()) {
      x = ctx.call(layer, x);
      if (FEATURE_LAYERS.some((f) => f.layer === name)) maps[`layer${name}`] = x;
    }
    return { logits: x, ...maps };
  }
}

export interface Prediction {
  /** Softmax of the logits. */
  readonly probabilities: Float32Array;
  /** Per FEATURE_LAYERS entry: the activations [C, H, W] and their shape. */
  readonly maps: { readonly data: Float32Array; readonly shape: readonly number[] }[];
  /** Input upload, the run and the read-back of every output, in ms. */
  readonly ms: number;
}

/** A compiled LeNet on a backend: classify() takes the normalised 28×28 input. */
export class Classifier {
  /** The run in flight: dispose() waits for it. */
  #running: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly backend: nn.Backend,
    readonly net: nn.Sequential,
    private readonly session: nn.Session,
  ) {}

  static async compile(net: nn.Sequential, backend: nn.Backend): Promise<Classifier> {
    return new Classifier(backend, net, await nn.compile(new WithFeatureMaps(net), backend));
  }

  /** The first convolution's filters [6, 1, 5, 5] (what conv 1's maps are made with). */
  firstFilters(): { data: Float32Array; shape: readonly number[] } {
    return this.net.stateDict().get('0.weight')!;
  }

  classify(input: Float32Array): Promise<Prediction> {
    const run = this.#classify(input);
    this.#running = run.catch(() => {});
    return run;
  }

  async #classify(input: Float32Array): Promise<Prediction> {
    const start = performance.now();
    const x = this.backend.tensor(input, [1, 1, 28, 28]);
    const out = (await this.session.run(x)) as Record<string, nn.Tensor>;
    x.dispose();
    const names = ['logits', ...FEATURE_LAYERS.map((f) => `layer${f.layer}`)];
    const [logits, ...maps] = await Promise.all(names.map((n) => out[n].data()));
    const ms = performance.now() - start;
    const shapes = names.slice(1).map((n) => out[n].shape.slice(1));
    for (const n of names) out[n].dispose();
    return { probabilities: softmax(logits), maps: maps.map((data, i) => ({ data, shape: shapes[i] })), ms };
  }

  /** Frees the compiled model once the run in flight (if any) is done. */
  dispose(): void {
    void this.#running.then(() => this.session.dispose());
  }
}

/** Whether `backend`'s device has been lost (its announcement may trail a call that failed by it by a moment). */
export async function wasLost(backend: nn.Backend): Promise<boolean> {
  return Promise.race([backend.lost.then(() => true), new Promise<false>((resolve) => setTimeout(() => resolve(false), 500))]);
}

function softmax(logits: Float32Array): Float32Array {
  const max = Math.max(...logits);
  const e = logits.map((v) => Math.exp(v - max));
  const sum = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / sum);
}

/** The shipped weights' bytes, reporting progress (0 … 1) while they download. */
export async function fetchWeights(url: string, onProgress: (fraction: number) => void): Promise<Uint8Array> {
  const response = await fetch(url);
  if (!response.ok || !response.body) throw new Error(`weights: ${url} answered ${response.status} ${response.statusText}`);
  const total = Number(response.headers.get('content-length')) || 0;
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    if (total) onProgress(received / total);
  }
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}
