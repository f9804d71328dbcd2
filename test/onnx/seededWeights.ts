// The seeded weights formula of scripts/fixtures/make_onnx_fixtures.py, to the same float32
// bits: resnet18.onnx is committed without its initializers' data, which this fills back in.

function nameSeed(name: string): number {
  let h = 2166136261;
  for (const byte of new TextEncoder().encode(name)) h = Math.imul(h ^ byte, 16777619) >>> 0;
  return h;
}

function offsetScale(name: string, shape: readonly number[]): [number, number] {
  if (name.endsWith('running_var')) return [1, 0.5];
  if (name.endsWith('running_mean') || name.endsWith('bias')) return [0, 0.1];
  if (shape.length === 1) return [1, 0.25]; // BatchNorm's weight
  const fanIn = shape.slice(1).reduce((a, b) => a * b, 1);
  return [0, Math.sqrt(3 / fanIn)];
}

/** (hash(name, i) / 2^32 · 2 − 1) · scale + offset, rounded once to float32, as the script computes it in float64. */
export function seededWeights(name: string, shape: readonly number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const seed = nameSeed(name);
  const [offset, scale] = offsetScale(name, shape);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let h = (Math.imul(i, 2654435761) + seed) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    h = Math.imul(h, 0x45d9f3b) >>> 0;
    h = (h ^ (h >>> 16)) >>> 0;
    out[i] = ((h / 4294967296) * 2 - 1) * scale + offset;
  }
  return out;
}
