// backend.fromImage: images (ImageData, ImageBitmap, <img>, canvases, VideoFrame, <video>) to an
// NCHW float32 tensor, resized and normalised as torchvision's Resize + ToTensor + Normalize do.
// Here: the options and sources checked, pixels read on the CPU (a canvas, or ImageData as is),
// and the CPU reference of the conversion. The WebGPU backend converts on the GPU instead
// (webgpu/imageGpu.ts, shaders/image/from_image.wgsl), with the same arithmetic.
import { NNError, ShapeError, UnsupportedError } from '../errors.js';
import type { Shape } from '../shape.js';

/** Pixels in memory, as `ImageData` (also a plain `{ data, width, height }`: Node has no ImageData). */
export interface ImageDataLike {
  readonly data: Uint8ClampedArray | Uint8Array;
  readonly width: number;
  readonly height: number;
}

/**
 * What fromImage reads: ImageData, ImageBitmap, OffscreenCanvas, VideoFrame, and an <img>,
 * <canvas> or <video> element (named by shape here, so that the types also compile with
 * TypeScript's WebWorker library, which has no HTML elements).
 */
export type ImageSource = ImageDataLike | ImageBitmap | OffscreenCanvas | VideoFrame | ImageElementLike | CanvasElementLike | VideoElementLike;

/** An HTMLImageElement (loaded: `await img.decode()`). */
export interface ImageElementLike {
  readonly naturalWidth: number;
  readonly naturalHeight: number;
  readonly complete: boolean;
}

/** An HTMLCanvasElement. */
export interface CanvasElementLike {
  readonly width: number;
  readonly height: number;
  toDataURL(type?: string): string;
}

/** An HTMLVideoElement (with a frame: readyState ≥ 2). */
export interface VideoElementLike {
  readonly videoWidth: number;
  readonly videoHeight: number;
  readonly readyState: number;
}

/** Options of `backend.fromImage`. */
export interface FromImageOptions {
  /** 3 (RGB, default), 4 (RGBA) or 1 (grayscale: ITU-R 601 luma, 0.299 R + 0.587 G + 0.114 B). */
  channels?: 1 | 3 | 4;
  /** Resize (bilinear, half-pixel centres as PyTorch's align_corners=False) to `size` × `size` or [height, width]; default: the image's size. */
  size?: number | readonly [number, number];
  /** Multiplies the pixel values 0..255 first: 1/255 (default) gives 0..1 as torchvision's ToTensor; 1 keeps 0..255 as tf.browser.fromPixels. */
  scale?: number;
  /** Subtracted per channel after scaling (a number for all channels); default 0. ImageNet: [0.485, 0.456, 0.406]. */
  mean?: number | readonly number[];
  /** Divides per channel after the mean; default 1. ImageNet: [0.229, 0.224, 0.225]. */
  std?: number | readonly number[];
}

/** A checked fromImage call: the sources with their sizes, and the conversion. */
export interface ImageRequest {
  readonly sources: readonly { readonly source: ImageSource; readonly width: number; readonly height: number }[];
  readonly channels: 1 | 3 | 4;
  readonly width: number;
  readonly height: number;
  readonly scale: number;
  readonly mean: readonly number[];
  readonly invStd: readonly number[];
  /** [N, C, H, W]. */
  readonly shape: Shape;
}

const WHAT = 'fromImage';

