// Copies of a compiled graph's constant arrays (its weights), and forms made from them (the
// recurrent step's packed W_hh), kept in the wasm kernels' memory from the first run on: a run
// then copies only its activations in and out. Regions are placed first-fit in address order
// above gemm's scratch; each call's operands go past the last one (WasmKernels' arena).

/** What a CpuKernels may add: keeping copies of arrays that stay unchanged (a compiled graph's parameters). */
export interface ResidentKernels {
  /** `data` stays as it is until release(data) or changed(data): the kernels may keep copies of it. Counted. */
  retain(data: Float32Array): void;
  /** `data` was written: copies made from it are dropped (and made again when next used). */
  changed(data: Float32Array): void;
  /** Undoes one retain; the copies go with the last. */
  release(data: Float32Array): void;
}

interface Form {
  readonly ptr: number;
  readonly end: number;
  /** A second array the form was made from (the bias packed beside W_hh), or null. */
  readonly with: Float32Array | null;
}

/** At most this much wasm memory holds resident copies; past it, operands are copied per call as before. */
const RESIDENT_BUDGET = 2 ** 30;

export class ResidentStore {
  readonly #entries = new Map<Float32Array, { count: number; forms: Map<string, Form> }>();
  /** Live regions, in address order. */
  #regions: Form[] = [];
  #bytes = 0;

  constructor(
    private readonly base: number,
    /** Grows the memory to `end` bytes; false when it cannot. */
    private readonly reserve: (end: number) => boolean,
  ) {}

  /** The first free byte past every region: where a call's operands may start. */
  get end(): number {
    return this.#regions.length ? align(this.#regions[this.#regions.length - 1].end) : this.base;
  }

  retain(data: Float32Array): void {
    const entry = this.#entries.get(data);
    if (entry) entry.count++;
    else this.#entries.set(data, { count: 1, forms: new Map() });
  }

  changed(data: Float32Array): void {
    for (const [array, entry] of this.#entries) {
      for (const [name, form] of entry.forms) {
        if (array === data || form.with === data) {
          this.#free(form);
          entry.forms.delete(name);
        }
      }
    }
  }

  release(data: Float32Array): void {
    const entry = this.#entries.get(data);
    if (!entry || --entry.count > 0) return;
    for (const form of entry.forms.values()) this.#free(form);
    this.#entries.delete(data);
  }

  /**
   * The address of `data`'s form `name` (`bytes` long, written by `make(ptr)` the first time, from
   * data and `withArray`; make returns false when it could not), or 0 where data is not retained
   * or there is no room (the caller then works from a copy of its own).
   */
  get(data: Float32Array, name: string, bytes: number, make: (ptr: number) => boolean, withArray: Float32Array | null = null): number {
    const entry = this.#entries.get(data);
    if (!entry) return 0;
    const form = entry.forms.get(name);
    if (form && form.with === withArray) return form.ptr;
    if (form) {
      this.#free(form);
      entry.forms.delete(name);
    }
    const ptr = this.#place(bytes);
    if (ptr === 0) return 0;
    const made = { ptr, end: ptr + bytes, with: withArray };
    const after = this.#regions.findIndex((r) => r.ptr > ptr);
    this.#regions.splice(after < 0 ? this.#regions.length : after, 0, made);
    this.#bytes += bytes;
    if (!make(ptr)) {
      this.#free(made);
      return 0;
    }
    entry.forms.set(name, made);
    return ptr;
  }

  /** Where `bytes` fit: the first gap between regions, else past the last one (grown into). */
  #place(bytes: number): number {
    if (this.#bytes + bytes > RESIDENT_BUDGET) return 0;
    let from = this.base;
    for (const r of this.#regions) {
      if (from + bytes <= r.ptr) return from;
      from = align(r.end);
    }
    return this.reserve(from + bytes) ? from : 0;
  }

  #free(form: Form): void {
    this.#regions = this.#regions.filter((r) => r !== form);
    this.#bytes -= form.end - form.ptr;
  }
}

/** The next multiple of 64 bytes (a cache line; v128 loads want 16). */
export const align = (bytes: number): number => Math.ceil(bytes / 64) * 64;
