// The drawing pad: pointer events (mouse, touch and pen alike), strokes drawn as round-capped
// lines into a transparent canvas, so the canvas's alpha channel is the ink.
import type { Ink } from './preprocess';

/** Stroke width as a fraction of the pad's side: about MNIST's pen once the digit fills 20 of 28 pixels. */
const STROKE = 0.085;

export interface Pad {
  /** The ink drawn so far (alpha of the canvas, 0 … 1). */
  ink(): Ink;
  clear(): void;
  readonly isEmpty: boolean;
}

/**
 * Makes `canvas` a drawing pad. `onChange(drawing)` fires on every change: with drawing = true
 * while the pen is down, false when it lifts (and after clear()).
 */
export function createPad(canvas: HTMLCanvasElement, onChange: (drawing: boolean) => void): Pad {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!;
  let empty = true;
  let active: number | null = null;
  let last: { x: number; y: number } | null = null;

  // The backing store follows the displayed size (and the screen's pixel density, up to 2×);
  // resizing clears the canvas, so it reports a change when there was a drawing.
  const resize = () => {
    const side = Math.round(canvas.getBoundingClientRect().width * Math.min(2, window.devicePixelRatio || 1));
    if (side > 0 && side !== canvas.width) {
      canvas.width = canvas.height = side;
      if (!empty) {
        empty = true;
        onChange(false);
      }
    }
  };
  new ResizeObserver(resize).observe(canvas);
  resize();

  const point = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect();
    return { x: ((e.clientX - r.left) / r.width) * canvas.width, y: ((e.clientY - r.top) / r.height) * canvas.height };
  };
  const lineTo = (p: { x: number; y: number }, pressure: number) => {
    const from = last ?? p;
    ctx.lineCap = 'round';
    ctx.lineJoin = 'round';
    ctx.strokeStyle = '#fff';
    // A pen's pressure thickens the line a little; mouse and touch report 0.5 while pressed.
    ctx.lineWidth = canvas.width * STROKE * (0.75 + 0.5 * (pressure || 0.5));
    ctx.beginPath();
    ctx.moveTo(from.x, from.y);
    ctx.lineTo(p.x, p.y);
    ctx.stroke();
    last = p;
    empty = false;
  };

  canvas.addEventListener('pointerdown', (e) => {
    if (active !== null || e.button > 0) return;
    e.preventDefault();
    active = e.pointerId;
    canvas.setPointerCapture(e.pointerId);
    last = null;
    lineTo(point(e), e.pressure);
    onChange(true);
  });
  canvas.addEventListener('pointermove', (e) => {
    if (e.pointerId !== active) return;
    // Coalesced events: the pen's full path between two animation frames.
    const coalesced = e.getCoalescedEvents?.() ?? [];
    for (const c of coalesced.length > 0 ? coalesced : [e]) lineTo(point(c), c.pressure);
    onChange(true);
  });
  const lift = (e: PointerEvent) => {
    if (e.pointerId !== active) return;
    active = null;
    last = null;
    onChange(false);
  };
  canvas.addEventListener('pointerup', lift);
  canvas.addEventListener('pointercancel', lift);

  return {
    ink() {
      const { width, height } = canvas;
      const rgba = ctx.getImageData(0, 0, width, height).data;
      const data = new Float32Array(width * height);
      for (let i = 0; i < data.length; i++) data[i] = rgba[i * 4 + 3] / 255;
      return { data, width, height };
    },
    clear() {
      ctx.clearRect(0, 0, canvas.width, canvas.height);
      empty = true;
      onChange(false);
    },
    get isEmpty() {
      return empty;
    },
  };
}