/** Checks the sources and options (sizes known, nothing read yet). */
export function imageRequest(input: ImageSource | readonly ImageSource[], options: FromImageOptions): ImageRequest {
  if (typeof options !== 'object' || options === null) throw new ShapeError(`${WHAT}: options must be an object, got ${String(options)}`);
  const list = Array.isArray(input) ? (input as readonly ImageSource[]) : [input as ImageSource];
  if (list.length === 0) throw new ShapeError(`${WHAT}: no images given (an empty array)`);
  const sources = list.map((source, i) => ({ source, ...imageSize(source, list.length > 1 ? `${WHAT}: image ${i}` : WHAT) }));
  const { channels = 3, scale = 1 / 255 } = options;
  if (channels !== 1 && channels !== 3 && channels !== 4) throw new ShapeError(`${WHAT}: channels must be 1, 3 or 4, got ${String(channels)}`);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new ShapeError(`${WHAT}: scale must be a finite number, got ${String(scale)}`);
  let width: number;
  let height: number;
  if (options.size === undefined) {
    ({ width, height } = sources[0]);
    const other = sources.find((s) => s.width !== width || s.height !== height);
    if (other) {
      throw new ShapeError(`${WHAT}: the images differ in size (${width}×${height} and ${other.width}×${other.height}); give { size } to resize them to one`);
    }
  } else {
    const size = typeof options.size === 'number' ? [options.size, options.size] : options.size;
    if (!Array.isArray(size) || size.length !== 2 || !size.every((d) => Number.isInteger(d) && d > 0)) {
      throw new ShapeError(`${WHAT}: size must be a positive integer or [height, width], got ${JSON.stringify(options.size)}`);
    }
    [height, width] = size as [number, number];
  }
  const mean = perChannel(options.mean, 0, 'mean', channels);
  const std = perChannel(options.std, 1, 'std', channels);
  const zero = std.findIndex((s) => s === 0);
  if (zero >= 0) throw new ShapeError(`${WHAT}: std of channel ${zero} is 0`);
  return { sources, channels, width, height, scale, mean, invStd: std.map((s) => 1 / s), shape: [list.length, channels, height, width] };
}

function perChannel(value: number | readonly number[] | undefined, fallback: number, name: string, channels: number): number[] {
  const values = value === undefined ? [fallback] : typeof value === 'number' ? [value] : Array.isArray(value) ? [...value] : null;
  if (!values || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
    throw new ShapeError(`${WHAT}: ${name} must be a finite number or one per channel, got ${JSON.stringify(value)}`);
  }
  if (values.length === 1) return Array(channels).fill(values[0]);
  if (values.length !== channels) throw new ShapeError(`${WHAT}: ${name} has ${values.length} values for ${channels} channels`);
  return values;
}

/** Waits for <img> elements still loading; one that fails to load is a typed error. */
export async function decodeImages(input: ImageSource | readonly ImageSource[]): Promise<void> {
  const list = Array.isArray(input) ? (input as readonly ImageSource[]) : [input as ImageSource];
  for (const source of list) {
    const img = source as Partial<ImageElementLike> & { decode?: () => Promise<void> };
    if (typeof img?.naturalWidth !== 'number' || img.complete || typeof img.decode !== 'function') continue;
    try {
      await img.decode();
    } catch (e) {
      throw new NNError(`${WHAT}: the <img> failed to load (${e instanceof Error ? e.message : String(e)})`);
    }
  }
}

/** Whether `source` holds its pixels in memory (ImageData or alike). */
export function isImageData(source: ImageSource): source is ImageDataLike {
  const data = (source as ImageDataLike).data;
  return data instanceof Uint8ClampedArray || data instanceof Uint8Array;
}

/** The pixel size of a source, checked to be readable now. */
function imageSize(source: ImageSource, what: string): { width: number; height: number } {
  if (typeof source !== 'object' || source === null) throw new UnsupportedError(`${what}: expected an image (ImageData, ImageBitmap, <img>, canvas, VideoFrame, <video>), got ${source === null ? 'null' : typeof source}`);
  const s = source as unknown as Partial<Record<string, unknown>>;
  let size: [unknown, unknown];
  if (isImageData(source)) {
    size = [source.width, source.height];
    if (Number.isInteger(source.width) && Number.isInteger(source.height) && source.data.length !== source.width * source.height * 4) {
      throw new ShapeError(`${what}: ImageData of ${source.width}×${source.height} needs ${source.width * source.height * 4} bytes (RGBA), its data has ${source.data.length}`);
    }
  } else if (typeof s.displayWidth === 'number') {
    size = [s.displayWidth, s.displayHeight]; // VideoFrame
  } else if (typeof s.videoWidth === 'number') {
    if ((s.readyState as number) < 2) throw new NNError(`${what}: the <video> has no frame yet (readyState ${String(s.readyState)}); wait for 'loadeddata'`);
    size = [s.videoWidth, s.videoHeight];
  } else if (typeof s.naturalWidth === 'number') {
    if (!s.complete || s.naturalWidth === 0) throw new NNError(`${what}: the <img> has not loaded (or failed to); await img.decode() first`);
    size = [s.naturalWidth, s.naturalHeight];
  } else if (typeof s.width === 'number' && (typeof ImageBitmap !== 'undefined' || typeof OffscreenCanvas !== 'undefined' || typeof document !== 'undefined')) {
    size = [s.width, s.height]; // ImageBitmap, canvases
  } else {
    const name = (source as object).constructor?.name ?? 'object';
    throw new UnsupportedError(`${what}: expected an image (ImageData or { data, width, height }, ImageBitmap, <img>, canvas, VideoFrame, <video>), got ${name}`);
  }
  const [width, height] = size;
  if (!Number.isInteger(width) || !Number.isInteger(height) || (width as number) <= 0 || (height as number) <= 0) {
    throw new ShapeError(`${what}: the image is ${String(width)}×${String(height)} pixels (a closed ImageBitmap or VideoFrame, or an empty canvas?)`);
  }
  return { width: width as number, height: height as number };
}

