// The wasm thread pool's worker as a module of its own (threadPool.ts starts it with
// `new Worker(new URL('./poolWorker.js', import.meta.url), { type: 'module' })`, which bundlers emit
// as a file beside the library): a page whose Content-Security-Policy allows `worker-src 'self'`
// but not blob: workers still gets threads.
import { workerMain } from './poolProtocol.js';

const scope = self as unknown as { onmessage: ((e: MessageEvent) => void) | null; onmessageerror: (() => void) | null; postMessage(message: unknown): void; close(): void };
workerMain(
  (h) => {
    scope.onmessage = (e) => h(e.data);
    scope.onmessageerror = () => h(null);
  },
  (m) => scope.postMessage(m),
  () => scope.close(),
);
