// Drawing the page's pictures: the probability bars, the 28×28 input, the feature maps, the
// layer table and the training plot. No network code here.
import type { ModelSummary } from '../src/index';
import type { FeatureLayer } from './model';

/** Ten bars, one per digit; update(p) sets their heights and marks the most probable. */
export function probabilityBars(container: HTMLElement): (p: Float32Array | null) => void {
  const bars = Array.from({ length: 10 }, (_, d) => {
    const bar = document.createElement('div');
    bar.className = 'bar';
    bar.setAttribute('role', 'listitem');
    bar.innerHTML = `<div class="track"><div class="fill"></div></div><span class="digit">${d}</span>`;
    container.append(bar);
    return bar;
  });
  return (p) => {
    const best = p ? p.indexOf(Math.max(...p)) : -1;
    bars.forEach((bar, d) => {
      const v = p ? p[d] : 0;
      bar.querySelector<HTMLElement>('.fill')!.style.height = `${(v * 100).toFixed(1)}%`;
      bar.classList.toggle('best', d === best);
      bar.title = `${d}: ${(v * 100).toFixed(1)}%`;
      bar.setAttribute('aria-label', bar.title);
      bar.dataset.p = v.toFixed(4);
    });
  };
}

/** Grey image (0 … 1 → black … white) into a canvas of the image's size. */
export function drawGrey(canvas: HTMLCanvasElement, image: Float32Array | null): void {
  paint(canvas, (i) => {
    const g = image ? Math.round(Math.max(0, Math.min(1, image[i])) * 255) : 0;
    return [g, g, g];
  });
}

// The 'inferno' colour map (matplotlib), nine stops interpolated: dark for 0, bright for strong.
const INFERNO = [
  [0, 0, 4], [31, 12, 72], [85, 15, 109], [136, 34, 106], [186, 54, 85],
  [227, 89, 51], [249, 140, 10], [249, 201, 50], [252, 255, 164],
];

function inferno(t: number): [number, number, number] {
  const x = Math.max(0, Math.min(1, t)) * (INFERNO.length - 1);
  const i = Math.min(INFERNO.length - 2, Math.floor(x));
  const f = x - i;
  const [a, b] = [INFERNO[i], INFERNO[i + 1]];
  return [a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f, a[2] + (b[2] - a[2]) * f];
}

export interface FeatureMapView {
  /** Paints every map, scaled per layer (null: blank). */
  show(maps: readonly { data: Float32Array; shape: readonly number[] }[] | null): void;
  /** Paints the first layer's filters [C, 1, k, k] (shown in the students' view). */
  showFilters(filters: { data: Float32Array; shape: readonly number[] }): void;
}

/** A canvas of w×h pixels in `parent`. */
function pixelCanvas(parent: Element, w: number, h: number, title: string): HTMLCanvasElement {
  const canvas = document.createElement('canvas');
  canvas.width = w;
  canvas.height = h;
  canvas.title = title;
  parent.append(canvas);
  return canvas;
}

function paint(canvas: HTMLCanvasElement, colour: (i: number) => readonly number[]): void {
  const ctx = canvas.getContext('2d')!;
  const pixels = ctx.createImageData(canvas.width, canvas.height);
  for (let i = 0; i < canvas.width * canvas.height; i++) pixels.data.set([...colour(i), 255], i * 4);
  ctx.putImageData(pixels, 0, 0);
}

/** Negative weights blue, positive red, zero white. */
function diverging(t: number): [number, number, number] {
  const a = Math.min(1, Math.abs(t));
  return t < 0 ? [255 - 196 * a, 255 - 150 * a, 255 - 20 * a] : [255 - 20 * a, 255 - 190 * a, 255 - 196 * a];
}

/** One canvas per channel of each feature layer, and the first layer's filters. */
export function featureMaps(container: HTMLElement, layers: readonly FeatureLayer[], shapes: readonly (readonly number[])[]): FeatureMapView {
  let filterGrid: Element | null = null;
  const canvases = layers.map((layer, l) => {
    const [c, h, w] = shapes[l];
    const section = document.createElement('div');
    section.className = 'map-layer';
    section.dataset.layer = layer.layer;
    section.innerHTML =
      `<h3>${layer.title} <span>· ${c} maps of ${h}×${w} (layer ${layer.layer})</span></h3>` +
      (l === 0 ? `<p class="filters-title">made by these ${c} learned 5×5 filters (red positive, blue negative):</p><div class="map-grid filters"></div>` : '') +
      `<div class="map-grid maps-of-layer"></div>`;
    container.append(section);
    if (l === 0) filterGrid = section.querySelector('.filters');
    const grid = section.querySelector('.maps-of-layer')!;
    return Array.from({ length: c }, (_, k) => pixelCanvas(grid, w, h, `map ${k + 1} of ${c}`));
  });
  let filterCanvases: HTMLCanvasElement[] = [];
  return {
    show(maps) {
      canvases.forEach((list, l) => {
        const map = maps?.[l];
        // One scale for the whole layer, so strong and weak maps compare at a glance; the
        // square root lifts weak activations out of the dark end.
        const max = map ? Math.max(1e-6, ...map.data) : 1;
        list.forEach((canvas, k) => {
          const size = canvas.width * canvas.height;
          paint(canvas, (i) => inferno(map ? Math.sqrt(map.data[k * size + i] / max) : 0));
        });
      });
    },
    showFilters({ data, shape }) {
      const [count, , kh, kw] = shape;
      if (filterCanvases.length !== count) {
        filterGrid!.replaceChildren();
        filterCanvases = Array.from({ length: count }, (_, k) => pixelCanvas(filterGrid!, kw, kh, `filter ${k + 1} of ${count}`));
      }
      const max = Math.max(1e-6, ...data.map(Math.abs));
      filterCanvases.forEach((canvas, k) => paint(canvas, (i) => diverging(data[k * kh * kw + i] / max)));
    },
  };
}