/** Runs `read`, turning the browser's refusal (a tainted cross-origin image, a closed frame) into a typed error. */
export function readingImage<T>(read: () => T): T {
  try {
    return read();
  } catch (e) {
    if (e instanceof NNError) throw e;
    const name = e instanceof Error ? e.name : 'Error';
    const hint = name === 'SecurityError' ? ' (a cross-origin image without CORS?)' : '';
    throw new UnsupportedError(`${WHAT}: the browser refused to read the image${hint}: ${name}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** The RGBA bytes of a source: ImageData as is, anything else drawn on a 2D canvas. */
export function readPixels(source: ImageSource, width: number, height: number): Uint8ClampedArray | Uint8Array {
  if (isImageData(source)) return source.data;
  return readingImage(() => {
    let context: OffscreenCanvasRenderingContext2D | CanvasRenderingContext2D | null;
    if (typeof OffscreenCanvas !== 'undefined') {
      context = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
    } else if (typeof document !== 'undefined') {
      const canvas = Object.assign(document.createElement('canvas'), { width, height });
      context = canvas.getContext('2d', { willReadFrequently: true });
    } else {
      throw new UnsupportedError(`${WHAT}: reading this image needs a canvas (a browser or worker); here give ImageData or { data, width, height }`);
    }
    if (!context) throw new UnsupportedError(`${WHAT}: no 2D canvas context to read the image with`);
    context.drawImage(source as CanvasImageSource, 0, 0, width, height);
    return context.getImageData(0, 0, width, height).data;
  });
}

/**
 * The CPU reference: every source read, resized and normalised into [N, C, H, W]. Bilinear with
 * half-pixel centres, coordinates below 0 clamped to 0; grayscale is the luma of RGB.
 */
export function imageToFloat32(request: ImageRequest): Float32Array {
  const { channels, width: W, height: H, scale, mean, invStd } = request;
  const out = new Float32Array(request.sources.length * channels * H * W);
  const plane = H * W;
  const px = [0, 0, 0, 0];
  request.sources.forEach(({ source, width: w, height: h }, n) => {
    const rgba = readPixels(source, w, h);
    const at = (x: number, y: number, c: number) => rgba[(y * w + x) * 4 + c];
    for (let oy = 0; oy < H; oy++) {
      const sy = Math.max(((oy + 0.5) * h) / H - 0.5, 0);
      const y0 = Math.min(Math.floor(sy), h - 1);
      const y1 = Math.min(y0 + 1, h - 1);
      const ty = sy - y0;
      for (let ox = 0; ox < W; ox++) {
        const sx = Math.max(((ox + 0.5) * w) / W - 0.5, 0);
        const x0 = Math.min(Math.floor(sx), w - 1);
        const x1 = Math.min(x0 + 1, w - 1);
        const tx = sx - x0;
        for (let c = 0; c < 4; c++) {
          const top = at(x0, y0, c) * (1 - tx) + at(x1, y0, c) * tx;
          const bottom = at(x0, y1, c) * (1 - tx) + at(x1, y1, c) * tx;
          px[c] = top * (1 - ty) + bottom * ty;
        }
        const base = n * channels * plane + oy * W + ox;
        if (channels === 1) {
          out[base] = (luma(px) * scale - mean[0]) * invStd[0];
        } else {
          for (let c = 0; c < channels; c++) out[base + c * plane] = (px[c] * scale - mean[c]) * invStd[c];
        }
      }
    }
  });
  return out;
}

function luma(rgba: readonly number[]): number {
  return 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2];
}
