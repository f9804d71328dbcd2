// The demo's bundled MNIST slice (demo/public/mnist-slice.bin.gz, scripts/make-demo-slice.mjs):
// its layout, its class balance, and that every digit is MNIST's own image with MNIST's label.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseSlice } from '../demo/mnistSlice';

const repo = path.resolve(__dirname, '..');
const slice = parseSlice(gunzipSync(readFileSync(path.join(repo, 'demo/public/mnist-slice.bin.gz'))));

describe('demo MNIST slice', () => {
  it('holds 400 training and 100 held-out digits of each class', () => {
    const counts = (labels: Uint8Array) => Array.from({ length: 10 }, (_, d) => labels.filter((l) => l === d).length);
    expect(slice.train.count).toBe(4000);
    expect(slice.test.count).toBe(1000);
    expect(counts(slice.train.labels)).toEqual(new Array(10).fill(400));
    expect(counts(slice.test.labels)).toEqual(new Array(10).fill(100));
    expect(slice.train.pixels.length).toBe(4000 * 784);
  });

  it("takes its images and labels unchanged from MNIST's training and test files", () => {
    const mnist = path.resolve(repo, 'data/mnist');
    const read = (file: string, header: number) => gunzipSync(readFileSync(path.join(mnist, file))).subarray(header);
    const sets = [
      { digits: slice.train, images: read('train-images-idx3-ubyte.gz', 16), labels: read('train-labels-idx1-ubyte.gz', 8) },
      { digits: slice.test, images: read('t10k-images-idx3-ubyte.gz', 16), labels: read('t10k-labels-idx1-ubyte.gz', 8) },
    ];
    for (const { digits, images, labels } of sets) {
      // Index MNIST's images by content; every slice digit must be one of them, with its label.
      const byImage = new Map<string, number>();
      for (let i = 0; i < labels.length; i++) byImage.set(Buffer.from(images.subarray(i * 784, (i + 1) * 784)).toString('base64'), labels[i]);
      for (let k = 0; k < digits.count; k++) {
        const key = Buffer.from(digits.pixels.subarray(k * 784, (k + 1) * 784)).toString('base64');
        expect(byImage.get(key)).toBe(digits.labels[k]);
      }
    }
  });

  it('rejects a file that is not a slice', () => {
    expect(() => parseSlice(new Uint8Array(40))).toThrow(/not a version 1 slice/);
    const truncated = gunzipSync(readFileSync(path.join(repo, 'demo/public/mnist-slice.bin.gz'))).subarray(0, 5000);
    expect(() => parseSlice(truncated)).toThrow(/has 5000 bytes, expected 3925016/);
  });
});
