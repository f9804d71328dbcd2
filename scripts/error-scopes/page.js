// Loaded by page.html in headless Chromium (scripts/bench-error-scopes.mjs --browser): the
// measurement of measure.js on navigator.gpu; leaves the figures (or the error) in window.result.
import * as nn from '../../dist/webgpu-nn.js';
import { measureErrorScopes } from './measure.js';

const params = new URL(location.href).searchParams;
(async () => {
  const backend = await nn.createBackend('webgpu');
  const info = backend.device.adapterInfo;
  const measured = await measureErrorScopes(nn, backend, { seconds: Number(params.get('seconds') ?? 2) });
  backend.dispose();
  return { adapter: info?.description || info?.vendor || 'adapter', ...measured };
})().then(
  (result) => (window.result = result),
  (e) => (window.result = { error: `${e.name}: ${e.message}` }),
);
