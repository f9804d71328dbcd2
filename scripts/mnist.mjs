// MNIST for the LeNet scripts and the accuracy test: reads the original IDX files in data/mnist
// (gzip-compressed, as distributed) and evaluates a model on them. Takes the library as an
// argument (`nn`), so the scripts pass the built dist/ and the tests the sources.
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';

export const MNIST_DIR = fileURLToPath(new URL('../data/mnist/', import.meta.url));
export const WEIGHTS = fileURLToPath(new URL('../weights/lenet-mnist.safetensors', import.meta.url));

/** The demo and the scripts normalise pixels the same way: (p / 255 − mean) / std. */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

/** The model every LeNet script trains and evaluates. */
export const lenetModel = (nn) => nn.models.lenet({ activation: 'relu', pooling: 'max' });

function idx(file, magic) {
  const bytes = gunzipSync(readFileSync(MNIST_DIR + file));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0) !== magic) throw new Error(`${file}: not an IDX file with magic ${magic}`);
  return { view, bytes };
}

/** 'train' (60,000) or 'test' (10,000): x [count, 1, 28, 28] normalised, y [count] class indices. */
export function loadMnist(split) {
  const prefix = split === 'train' ? 'train' : 't10k';
  const images = idx(`${prefix}-images-idx3-ubyte.gz`, 2051);
  const labels = idx(`${prefix}-labels-idx1-ubyte.gz`, 2049);
  const count = images.view.getUint32(4);
  const pixels = images.bytes.subarray(16, 16 + count * 784);
  const x = new Float32Array(count * 784);
  for (let i = 0; i < x.length; i++) x[i] = (pixels[i] / 255 - MNIST_MEAN) / MNIST_STD;
  const y = Float32Array.from(labels.bytes.subarray(8, 8 + count));
  return { x, y, count };
}

/** Fraction of `data` whose largest logit is the label, run in batches through a compiled session. */
export async function evaluate(nn, model, backend, data, batchSize = 500) {
  const session = await nn.compile(model, backend);
  let correct = 0;
  try {
    for (let start = 0; start < data.count; start += batchSize) {
      const n = Math.min(batchSize, data.count - start);
      const x = backend.tensor(data.x.subarray(start * 784, (start + n) * 784), [n, 1, 28, 28]);
      const y = await session.run(x);
      const logits = await y.data();
      x.dispose();
      y.dispose();
      for (let i = 0; i < n; i++) {
        let best = 0;
        for (let c = 1; c < 10; c++) if (logits[i * 10 + c] > logits[i * 10 + best]) best = c;
        if (best === data.y[start + i]) correct++;
      }
    }
  } finally {
    session.dispose();
  }
  return correct / data.count;
}
