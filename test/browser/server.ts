// A static file server on 127.0.0.1 for browser tests: pages need an http://127.0.0.1 origin
// (a secure context) for navigator.gpu. A request with `?isolated` in its URL gets the headers that
// make a page cross-origin isolated (SharedArrayBuffer, the CPU backend's threads), and so does every
// worker's script (a worker of an isolated page must be isolated too: a deployment serves COEP on
// all its responses); `?csp=POLICY` sends POLICY as the Content-Security-Policy header.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

const TYPES: Record<string, string> = {
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.html': 'text/html',
  '.css': 'text/css',
  '.json': 'application/json',
  '.map': 'application/json',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

export async function serveDirectory(root: string): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const rel = decodeURIComponent(url.pathname);
    const file = path.join(root, rel);
    if (!file.startsWith(root)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      const isolation = url.searchParams.has('isolated') || isWorkerScript(req.headers) ? ISOLATION_HEADERS : {};
      const csp = url.searchParams.get('csp');
      res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', ...isolation, ...(csp && { 'content-security-policy': csp }) }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** A request for a worker's script (Sec-Fetch-Dest: worker). */
const isWorkerScript = (headers: http.IncomingHttpHeaders): boolean => headers['sec-fetch-dest'] === 'worker';

/** The response headers of a cross-origin-isolated page (crossOriginIsolated, SharedArrayBuffer). */
export const ISOLATION_HEADERS = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' } as const;

/** Chromium flags for WebGPU in headless mode without network chatter. */
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