/** The model's summary() as a table; rows of the feature layers are marked. */
export function summaryTable(container: HTMLElement, summary: ModelSummary, shown: readonly string[]): void {
  const n = (v: number) => v.toLocaleString('en-US');
  const rows = summary.layers
    .map(
      (l) =>
        `<tr class="${shown.includes(l.name) ? 'shown' : ''}"><td>${l.name}</td><td>${l.type}</td><td>${l.outputShape.join('×')}</td>` +
        `<td class="num">${n(l.params)}</td><td class="num">${n(l.macs)}</td></tr>`,
    )
    .join('');
  container.innerHTML =
    `<table><thead><tr><th>Layer</th><th>Type</th><th>Output</th><th class="num">Params</th><th class="num">MACs</th></tr></thead>` +
    `<tbody>${rows}</tbody><tfoot><tr><td colspan="3">Total</td><td class="num">${n(summary.totalParams)}</td><td class="num">${n(summary.totalMacs)}</td></tr></tfoot></table>` +
    `<p class="note"><code>model.summary()</code>: output shapes for one image, trainable parameters, and multiply-accumulates per image. The highlighted layers are the ones drawn beside.</p>`;
}

export interface PlotPoint {
  readonly step: number;
  readonly loss: number;
  readonly accuracy: number;
}

/** Loss (left axis, from 0 to its largest value) and accuracy (right axis, 0 … 100%) against steps. */
export function drawPlot(canvas: HTMLCanvasElement, points: readonly PlotPoint[], steps: number): void {
  const dpr = Math.min(2, window.devicePixelRatio || 1);
  const { width: cssW, height: cssH } = canvas.getBoundingClientRect();
  canvas.width = Math.round(cssW * dpr);
  canvas.height = Math.round(cssH * dpr);
  const ctx = canvas.getContext('2d')!;
  ctx.scale(dpr, dpr);
  const pad = { left: 40, right: 44, top: 10, bottom: 24 };
  const w = cssW - pad.left - pad.right;
  const h = cssH - pad.top - pad.bottom;
  const maxLoss = Math.max(0.5, ...points.map((p) => p.loss));
  const x = (step: number) => pad.left + (w * step) / Math.max(1, steps);
  const yLoss = (v: number) => pad.top + h * (1 - v / maxLoss);
  const yAcc = (v: number) => pad.top + h * (1 - v);

  ctx.font = '11px system-ui, sans-serif';
  ctx.strokeStyle = '#e4e7ef';
  ctx.fillStyle = '#667085';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = pad.top + (h * i) / 4;
    ctx.beginPath();
    ctx.moveTo(pad.left, y);
    ctx.lineTo(pad.left + w, y);
    ctx.stroke();
    ctx.textAlign = 'right';
    ctx.fillText((maxLoss * (1 - i / 4)).toFixed(2), pad.left - 6, y + 4);
    ctx.textAlign = 'left';
    ctx.fillText(`${100 - i * 25}%`, pad.left + w + 6, y + 4);
  }
  ctx.textAlign = 'center';
  ctx.fillText('0', x(0), cssH - 6);
  ctx.fillText(`${steps.toLocaleString('en-US')} steps`, x(steps) - 20, cssH - 6);

  const line = (color: string, y: (p: PlotPoint) => number) => {
    if (points.length === 0) return;
    ctx.strokeStyle = color;
    ctx.lineWidth = 2;
    ctx.beginPath();
    points.forEach((p, i) => (i === 0 ? ctx.moveTo(x(p.step), y(p)) : ctx.lineTo(x(p.step), y(p))));
    ctx.stroke();
  };
  if (points.length === 0) {
    ctx.fillStyle = '#98a2b3';
    ctx.font = '13px system-ui, sans-serif';
    ctx.fillText('Press Train: the loss and the accuracy appear here, step by step.', pad.left + w / 2, pad.top + h / 2);
  }
  line('#4f46e5', (p) => yAcc(p.accuracy));
  line('#ef4444', (p) => yLoss(p.loss));
}
