import { runLeNet, type LeNetResult } from './lenet.js';

declare global {
  interface Window {
    result?: { page: LeNetResult; worker: LeNetResult } | { error: string };
  }
}

function inWorker(): Promise<LeNetResult> {
  // Vite bundles the worker and its imports because of this exact `new URL(…, import.meta.url)` form.
  const worker = new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });
  return new Promise((resolve, reject) => {
    worker.onmessage = (e: MessageEvent<LeNetResult | { error: string }>) => {
      worker.terminate();
      if ('error' in e.data) reject(new Error(e.data.error));
      else resolve(e.data);
    };
    worker.onerror = (e) => reject(new Error(e.message));
  });
}

const out = document.getElementById('out')!;
try {
  const page = await runLeNet();
  const worker = await inWorker();
  window.result = { page, worker };
  out.textContent = `page (${page.backend}): ${page.scores.map((s) => s.toFixed(4)).join(' ')}\n` +
    `worker (${worker.backend}): ${worker.scores.map((s) => s.toFixed(4)).join(' ')}`;
} catch (e) {
  window.result = { error: String(e) };
  out.textContent = String(e);
}
