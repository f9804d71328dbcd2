// Makes the MNIST slice that the demo's "Train in your browser" trains on:
// demo/public/mnist-slice.bin.gz, a seeded, class-balanced pick of 4,000 training images
// (400 per digit, from MNIST's training set) and 1,000 held-out images (100 per digit, from
// MNIST's test set), gzip-compressed (the page unpacks it with DecompressionStream).
//
//   node scripts/make-demo-slice.mjs [mnist-folder]
//
// The folder holds MNIST's original IDX .gz files; by default data/mnist/ in the repo if it is
// there, else ../shared/data/mnist. Layout after gunzip (little-endian u32 header):
//   'MNSL', version 1, trainCount, testCount,
//   train labels (u8 × trainCount), test labels (u8 × testCount),
//   train pixels (u8 × 784 × trainCount), test pixels (u8 × 784 × testCount)
// Pixels are MNIST's own (0 background … 255 ink), row-major 28 × 28.
// MNIST is © Yann LeCun, Corinna Cortes and Christopher J. C. Burges, CC BY-SA 3.0: the slice
// is a derived data set under the same license (demo/public/mnist-slice.LICENSE.md).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync, gzipSync } from 'node:zlib';
import { mulberry32 } from './mulberry32.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const source = process.argv[2] ?? [path.join(repo, 'data/mnist'), path.resolve(repo, '../shared/data/mnist')].find(existsSync);
if (!source || !existsSync(source)) throw new Error('make-demo-slice: no MNIST folder found; pass the folder with the IDX .gz files');

const TRAIN_PER_CLASS = 400;
const TEST_PER_CLASS = 100;
const SEED = 2026;
const PIXELS = 28 * 28;

function readIdx(file, magic) {
  const bytes = gunzipSync(readFileSync(path.join(source, file)));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== magic) throw new Error(`${file}: magic ${view.getUint32(0)}, expected ${magic}`);
  const count = view.getUint32(4);
  const header = magic === 2051 ? 16 : 8;
  return { count, data: bytes.subarray(header) };
}

/** `perClass` seeded picks of each digit, interleaved in a shuffled order. */
function pick(prefix, perClass, rng) {
  const images = readIdx(`${prefix}-images-idx3-ubyte.gz`, 2051);
  const labels = readIdx(`${prefix}-labels-idx1-ubyte.gz`, 2049);
  if (images.count !== labels.count) throw new Error(`${prefix}: ${images.count} images but ${labels.count} labels`);
  const order = Array.from({ length: labels.count }, (_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const taken = new Array(10).fill(0);
  const chosen = order.filter((i) => taken[labels.data[i]]++ < perClass);
  return {
    labels: Uint8Array.from(chosen, (i) => labels.data[i]),
    pixels: Buffer.concat(chosen.map((i) => images.data.subarray(i * PIXELS, (i + 1) * PIXELS))),
  };
}

const rng = mulberry32(SEED);
const train = pick('train', TRAIN_PER_CLASS, rng);
const test = pick('t10k', TEST_PER_CLASS, rng);
const header = Buffer.alloc(16);
header.write('MNSL', 0, 'latin1');
header.writeUInt32LE(1, 4);
header.writeUInt32LE(train.labels.length, 8);
header.writeUInt32LE(test.labels.length, 12);
const packed = gzipSync(Buffer.concat([header, train.labels, test.labels, train.pixels, test.pixels]), { level: 9 });
const out = path.join(repo, 'demo/public/mnist-slice.bin.gz');
writeFileSync(out, packed);
console.log(`make-demo-slice: ${train.labels.length} training + ${test.labels.length} held-out images from ${source} → ${path.relative(repo, out)} (${packed.length.toLocaleString('en-US')} bytes)`);
