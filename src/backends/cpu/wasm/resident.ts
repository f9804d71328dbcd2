// What a compiled graph keeps in the wasm kernels' memory: copies of its constant arrays (its
// weights) and forms made from them (the recurrent step's packed W_hh), from the first run on;
// and its liveness slots (cpuGraph.ts), so the kernels read and write activations where they are
// instead of copying them in and out. Regions are placed first-fit in address order above gemm's
// scratch; each call's own operands go past the last one (WasmKernels' arena).
//
// Growth: a call whose arena does not fit grows the memory, and growing a non-shared memory
// detaches its ArrayBuffer (every view made before has length 0; a shared one's old views keep
// their old length). A graph therefore makes its slot views from (address, length) against the
// current buffer, and runs with `pinned` set: a call that has to grow the memory then grows it and
// throws MemoryGrew before any kernel or op uses a stale view, and the graph runs that node again
// on fresh views (a node writes all of its outputs from its inputs, which growth leaves in place).
// The memory only grows, so after the first run of a plan nothing grows and nothing is redone;
// and a graph makes room before its first run for the copies of its weights and the calls'
// operands, so that even its first run seldom redoes a node.

/** What a CpuKernels may add: keeping copies of arrays that stay unchanged (a compiled graph's parameters). */
export interface ResidentKernels {
  /** `data` stays as it is until release(data) or changed(data): the kernels may keep copies of it. Counted. */
  retain(data: Float32Array): void;
  /** `data` was written: copies made from it are dropped (and made again when next used). */
  changed(data: Float32Array): void;
  /** Undoes one retain; the copies go with the last. */
  release(data: Float32Array): void;
  /** The byte address of `bytes` of the kernels' memory for a compiled graph's slots, or 0 where there is no room. */
  allocate(bytes: number): number;
  /** Gives back what allocate returned. */
  free(address: number): void;
  /** Grows the memory now (if it can) to hold the copies of retained arrays not made yet and `bytes` more past them (a run's operands). */
  makeRoom(bytes: number): void;
  /** The kernels' memory as it is now (a growth replaces it). */
  readonly buffer: ArrayBufferLike;
  /** While true, a call that grows the memory throws MemoryGrew once it has grown it (see above). */
  pinned: boolean;
}

/** Thrown by a kernel call that grew the memory while `pinned`: views made before may be detached. */
export class MemoryGrew extends Error {
  constructor() {
    super('the wasm kernels grew their memory during a compiled run (the run redoes the node)');
  }
}

interface Form {
  readonly ptr: number;
  readonly end: number;
  /** A second array the form was made from (the bias packed beside W_hh), or null. */
  readonly with: Float32Array | null;
}

/** At most this much wasm memory holds resident copies and slots; past it, operands are copied per call as before. */
const RESIDENT_BUDGET = 2 ** 30;

/** At most this much room makeRoom makes ahead for copies not made yet (a larger model grows, and redoes a node, on its first run). */
const ROOM_FOR_COPIES = 2 ** 28;

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
    const made = this.#insert(ptr, bytes, withArray);
    let ok = false;
    try {
      ok = make(ptr);
    } finally {
      // make may throw (MemoryGrew while pinned): the region goes, and the next try places it again.
      if (!ok) this.#free(made);
    }
    if (!ok) return 0;
    entry.forms.set(name, made);
    return ptr;
  }

  /** The address of `bytes` of memory of their own (a compiled graph's slots), or 0 where there is no room. */
  allocate(bytes: number): number {
    const ptr = this.#place(bytes);
    if (ptr !== 0) this.#insert(ptr, bytes, null);
    return ptr;
  }

  /**
   * Grows the memory (if it can) to hold the copies of retained arrays not made yet (at most
   * ROOM_FOR_COPIES of them: some may never be copied, as an embedding table the TypeScript gather
   * reads), and `bytes` more.
   */
  makeRoom(bytes: number): void {
    let copies = 0;
    for (const [data, entry] of this.#entries) if (!entry.forms.has('copy')) copies += align(data.byteLength);
    this.reserve(this.end + Math.min(copies, ROOM_FOR_COPIES) + bytes);
  }

  /** Gives back what allocate returned. */
  free(ptr: number): void {
    const region = this.#regions.find((r) => r.ptr === ptr);
    if (region) this.#free(region);
  }

  #insert(ptr: number, bytes: number, withArray: Float32Array | null): Form {
    const made = { ptr, end: ptr + bytes, with: withArray };
    const after = this.#regions.findIndex((r) => r.ptr > ptr);
    this.#regions.splice(after < 0 ? this.#regions.length : after, 0, made);
    this.#bytes += bytes;
    return made;
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
