// The bytes of a weights file from what a web app has: bytes already, a fetch() Response, or
// a URL to fetch. Streams the body so that onProgress can report it, and stops on a signal.
import { WeightsError } from '../errors.js';

/** Where weights come from: the bytes, a Response (from fetch), or a URL to fetch. */
export type BytesSource = Uint8Array | ArrayBuffer | Response | string | URL;

/** How far a download has come; `total` is the Content-Length, or undefined when the server sends none. */
export interface DownloadProgress {
  readonly loaded: number;
  readonly total: number | undefined;
}

export interface FetchBytesOptions {
  onProgress?: (progress: DownloadProgress) => void;
  /** Stops the download: the promise rejects with the signal's reason. */
  signal?: AbortSignal;
}

export async function fetchBytes(source: BytesSource, what: string, options: FetchBytesOptions = {}): Promise<Uint8Array | ArrayBuffer> {
  const { onProgress, signal } = options;
  signal?.throwIfAborted();
  if (source instanceof Uint8Array || source instanceof ArrayBuffer) {
    onProgress?.({ loaded: source.byteLength, total: source.byteLength });
    return source;
  }
  let response: Response;
  if (typeof source === 'string' || source instanceof URL) {
    try {
      response = await fetch(source, signal ? { signal } : {});
    } catch (e) {
      if (signal?.aborted) throw signal.reason;
      throw new WeightsError(`${what}: fetching ${String(source)} failed: ${(e as Error).message}`);
    }
  } else if (typeof Response !== 'undefined' && source instanceof Response) {
    response = source;
  } else {
    throw new WeightsError(`${what}: expected a Uint8Array, an ArrayBuffer, a Response or a URL, got ${source === null ? 'null' : typeof source}`);
  }
  if (!response.ok) throw new WeightsError(`${what}: ${response.url || String(source)} answered ${response.status} ${response.statusText}`.trimEnd());
  const length = Number(response.headers.get('content-length'));
  // A compressed body's Content-Length counts the compressed bytes, not those read here.
  const total = Number.isFinite(length) && length > 0 && !response.headers.get('content-encoding') ? length : undefined;
  if (!response.body) {
    const bytes = new Uint8Array(await response.arrayBuffer());
    onProgress?.({ loaded: bytes.length, total: bytes.length });
    return bytes;
  }
  const reader = response.body.getReader();
  const cancel = () => void reader.cancel(signal?.reason).catch(() => {});
  signal?.addEventListener('abort', cancel, { once: true });
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      signal?.throwIfAborted();
      if (done) break;
      chunks.push(value);
      loaded += value.length;
      onProgress?.({ loaded, total });
    }
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw new WeightsError(`${what}: reading ${response.url || 'the response'} failed after ${loaded} bytes: ${(e as Error).message}`);
  } finally {
    signal?.removeEventListener('abort', cancel);
  }
  const bytes = new Uint8Array(loaded);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return bytes;
}
