// The bundled MNIST slice (demo/public/mnist-slice.bin.gz, made by scripts/make-demo-slice.mjs):
// 4,000 training and 1,000 held-out digits with their labels.
import { MNIST_MEAN, MNIST_STD } from './preprocess';

export const SLICE_URL = `${import.meta.env.BASE_URL}mnist-slice.bin.gz`;
const PIXELS = 28 * 28;

export interface Digits {
  readonly count: number;
  readonly labels: Uint8Array;
  /** MNIST's pixels, 0 … 255, 784 per digit. */
  readonly pixels: Uint8Array;
}

export interface MnistSlice {
  readonly train: Digits;
  readonly test: Digits;
}

export async function loadSlice(url = SLICE_URL): Promise<MnistSlice> {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`MNIST slice: ${url} answered ${response.status} ${response.statusText}`);
  let bytes = new Uint8Array(await response.arrayBuffer());
  // Servers that label .gz files Content-Encoding: gzip (Vite's dev server does) hand over the
  // unpacked bytes; the gzip magic says which one arrived.
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('gzip'));
    bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  }
  return parseSlice(bytes, url);
}

/** The unpacked slice file (layout in scripts/make-demo-slice.mjs). */
export function parseSlice(bytes: Uint8Array, name = 'the slice'): MnistSlice {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = String.fromCharCode(...bytes.subarray(0, 4));
  if (bytes.length < 16 || magic !== 'MNSL' || view.getUint32(4, true) !== 1) throw new Error(`MNIST slice: ${name} is not a version 1 slice (magic '${magic}')`);
  const trainCount = view.getUint32(8, true);
  const testCount = view.getUint32(12, true);
  const expected = 16 + (trainCount + testCount) * (1 + PIXELS);
  if (bytes.length !== expected) throw new Error(`MNIST slice: ${name} has ${bytes.length} bytes, expected ${expected}`);
  let at = 16;
  const take = (n: number) => bytes.subarray(at, (at += n));
  const trainLabels = take(trainCount);
  const testLabels = take(testCount);
  return {
    train: { count: trainCount, labels: trainLabels, pixels: take(trainCount * PIXELS) },
    test: { count: testCount, labels: testLabels, pixels: take(testCount * PIXELS) },
  };
}

/** Digits as the network's input [count, 1, 28, 28], normalised as in training. */
export function normalisedImages(digits: Digits): Float32Array {
  return Float32Array.from(digits.pixels, (p) => (p / 255 - MNIST_MEAN) / MNIST_STD);
}
