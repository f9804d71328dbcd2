// The drawing → the 28×28 image the network sees, made the way MNIST's digits were made
// (LeCun et al.): the ink's bounding box is scaled, keeping its aspect ratio, to fit a 20×20
// box, antialiased, and the result is placed in a 28×28 field so that its centre of mass
// sits at the field's centre. Both steps happen in one resampling pass: each output pixel is
// the average of the ink under its footprint on the drawing (an exact box filter), so thin
// strokes keep their grey edges as MNIST's do.

export const SIZE = 28;
/** The side of the box the digit's longer side is scaled to. */
export const BOX = 20;
/** Ink below this (of 1) does not count towards the bounding box: stray antialiasing. */
const INK_THRESHOLD = 0.05;

export interface Ink {
  /** Ink per pixel, 0 (paper) … 1 (full ink), row-major. */
  readonly data: Float32Array;
  readonly width: number;
  readonly height: number;
}

/** MNIST-style 28×28 image (0 … 1, ink = 1), or null when there is no ink. */
export function toMnist({ data, width, height }: Ink): Float32Array | null {
  let x0 = width;
  let y0 = height;
  let x1 = -1;
  let y1 = -1;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (data[y * width + x] <= INK_THRESHOLD) continue;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
    }
  }
  if (x1 < 0) return null;
  x1 += 1;
  y1 += 1;
  // Drawing pixels per output pixel; the box's longer side becomes BOX output pixels.
  const scale = Math.max(x1 - x0, y1 - y0) / BOX;

  // Centre of mass of the ink in the box, in drawing pixels (pixel centres at +0.5).
  let mass = 0;
  let mx = 0;
  let my = 0;
  for (let y = y0; y < y1; y++) {
    for (let x = x0; x < x1; x++) {
      const v = data[y * width + x];
      mass += v;
      mx += v * (x + 0.5);
      my += v * (y + 0.5);
    }
  }
  mx /= mass;
  my /= mass;

  // Output pixel (u, v) covers drawing x ∈ [ox + u·scale, ox + (u+1)·scale), likewise y;
  // the centre of mass maps to the field's centre (14, 14).
  const ox = mx - (SIZE / 2) * scale;
  const oy = my - (SIZE / 2) * scale;
  const out = new Float32Array(SIZE * SIZE);
  const area = scale * scale;
  for (let v = 0; v < SIZE; v++) {
    const top = oy + v * scale;
    const bottom = top + scale;
    for (let u = 0; u < SIZE; u++) {
      const left = ox + u * scale;
      const right = left + scale;
      let sum = 0;
      // Only ink inside the bounding box counts (faint specks outside it are dropped).
      for (let y = Math.max(Math.floor(top), y0); y < Math.min(Math.ceil(bottom), y1); y++) {
        const wy = Math.min(bottom, y + 1) - Math.max(top, y);
        for (let x = Math.max(Math.floor(left), x0); x < Math.min(Math.ceil(right), x1); x++) {
          const wx = Math.min(right, x + 1) - Math.max(left, x);
          sum += wx * wy * data[y * width + x];
        }
      }
      out[v * SIZE + u] = Math.min(1, sum / area);
    }
  }
  return out;
}

/** MNIST's normalisation, as the network was trained: (pixel/255 − mean) / std with pixel/255 = ink. */
export const MNIST_MEAN = 0.1307;
export const MNIST_STD = 0.3081;

export function normalise(image: Float32Array): Float32Array {
  return image.map((p) => (p - MNIST_MEAN) / MNIST_STD);
}
