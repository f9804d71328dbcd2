// The demo's MNIST-style preprocessing (demo/preprocess.ts): bounding box into 20×20 keeping
// the aspect ratio, centre of mass at the centre of 28×28, antialiased by area averaging.
import { describe, expect, it } from 'vitest';
import { normalise, toMnist, type Ink } from '../demo/preprocess';

function blank(width: number, height: number): Ink {
  return { data: new Float32Array(width * height), width, height };
}

function fillRect(ink: Ink, x: number, y: number, w: number, h: number, value = 1): Ink {
  for (let j = y; j < y + h; j++) for (let i = x; i < x + w; i++) ink.data[j * ink.width + i] = value;
  return ink;
}

/** Columns and rows of the 28×28 image that hold ink, and its centre of mass. */
function measure(image: Float32Array) {
  let m = 0;
  let cx = 0;
  let cy = 0;
  const cols = new Set<number>();
  const rows = new Set<number>();
  image.forEach((v, i) => {
    if (v <= 0) return;
    const [x, y] = [i % 28, Math.floor(i / 28)];
    cols.add(x);
    rows.add(y);
    m += v;
    cx += v * (x + 0.5);
    cy += v * (y + 0.5);
  });
  return { width: cols.size, height: rows.size, cx: cx / m, cy: cy / m, mass: m };
}

describe('demo preprocessing (MNIST-style)', () => {
  it('returns null for an empty drawing', () => {
    expect(toMnist(blank(50, 40))).toBeNull();
    // Faint antialiasing specks alone are no digit either.
    expect(toMnist(fillRect(blank(50, 40), 10, 10, 3, 3, 0.02))).toBeNull();
  });

  it('scales the bounding box so its longer side is 20 pixels, keeping the aspect ratio', () => {
    const tall = measure(toMnist(fillRect(blank(300, 300), 40, 30, 100, 200))!);
    expect(tall.height).toBe(20);
    expect(tall.width).toBe(10);
    const wide = measure(toMnist(fillRect(blank(300, 300), 10, 200, 250, 50))!);
    expect(wide.width).toBe(20);
    expect(wide.height).toBe(4);
  });

  it('puts the centre of mass at the centre of the 28×28 field, wherever the digit was drawn', () => {
    // An L: its centre of mass is not the centre of its bounding box.
    const drawL = (x: number, y: number) => fillRect(fillRect(blank(400, 300), x, y, 30, 200), x, y + 170, 120, 30);
    const a = toMnist(drawL(20, 10))!;
    const b = toMnist(drawL(250, 90))!;
    const { cx, cy } = measure(a);
    expect(cx).toBeCloseTo(14, 1);
    expect(cy).toBeCloseTo(14, 1);
    for (let i = 0; i < 784; i++) expect(b[i]).toBeCloseTo(a[i], 5);
  });

  it('antialiases: a stroke thinner than an output pixel becomes grey, and ink is conserved', () => {
    // A 200-pixel bar 4 pixels thick (0.4 output pixels) is spread over grey pixels.
    const image = toMnist(fillRect(blank(300, 300), 150, 50, 4, 200))!;
    const values = [...image].filter((v) => v > 0);
    expect(Math.max(...values)).toBeLessThan(1);
    expect(Math.max(...values)).toBeGreaterThan(0.1);
    // Area averaging keeps the ink: 4 × 200 drawing pixels at 10 per output pixel = 8 output pixels.
    expect(measure(image).mass).toBeCloseTo(8, 3);
  });

  it('gives the same image for the same digit drawn at different sizes', () => {
    const small = toMnist(fillRect(fillRect(blank(100, 100), 10, 10, 8, 40), 10, 42, 30, 8))!;
    const large = toMnist(fillRect(fillRect(blank(400, 400), 40, 40, 32, 160), 40, 168, 120, 32))!;
    for (let i = 0; i < 784; i++) expect(large[i]).toBeCloseTo(small[i], 4);
  });

  it('normalises as MNIST training did: (pixel − 0.1307) / 0.3081', () => {
    expect([...normalise(Float32Array.of(0, 1))]).toEqual([Math.fround(-0.1307 / 0.3081), Math.fround(0.8693 / 0.3081)]);
  });
});
