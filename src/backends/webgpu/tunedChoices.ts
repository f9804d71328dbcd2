// Kernel choices tuned on an adapter (compile's `tune`): per adapter key (adapter.info and the
// limits the kernels depend on), per choice key ('gemm m64 n3136 k576 …'), the winner among the
// candidates timed. Kept in memory for the page or process and, in browsers, in IndexedDB, so a
// later visit compiles with them without timing again. Anything stored that does not look like
// an entry, or names a winner that is no longer a candidate, is ignored: the table decides.
import type { KernelVariant, VariantChoice } from '../../ops/kernel.js';

/** What tuning found for one choice. */
export interface TunedEntry {
  readonly winner: string;
  /** The candidates that were timed: a different set today (new variants) means tune again. */
  readonly candidates: readonly string[];
  /** ms per run of each candidate timed. */
  readonly ms: Readonly<Record<string, number>>;
}

/** Adapter key → choice key → entry, shared by every backend of this page or process. */
const shared = new Map<string, Map<string, TunedEntry>>();
/** Adapter keys whose IndexedDB record has been read (or tried). */
const loaded = new Map<string, Promise<void>>();

const DB_NAME = 'webgpu-nn';
const STORE = 'tuned-kernels';
/** How long IndexedDB may take before compile goes on without it. */
const DB_TIMEOUT_MS = 2000;

/** The limits kernel choices depend on (workgroup sizes and memory, binding sizes). */
const KEY_LIMITS = ['maxComputeWorkgroupStorageSize', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupSizeX', 'maxStorageBufferBindingSize', 'maxStorageBuffersPerShaderStage'] as const;

/** What identifies an adapter for tuned choices: its info (vendor, architecture, device, description) and limits. */
export function adapterKey(device: GPUDevice): string {
  const info = (device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const name = info ? [info.vendor, info.architecture, info.device, info.description].join('/') : 'unknown adapter';
  return `${name} ${KEY_LIMITS.map((l) => `${l}=${device.limits[l]}`).join(' ')}`;
}

export function isTunedEntry(x: unknown): x is TunedEntry {
  if (!x || typeof x !== 'object') return false;
  const e = x as Record<string, unknown>;
  return (
    typeof e.winner === 'string' &&
    Array.isArray(e.candidates) &&
    e.candidates.every((c) => typeof c === 'string') &&
    e.candidates.includes(e.winner) &&
    !!e.ms &&
    typeof e.ms === 'object' &&
    Object.values(e.ms as object).every((v) => typeof v === 'number')
  );
}

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/** The tuned choices of one adapter. */
export class TunedChoices {
  readonly #entries: Map<string, TunedEntry>;

  /**
   * `persist`: share the entries with every backend on this adapter and keep them in IndexedDB;
   * false for a backend whose kernel table is forced (`tuning: 'gpu'`), whose tuning stays its own.
   */
  constructor(
    readonly adapter: string,
    private readonly persist: boolean,
  ) {
    let entries = persist ? shared.get(adapter) : undefined;
    if (!entries) {
      entries = new Map();
      if (persist) shared.set(adapter, entries);
    }
    this.#entries = entries;
  }

  /** The tuned winner for `choice`, when one is stored and still a candidate. */
  winner<V extends KernelVariant>(choice: VariantChoice<V>): V | undefined {
    const entry = this.#entries.get(choice.key);
    if (!isTunedEntry(entry)) return undefined;
    return choice.candidates.find((c) => c.name === entry.winner);
  }

  /** Whether `choice` has no valid entry timed over today's candidates. */
  needsTuning(key: string, candidates: readonly string[]): boolean {
    const entry = this.#entries.get(key);
    return !isTunedEntry(entry) || !sameSet(entry.candidates, candidates);
  }

  get(key: string): TunedEntry | undefined {
    return this.#entries.get(key);
  }

  /** @internal Stores an entry as given (tests store corrupt ones). */
  set(key: string, entry: TunedEntry): void {
    this.#entries.set(key, entry);
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Forgets every entry of this adapter (memory and IndexedDB). */
  async clear(): Promise<void> {
    this.#entries.clear();
    await this.save();
  }

  /** Reads the adapter's stored entries from IndexedDB, once per page (entries in memory win). */
  load(): Promise<void> {
    if (!this.persist) return Promise.resolve();
    let done = loaded.get(this.adapter);
    if (!done) {
      done = withDatabase(async (db) => {
        const record = await request(db.transaction(STORE, 'readonly').objectStore(STORE).get(this.adapter));
        if (!record || typeof record !== 'object') return;
        for (const [key, entry] of Object.entries(record as object)) {
          if (isTunedEntry(entry) && !this.#entries.has(key)) this.#entries.set(key, entry);
        }
      });
      loaded.set(this.adapter, done);
    }
    return done;
  }

  /** Writes the adapter's entries to IndexedDB (browsers; nothing elsewhere; failures are ignored). */
  save(): Promise<void> {
    if (!this.persist) return Promise.resolve();
    const record = Object.fromEntries([...this.#entries].filter(([, e]) => isTunedEntry(e)));
    return withDatabase(async (db) => {
      const tx = db.transaction(STORE, 'readwrite');
      await request(tx.objectStore(STORE).put(record, this.adapter));
    });
  }
}

/**
 * Runs `use` on the database, if this runtime has IndexedDB and it answers in time. Nothing it
 * throws or rejects escapes: tuned choices are an optimisation, never a reason for compile to fail.
 */
async function withDatabase(use: (db: IDBDatabase) => Promise<void>): Promise<void> {
  const idb = (globalThis as { indexedDB?: IDBFactory }).indexedDB;
  if (!idb) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, DB_TIMEOUT_MS)));
  const work = (async () => {
    const open = idb.open(DB_NAME, 1);
    open.onupgradeneeded = () => open.result.createObjectStore(STORE);
    const db = await request(open);
    try {
      await use(db);
    } finally {
      db.close();
    }
  })().catch(() => {});
  try {
    await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}
