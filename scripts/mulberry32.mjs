// mulberry32, a small seeded generator: the bench's inputs, the profile's and the demo's slice are
// the same on every machine. (src/random.ts is the library's own, with its seed mixed first.)

/** A function returning the next value of the sequence for `seed`, uniform in [0, 1). */
export function mulberry32(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `size` values of mulberry32(seed) mapped to [−1, 1). */
export function seededInput(size, seed) {
  const next = mulberry32(seed);
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = next() * 2 - 1;
  return out;
}
