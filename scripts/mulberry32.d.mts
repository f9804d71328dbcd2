export function mulberry32(seed: number): () => number;
export function seededInput(size: number, seed: number): Float32Array;
