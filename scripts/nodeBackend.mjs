// The backend of the Node scripts by name: 'cpu', or 'webgpu' through Dawn (the `webgpu` package).
import * as nn from '../dist/webgpu-nn.js';

export async function createBackend(name) {
  if (name !== 'webgpu') return nn.createBackend('cpu');
  const { create } = await import('webgpu'); // Dawn for Node
  const gpu = create([]);
  const backend = await nn.createBackend('webgpu', { gpu });
  backend.keepAlive = gpu; // Dawn's GPU object must outlive its devices
  return backend;
}
