// Compute pipelines cached by (shader, entry point, override constants). Compiled graphs build
// theirs with createComputePipelineAsync at compile time; eager ops build any missing one
// synchronously on first use.
import type { DispatchSpec } from '../../ops/kernel.js';

export class PipelineCache {
  readonly #modules = new Map<string, GPUShaderModule>();
  readonly #pipelines = new Map<string, GPUComputePipeline>();
  readonly #pending = new Map<string, Promise<GPUComputePipeline>>();

  constructor(private readonly device: GPUDevice) {}

  static key(spec: DispatchSpec): string {
    const constants = spec.constants ? Object.entries(spec.constants).sort(([a], [b]) => (a < b ? -1 : 1)) : [];
    return `${spec.shader.label}:${spec.entryPoint ?? 'main'}:${constants.map(([k, v]) => `${k}=${v}`).join(',')}`;
  }

  /** The pipeline for `spec`, created synchronously if it is not cached yet. */
  get(spec: DispatchSpec): GPUComputePipeline {
    const key = PipelineCache.key(spec);
    let pipeline = this.#pipelines.get(key);
    if (!pipeline) {
      pipeline = this.device.createComputePipeline(this.#descriptor(spec, key));
      this.#pipelines.set(key, pipeline);
    }
    return pipeline;
  }

  /**
   * Creates every missing pipeline of `specs` asynchronously, in parallel; reports
   * `{ built, total }` over the distinct pipelines (cached ones count as built) and stops
   * waiting, rejecting with the signal's reason, when `signal` aborts.
   */
  async prepare(
    specs: readonly DispatchSpec[],
    onProgress?: (progress: { built: number; total: number }) => void,
    signal?: AbortSignal,
  ): Promise<void> {
    signal?.throwIfAborted();
    const waits: Promise<GPUComputePipeline>[] = [];
    const keys = new Set<string>();
    let built = 0;
    for (const spec of specs) {
      const key = PipelineCache.key(spec);
      if (keys.has(key)) continue;
      keys.add(key);
      if (this.#pipelines.has(key)) {
        built++;
        continue;
      }
      let p = this.#pending.get(key);
      if (!p) {
        p = this.device.createComputePipelineAsync(this.#descriptor(spec, key)).then((pipeline) => {
          this.#pipelines.set(key, pipeline);
          this.#pending.delete(key);
          return pipeline;
        });
        p.catch(() => this.#pending.delete(key));
        this.#pending.set(key, p);
      }
      waits.push(p.then((pipeline) => (onProgress?.({ built: ++built, total: keys.size }), pipeline)));
    }
    onProgress?.({ built, total: keys.size });
    if (!signal) {
      await Promise.all(waits);
      return;
    }
    signal.throwIfAborted(); // by onProgress, say: the event has fired already
    let onAbort = () => {};
    const aborted = new Promise<never>((_, reject) => (onAbort = () => reject(signal.reason)));
    signal.addEventListener('abort', onAbort, { once: true });
    try {
      await Promise.race([Promise.all(waits), aborted]);
    } finally {
      signal.removeEventListener('abort', onAbort);
    }
  }

  get size(): number {
    return this.#pipelines.size;
  }

  /** Drops every module and pipeline (backend.dispose(); WebGPU frees them when unreferenced). */
  clear(): void {
    this.#modules.clear();
    this.#pipelines.clear();
    this.#pending.clear();
  }

  #descriptor(spec: DispatchSpec, key: string): GPUComputePipelineDescriptor {
    let module = this.#modules.get(spec.shader.label);
    if (!module) {
      module = this.device.createShaderModule({ label: spec.shader.label, code: spec.shader.code });
      this.#modules.set(spec.shader.label, module);
    }
    return {
      label: key,
      layout: 'auto',
      compute: { module, entryPoint: spec.entryPoint ?? 'main', constants: spec.constants as Record<string, number> | undefined },
    };
  }
}
