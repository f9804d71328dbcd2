// The CPU backend's dense kernels in WebAssembly SIMD (wasm/*.ts, AssemblyScript, compiled into
// kernels.generated.ts). They implement ops' CpuKernels contract (ops/op.ts) with the same
// arguments as the TypeScript references: each call copies its operands into the module's
// memory, runs there and copies the result back — but for the arrays a compiled graph keeps in
// that memory (resident.ts: its weights, and its slots, which are Float32Array views of the
// memory), read and written where they already are. The copies are O(size) against the
// product's O(m·n·k), and they keep the eager backend's tensors ordinary Float32Arrays.
import { activateInPlace, type Activation, type ActivationKernels } from '../../../ops/elementwise/activation.js';
import { checkGemmExtents } from '../../../ops/gemm/gemm.js';
import { referenceKernels } from '../../../ops/cpuKernels.js';
import type { CpuArg, CpuKernels, GemmEpilogue, GemmKernel } from '../../../ops/op.js';
import type { AxisTaps, PoolKernels } from '../../../ops/pool/pool2d.js';
import type { Window2d } from '../../../ops/window.js';
import { GATE_COUNT, type RecurrentKernels, type SequenceRows, type StepInputs, type StepWeights } from '../../../ops/recurrent/recurrentMath.js';
import { KERNELS_WASM_BASE64 } from './kernels.generated.js';
import { runImages, type ChunkKernels, type ConvJob } from './poolProtocol.js';
import { align, MemoryGrew, ResidentStore, type ResidentKernels } from './resident.js';

/** The module's exports: gemm, convDirect and im2col as the thread pool's chunks call them (poolProtocol.ts), and the rest. */
export interface KernelExports extends ChunkKernels {
  readonly memory: WebAssembly.Memory;
  heapBase(): number;
  gemmScratchBytes(): number;
  recurrentPackedBytes(mode: number, H: number): number;
  recurrentPack(mode: number, H: number, wHh: number, bHh: number, dst: number): void;
  recurrentStep(
    mode: number, rows: number, H: number, packed: number, wPh: number, clip: number,
    xp: number, xpStride: number, hIn: number, hOut: number, c: number,
  ): void;
  recurrentSequence(
    mode: number, rows: number, H: number, packed: number, wPh: number, clip: number,
    xp: number, xpStride: number, h0: number, out: number, c: number, T: number, reverse: number,
  ): void;
  activate(x: number, n: number, act: number, alpha: number, beta: number): void;
  pool2d(
    x: number, planes: number, H: number, W: number, OH: number, OW: number, sh: number, sw: number, dh: number, dw: number,
    pt: number, pl: number, max: number, countIncludePad: number, taps: number, y: number,
  ): void;
  convDirectScratchBytes(C: number, Hp: number, Wp: number, O: number, K: number, OH: number): number;
}

/** The wasm module's bytes. */
export function kernelsWasmBytes(base64: string = KERNELS_WASM_BASE64): Uint8Array<ArrayBuffer> {
  const text = atob(base64);
  const bytes = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i);
  return bytes;
}

/**
 * Compiles and instantiates the kernels; rejects with a sentence saying why they cannot run here
 * (no WebAssembly, no SIMD, a Content-Security-Policy that forbids compiling wasm, …).
 */
export async function instantiateWasmKernels(wasm: typeof WebAssembly | undefined = globalThis.WebAssembly): Promise<WasmKernels> {
  if (typeof wasm !== 'object' || wasm === null) throw new Error('WebAssembly is not available in this environment');
  const bytes = kernelsWasmBytes();
  if (!wasm.validate(bytes)) throw new Error('this WebAssembly engine does not support 128-bit SIMD');
  let instance: WebAssembly.Instance;
  try {
    ({ instance } = await wasm.instantiate(bytes, {}));
  } catch (e) {
    throw new Error(`compiling WebAssembly failed (a Content-Security-Policy without 'wasm-unsafe-eval' forbids it): ${(e as Error).message}`);
  }
  return new WasmKernels(instance.exports as unknown as KernelExports);
}

// Epilogue activation codes of wasm/gemm.ts (sigmoid and tanh: wasm/activation.ts's SIMD forms).
const ACT_CODE = { relu: 1, leakyRelu: 2, clip: 3, sigmoid: 4, tanh: 5 } as const;

/** Bytes one call may place in wasm memory; past this, the call runs the TypeScript kernel instead. */
const MAX_CALL_BYTES = 2 ** 31 - 2 ** 26;

/**
 * The direct convolution's limits (wasm/conv.ts): the padded image of one sample at most this
 * many bytes (it is read once per tap of every tile: it must stay in cache)…
 */
const DIRECT_IMAGE_BYTES = 64 * 1024;
/** …and at least this share of the padded width is output (the rest is computed and dropped). */
const DIRECT_MIN_USED = 0.6;

/** Patch bytes of one convolution GEMM: the B operand of the tile stays in L2. */
const PATCH_BYTES = 512 * 1024;
/**
 * …but at least this many pixels per GEMM: each GEMM packs all of the weights, which costs about
 * what 16–32 columns of the product do, so deep layers (K = 9·512 leaves room for 24 pixels in
 * PATCH_BYTES) would spend as long packing the weights as multiplying.
 */
const MIN_TILE_PIXELS = 256;

/** Threads that share the module's memory and split its GEMMs (threadPool.ts's GemmPool). */
export interface GemmThreads {
  /** The caller and the workers: each needs gemm scratch of its own, the caller's first. */
  readonly threads: number;
  /** wasm gemm's signature; `scratch` is the caller's, the workers' follow it. */
  readonly gemm: KernelExports['gemm'];
  /** A convolution over `images` images (`macs` multiply-adds), split by images where it pays; scratch: a slot per thread. */
  readonly conv: (job: ConvJob, images: number, macs: number) => void;
}

export class WasmKernels implements CpuKernels, RecurrentKernels, ActivationKernels, PoolKernels, ResidentKernels {
  readonly #x: KernelExports;
  readonly #gemm: KernelExports['gemm'];
  readonly #conv: GemmThreads['conv'];
  /** Threads that may run a convolution's images at once, each on a scratch slot of its own. */
  readonly #slots: number;
  readonly #scratch: number;
  readonly #resident: ResidentStore;
  #heap: Float32Array;
  /** resident.ts's growth rule: set by a compiled graph while it runs. */
  pinned = false;

  constructor(exports: KernelExports, threads: GemmThreads | null = null) {
    this.#x = exports;
    this.#gemm = threads ? threads.gemm : exports.gemm;
    this.#conv = threads ? threads.conv : (job, images) => runImages(exports, job, 0, images, 0);
    this.#slots = threads?.threads ?? 1;
    // Below heapBase: the module's static data; then gemm's packing scratch (one per thread); then
    // the resident copies (resident.ts); then each call's operands (the arena).
    this.#scratch = align(exports.heapBase());
    this.#resident = new ResidentStore(align(this.#scratch + exports.gemmScratchBytes() * (threads?.threads ?? 1)), (end) => this.#reserve(end));
    this.#heap = new Float32Array(exports.memory.buffer);
  }

  /** Bytes of wasm memory the kernels hold (grown by the largest call so far). */
  get memoryBytes(): number {
    return this.#x.memory.buffer.byteLength;
  }

  retain(data: Float32Array): void {
    this.#resident.retain(data);
  }

  changed(data: Float32Array): void {
    this.#resident.changed(data);
  }

  release(data: Float32Array): void {
    this.#resident.release(data);
  }

  allocate(bytes: number): number {
    return this.#resident.allocate(bytes);
  }

  free(address: number): void {
    this.#resident.free(address);
  }

  makeRoom(bytes: number): void {
    this.#resident.makeRoom(bytes);
  }

  /**
   * Runs the hot kernels once on small zero-filled operands in the arena, so that the engine has
   * compiled them and, having seen them loop, optimizes them in the background: a wasm call runs
   * to its end in the code it started in, so without this a first inference runs whole layers in
   * V8's baseline code (LeNet at batch 256 in Node: 85 → 15 ms for the first run, the layers 3–10×
   * slower each). Costs ~2 ms in Node.
   */
  warmUp(): void {
    const x = this.#x;
    const places = new Places(this.#arena);
    const a = places.place(4 * 64 * 64);
    const b = places.place(4 * 64 * 64);
    const c = places.place(4 * 64 * 64);
    const image = places.place(4 * 4 * 28 * 28);
    const out = places.place(4 * 4 * 6 * 28 * 28);
    const taps = places.place(4 * 6 * 14);
    const scratch = places.place(x.convDirectScratchBytes(1, 32, 32, 6, 25, 28));
    // An LSTM of 64 units over 32 steps: W_hh packed from zeros, projections [32, 256], h0 and c, the output [32, 64].
    const packed = places.place(x.recurrentPackedBytes(STEP_MODE.lstm, 64));
    const state = places.place(4 * (32 * 256 + 64));
    const hc = places.place(4 * 2 * 64);
    const sequence = places.place(4 * 32 * 64);
    if (!this.#reserve(places.end)) return;
    this.#heap.fill(0, this.#arena / 4, places.end / 4);
    // Pooling windows of 2 over 28 cells: rows and columns (lo 0, hi 2, padded 2) × 14.
    const t = new Int32Array(this.#heap.buffer, taps, 6 * 14);
    for (let i = 0; i < 14; i++) [t[i], t[14 + i], t[28 + i], t[42 + i], t[56 + i], t[70 + i]] = [0, 2, 2, 0, 2, 2];
    const { sigmoid, tanh } = ACT_CODE;
    x.gemm(0, 0, 64, 64, 64, a, 64, b, 64, c, 64, 0, a, 2, sigmoid, 0, 0, this.#scratch);
    x.gemm(0, 1, 6, 64, 64, a, 64, b, 64, c, 64, 1, 0, 0, 0, 0, 0, this.#scratch);
    x.convDirect(image, 4, 1, 28, 28, a, 6, 5, 5, 1, 1, 2, 2, 2, 2, a, sigmoid, 0, 0, out, scratch);
    x.im2col(image, 2, 28, 28, 3, 3, 1, 1, 1, 1, 1, 1, 28, 0, 28 * 28, out);
    x.pool2d(out, 16, 28, 28, 14, 14, 2, 2, 1, 1, 0, 0, 0, 0, taps, image);
    x.pool2d(out, 16, 28, 28, 14, 14, 2, 2, 1, 1, 0, 0, 1, 0, taps, image);
    x.activate(out, 4 * 6 * 28 * 28, tanh, 0, 0);
    x.recurrentPack(STEP_MODE.lstm, 64, out, 0, packed);
    x.recurrentSequence(STEP_MODE.lstm, 1, 64, packed, 0, Infinity, state, 256, hc, sequence, hc + 4 * 64, 32, 0);
  }

  get buffer(): ArrayBufferLike {
    return this.#x.memory.buffer;
  }

  /** `data`'s byte address where it is a view of the kernels' memory (a compiled graph's slot), else 0. */
  #at(data: Float32Array): number {
    return data.buffer === this.#heap.buffer ? data.byteOffset : 0;
  }

  /** Where this call's own operands start: past the resident copies. Read it after #copyOf, which may place one. */
  get #arena(): number {
    return this.#resident.end;
  }

  /** The address of `data` in the memory (a slot) or of a resident copy of it, or 0 where it is neither (the caller copies it). */
  #copyOf(data: Float32Array): number {
    return this.#at(data) || this.#resident.get(data, 'copy', 4 * data.length, (ptr) => {
      this.#heap.set(data, ptr / 4);
      return true;
    });
  }

  /** Grows the memory to hold `end` bytes; false when it cannot (the caller falls back). */
  #reserve(end: number): boolean {
    const memory = this.#x.memory;
    if (end > MAX_CALL_BYTES) return false;
    const missing = end - memory.buffer.byteLength;
    if (missing > 0) {
      try {
        memory.grow(Math.ceil(missing / 65536));
      } catch {
        return false;
      }
    }
    if (this.#heap.buffer !== memory.buffer) {
      // Grown, unless only the buffer object is new: V8 gives every shared memory a new one when any
      // shared memory grows (another backend's on threads), over the same bytes, views of which stay valid.
      const grew = this.#heap.buffer.byteLength !== memory.buffer.byteLength;
      this.#heap = new Float32Array(memory.buffer);
      if (grew && this.pinned) throw new MemoryGrew();
    }
    return true;
  }

  gemm: GemmKernel = (transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate = false, epilogue) => {
    if (m === 0 || n === 0) return;
    checkGemmExtents(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, epilogue);
    const aLength = k === 0 ? 0 : extent(transA ? k : m, transA ? m : k, lda);
    const bLength = k === 0 ? 0 : extent(transB ? n : k, transB ? k : n, ldb);
    const bias = epilogue?.bias ?? null;
    const biasLength = bias ? (epilogue!.biasPer === 'row' ? m : n) : 0;
    // Operands in the memory (a compiled graph's slots and weights) are used where they are; the others are copied.
    // (Addresses of views first: placing a resident copy may grow the memory, which detaches them.)
    const cBase = this.#at(c);
    const ra = this.#copyOf(a);
    const rb = this.#copyOf(b);
    const rBias = bias ? this.#copyOf(bias) : 0;
    const arena = new Places(this.#arena);
    const pa = ra ? ra + 4 * aOffset : arena.place(4 * aLength);
    const pb = rb ? rb + 4 * bOffset : arena.place(4 * bLength);
    // C is written in place unless it overlaps an operand (the product reads A, B and the bias while it
    // writes C; operands copied into the arena lie past every slot).
    const cAt = cBase && cBase + 4 * cOffset;
    const inPlace = writable(cAt, 4 * extent(m, n, ldc), [pa, 4 * aLength], [pb, 4 * bLength], [rBias, 4 * biasLength]);
    const pc = inPlace ? cAt : arena.place(4 * m * n);
    const pBias = rBias || arena.place(4 * biasLength);
    if (!this.#reserve(arena.end)) {
      referenceKernels.gemm(transA, transB, m, n, k, a, aOffset, lda, b, bOffset, ldb, c, cOffset, ldc, accumulate, epilogue);
      return;
    }
    const heap = this.#heap;
    if (!ra) heap.set(a.subarray(aOffset, aOffset + aLength), pa / 4);
    if (!rb) heap.set(b.subarray(bOffset, bOffset + bLength), pb / 4);
    if (accumulate && !inPlace) for (let i = 0; i < m; i++) heap.set(c.subarray(cOffset + i * ldc, cOffset + i * ldc + n), pc / 4 + i * n);
    if (bias && !rBias) heap.set(bias.subarray(0, biasLength), pBias / 4);
    const [act, alpha, beta] = activationArgs(epilogue?.activation);
    this.#gemm(+transA, +transB, m, n, k, pa, lda, pb, ldb, pc, inPlace ? ldc : n, +accumulate, pBias, biasCode(epilogue), act, alpha, beta, this.#scratch);
    if (!inPlace) copyOut(heap, pc, m, n, c, cOffset, ldc);
  };

  activate = (x: Float32Array, y: Float32Array, a: Activation): void => {
    // Activated in place: in y where it is in the memory (x copied there first), else in the arena.
    const py = this.#at(y);
    const at = py || this.#arena;
    if (!this.#reserve(at + 4 * x.length)) {
      y.set(x);
      activateInPlace(y, a);
      return;
    }
    const px = this.#at(x);
    if (px) this.#heap.copyWithin(at / 4, px / 4, px / 4 + x.length);
    else this.#heap.set(x, at / 4);
    this.#x.activate(at, x.length, ...activationArgs(a));
    if (!py) y.set(this.#heap.subarray(at / 4, at / 4 + x.length));
  };

  pool2d = (x: CpuArg, y: CpuArg, win: Window2d, rows: AxisTaps, cols: AxisTaps, mode: 'max' | 'avg', countIncludePad: boolean): boolean => {
    const [N, C, H, W] = x.shape;
    const [OH, OW] = win.output;
    // x and y where they are in the memory (a compiled graph's slots), else copied through the arena.
    const xAt = this.#at(x.data);
    const yAt = this.#at(y.data);
    const yInPlace = writable(yAt, 4 * y.data.length, [xAt, 4 * x.data.length]);
    const arena = new Places(this.#arena);
    const px = xAt || arena.place(4 * x.data.length);
    const pTaps = arena.place(4 * 3 * (OH + OW));
    const py = yInPlace ? yAt : arena.place(4 * y.data.length);
    if (!this.#reserve(arena.end)) return false;
    const heap = this.#heap;
    if (!xAt) heap.set(x.data, px / 4);
    const taps = new Int32Array(heap.buffer, pTaps, 3 * (OH + OW));
    taps.set(rows.lo);
    taps.set(rows.hi, OH);
    taps.set(rows.padded, 2 * OH);
    taps.set(cols.lo, 3 * OH);
    taps.set(cols.hi, 3 * OH + OW);
    taps.set(cols.padded, 3 * OH + 2 * OW);
    const [sh, sw] = win.stride;
    const [dh, dw] = win.dilation;
    this.#x.pool2d(px, N * C, H, W, OH, OW, sh, sw, dh, dw, win.pads[0], win.pads[1], +(mode === 'max'), +countIncludePad, pTaps, py);
    if (!yInPlace) y.data.set(heap.subarray(py / 4, py / 4 + y.data.length));
    return true;
  };

  conv2d = (x: CpuArg, w: CpuArg, b: CpuArg | null, y: CpuArg, win: Window2d, groups: number, activation?: Activation): void => {
    const [N, C, H, W] = x.shape;
    const [O, Cg, kh, kw] = w.shape;
    const [OH, OW] = win.output;
    const pixels = OH * OW;
    const K = Cg * kh * kw;
    // A 1×1 kernel with stride 1 and no padding reads the image as it is: no patches.
    const pointwise = kh === 1 && kw === 1 && win.stride.every((s) => s === 1) && win.pads.every((p) => p === 0);
    const tile = pointwise ? pixels : Math.min(pixels, Math.max(MIN_TILE_PIXELS, Math.floor(PATCH_BYTES / 4 / K / 8) * 8));
    // x, w, b and y used where they are in the memory (slots, resident weights), else copied through the arena.
    const yAt = this.#at(y.data);
    const rx = this.#copyOf(x.data);
    const rw = this.#copyOf(w.data);
    const rBias = b ? this.#copyOf(b.data) : 0;
    const yInPlace = writable(yAt, 4 * y.data.length, [rx, 4 * x.data.length], [rw, 4 * w.data.length], [rBias, 4 * O]);
    if (groups === 1 && !pointwise && this.#convDirect(x, w, b, y, win, activation, rx, rw, rBias, yInPlace ? yAt : 0)) return;
    const arena = new Places(this.#arena);
    const px = rx || arena.place(4 * x.data.length);
    const pw = rw || arena.place(4 * w.data.length);
    const pBias = rBias || arena.place(4 * O);
    const py = yInPlace ? yAt : arena.place(4 * y.data.length);
    const patchBytes = pointwise ? 0 : align(4 * K * tile);
    const pPatches = arena.place(this.#slots * patchBytes);
    if (N * O * pixels === 0 || !this.#reserve(arena.end)) {
      referenceKernels.conv2d(x, w, b, y, win, groups, activation);
      return;
    }
    const heap = this.#heap;
    if (!rx) heap.set(x.data, px / 4);
    if (!rw) heap.set(w.data, pw / 4);
    if (b && !rBias) heap.set(b.data, pBias / 4);
    const [act, alpha, beta] = activationArgs(activation);
    const [sh, sw] = win.stride;
    const [dh, dw] = win.dilation;
    const [pt, pl, pb, pr] = win.pads;
    const job: ConvJob = {
      direct: 0, pointwise: +pointwise, x: px, C, H, W, w: pw, O, kh, kw, groups, sh, sw, dh, dw, pt, pl, pb, pr,
      bias: b ? pBias : 0, act, alpha, beta, y: py, OH, OW, tile, scratch: pPatches, scratchBytes: patchBytes,
      gemmScratch: this.#scratch, gemmScratchBytes: this.#x.gemmScratchBytes(),
    };
    this.#conv(job, N, N * O * pixels * K);
    if (!yInPlace) y.data.set(heap.subarray(py / 4, py / 4 + y.data.length));
  };

  /**
   * conv2d by wasm/conv.ts's direct kernel where it beats im2col: stride 1, a small image (its
   * padded copy stays in L1/L2) and most of the padded width used. False where it does not apply.
   * rx, rw, rBias, ry: the operands' addresses where they are in the memory already, else 0.
   */
  #convDirect(x: CpuArg, w: CpuArg, b: CpuArg | null, y: CpuArg, win: Window2d, activation: Activation | undefined, rx: number, rw: number, rBias: number, ry: number): boolean {
    const [N, C, H, W] = x.shape;
    const O = w.shape[0];
    const [kh, kw] = [w.shape[2], w.shape[3]];
    const [pt, pl, pb, pr] = win.pads;
    const [OH, OW] = win.output;
    const Hp = H + pt + pb;
    const Wp = W + pl + pr;
    if (win.stride[0] !== 1 || win.stride[1] !== 1 || 4 * C * Hp * Wp > DIRECT_IMAGE_BYTES || OW < DIRECT_MIN_USED * Wp) return false;
    const x_ = this.#x;
    const arena = new Places(this.#arena);
    const px = rx || arena.place(4 * x.data.length);
    const pw = rw || arena.place(4 * w.data.length);
    const pBias = rBias || arena.place(4 * O);
    const py = ry || arena.place(4 * y.data.length);
    const scratchBytes = align(x_.convDirectScratchBytes(C, Hp, Wp, O, C * kh * kw, OH));
    const pScratch = arena.place(this.#slots * scratchBytes);
    if (!this.#reserve(arena.end)) return false;
    const heap = this.#heap;
    if (!rx) heap.set(x.data, px / 4);
    if (!rw) heap.set(w.data, pw / 4);
    if (b && !rBias) heap.set(b.data, pBias / 4);
    const [act, alpha, beta] = activationArgs(activation);
    const job: ConvJob = {
      direct: 1, pointwise: 0, x: px, C, H, W, w: pw, O, kh, kw, groups: 1, sh: 1, sw: 1, dh: win.dilation[0], dw: win.dilation[1], pt, pl, pb, pr,
      bias: b ? pBias : 0, act, alpha, beta, y: py, OH, OW, tile: 0, scratch: pScratch, scratchBytes, gemmScratch: 0, gemmScratchBytes: 0,
    };
    this.#conv(job, N, N * O * OH * OW * C * kh * kw);
    if (!ry) y.data.set(heap.subarray(py / 4, py / 4 + y.data.length));
    return true;
  }

  // One layer-direction: the input projection (one GEMM into wasm memory), then the steps, each
  // writing its h into a [T, N, Hp] block copied out at the end: the whole sequence in one call
  // (all batch rows at once), or one call per row and step when sequence lengths differ per row.
  // W_hh is packed for the step by wasm: once while it is retained (a compiled graph's), else per
  // call, as are the other weights copied.
  recurrentDirection = (
    w: StepWeights, input: StepInputs, h: Float32Array, c: Float32Array, stateOffset: number,
    dst: SequenceRows, dstColumn: number, T: number, N: number, reverse: boolean, lengths: readonly number[] | null,
  ): boolean => {
    // ONNX's GRU variant (W_hn applied to r ⊙ h) stays in TypeScript.
    if (w.mode === 'gru' && !w.linearBeforeReset) return false;
    const x = this.#x;
    const H = w.hiddenSize;
    const Hp = Math.ceil(H / 8) * 8;
    const GH = GATE_COUNT[w.mode] * H;
    const { x: src, wIh, bIh } = input;
    const I = src.width;
    const mode = w.mode === 'lstm' ? STEP_MODE.lstm : w.mode === 'gru' ? STEP_MODE.gru : w.nonlinearity === 'relu' ? STEP_MODE.rnnRelu : STEP_MODE.rnnTanh;
    const packedBytes = x.recurrentPackedBytes(mode, H);
    // Packs into `at` from copies of W_hh and b_hh placed at `rawAt` (in the arena: only the packing reads them).
    const pack = (at: number, rawAt: number) => {
      const raw = new Places(rawAt);
      const pw = raw.place(4 * GH * H);
      const pb = raw.place(4 * GH);
      if (!this.#reserve(raw.end)) return false;
      this.#heap.set(w.wHh.subarray(0, GH * H), pw / 4);
      if (w.bHh) this.#heap.set(w.bHh.subarray(0, GH), pb / 4);
      x.recurrentPack(mode, H, pw, w.bHh ? pb : 0, at);
      return true;
    };
    const rPacked = this.#resident.get(w.wHh, `packed ${mode} ${H}`, packedBytes, (at) => pack(at, this.#arena), w.bHh);
    const rIh = this.#copyOf(wIh);
    const rbIh = bIh ? this.#copyOf(bIh) : 0;
    const rPeep = w.wPh ? this.#copyOf(w.wPh) : 0;
    // The step reads up to 7 floats past the projection's and the peepholes' last gate: 64 bytes of room.
    const arena = new Places(this.#arena);
    const pPacked = rPacked || arena.place(packedBytes);
    const pIh = rIh || arena.place(4 * GH * I);
    const pbIh = rbIh || arena.place(4 * GH);
    const pPeep = rPeep || arena.place(4 * 3 * H + 64);
    const px = arena.place(4 * src.data.length);
    const pXp = arena.place(4 * T * N * GH + 64);
    const pH0 = arena.place(4 * N * Hp);
    const pc = arena.place(4 * N * Hp);
    const pOut = arena.place(4 * T * N * Hp);
    if (!this.#reserve(arena.end) || (!rPacked && !pack(pPacked, arena.end))) return false;
    const heap = this.#heap;
    if (!rIh) heap.set(wIh.subarray(0, GH * I), pIh / 4);
    if (bIh && !rbIh) heap.set(bIh.subarray(0, GH), pbIh / 4);
    if (w.wPh && !rPeep) heap.set(w.wPh.subarray(0, 3 * H), pPeep / 4);
    heap.set(src.data, px / 4);
    // xp[t, b] = x[t, b] · W_ih^T + b_ih: one product over all rows when they are evenly spaced.
    const uniform = src.strideT === N * src.strideN || T === 1;
    for (let t = 0; t < T; t = uniform ? T : t + 1) {
      const rows = uniform ? T * N : N;
      this.#gemm(0, 1, rows, GH, I, px + 4 * t * src.strideT, src.strideN, pIh, I, pXp + 4 * t * N * GH, GH, 0, pbIh, bIh ? 1 : 0, 0, 0, 0, this.#scratch);
    }
    // State rows of Hp floats, the lanes past H zero (the step reads lane H when H is odd).
    heap.fill(0, pH0 / 4, pOut / 4);
    for (let b = 0; b < N; b++) {
      heap.set(h.subarray(stateOffset + b * H, stateOffset + (b + 1) * H), pH0 / 4 + b * Hp);
      if (w.mode === 'lstm') heap.set(c.subarray(stateOffset + b * H, stateOffset + (b + 1) * H), pc / 4 + b * Hp);
    }
    const row = (t: number, b: number) => pOut + 4 * (t * N + b) * Hp;
    // Where each batch row's latest h is: h0, then the output row of its last step.
    const last = Array.from({ length: N }, (_, b) => pH0 + 4 * b * Hp);
    const peep = w.wPh ? pPeep : 0;
    if (!lengths) {
      // Every row runs every step: the whole sequence in one call, all rows at once.
      x.recurrentSequence(mode, N, H, pPacked, peep, w.clip, pXp, GH, pH0, pOut, pc, T, +reverse);
      if (T > 0) for (let b = 0; b < N; b++) last[b] = row(reverse ? 0 : T - 1, b);
    } else {
      // Rows of different lengths: each row's steps one call at a time.
      for (let s = 0; s < T; s++) {
        for (let b = 0; b < N; b++) {
          const len = lengths[b];
          if (s >= len) continue;
          const t = reverse ? len - 1 - s : s;
          x.recurrentStep(mode, 1, H, pPacked, peep, w.clip, pXp + 4 * (t * N + b) * GH, GH, last[b], row(t, b), pc + 4 * b * Hp);
          last[b] = row(t, b);
        }
      }
    }
    // Every output row: the step's h, or 0 past the row's length (padding); one copy when the
    // rows are as dense in dst as in wasm memory (one direction, H a multiple of 8).
    if (!lengths && Hp === H && dst.strideN === H && dst.strideT === N * H) {
      dst.data.set(heap.subarray(pOut / 4, pOut / 4 + T * N * H), dstColumn);
    } else {
      for (let t = 0; t < T; t++) {
        for (let b = 0; b < N; b++) {
          const o = t * dst.strideT + b * dst.strideN + dstColumn;
          if (lengths && t >= lengths[b]) dst.data.fill(0, o, o + H);
          else dst.data.set(heap.subarray(row(t, b) / 4, row(t, b) / 4 + H), o);
        }
      }
    }
    for (let b = 0; b < N; b++) {
      h.set(heap.subarray(last[b] / 4, last[b] / 4 + H), stateOffset + b * H);
      if (w.mode === 'lstm') c.set(heap.subarray(pc / 4 + b * Hp, pc / 4 + b * Hp + H), stateOffset + b * H);
    }
    return true;
  };
}

/** wasm/recurrent.ts's mode codes. */
const STEP_MODE = { lstm: 0, gru: 1, rnnTanh: 2, rnnRelu: 3 } as const;

/** Elements from a matrix's first to its last: (rows − 1) row strides and one row. */
const extent = (rows: number, cols: number, ld: number): number => (rows - 1) * ld + cols;

/**
 * Whether a result may be written in place at `at` (`bytes` long; 0: not in the memory): it
 * overlaps none of the operands the kernel reads while it writes ([address, bytes], 0: not there).
 */
function writable(at: number, bytes: number, ...reads: [number, number][]): boolean {
  return at !== 0 && reads.every(([from, length]) => from === 0 || at + bytes <= from || from + length <= at);
}


function biasCode(e: GemmEpilogue | undefined): number {
  if (!e?.bias) return 0;
  return e.biasPer === 'column' ? 1 : 2;
}

/** wasm/gemm.ts's activation arguments [code, alpha, beta]; code 0 for none. */
function activationArgs(a: Activation | undefined): [number, number, number] {
  switch (a?.kind) {
    case 'relu':
      return [ACT_CODE.relu, 0, 0];
    case 'leakyRelu':
      return [ACT_CODE.leakyRelu, a.negativeSlope, 0];
    case 'clip':
      return [ACT_CODE.clip, a.min, a.max];
    case 'sigmoid':
      return [ACT_CODE.sigmoid, 0, 0];
    case 'tanh':
      return [ACT_CODE.tanh, 0, 0];
    default:
      return [0, 0, 0];
  }
}

/** C's m × n result at heap byte `at` (dense) into c. */
function copyOut(heap: Float32Array, at: number, m: number, n: number, c: Float32Array, cOffset: number, ldc: number): void {
  if (ldc === n) {
    c.set(heap.subarray(at / 4, at / 4 + m * n), cOffset);
    return;
  }
  for (let i = 0; i < m; i++) c.set(heap.subarray(at / 4 + i * n, at / 4 + (i + 1) * n), cOffset + i * ldc);
}

/** Consecutive 64-byte-aligned places in wasm memory from `start`, for one call's operands. */
class Places {
  constructor(public end: number) {}

  /** The address of the next `bytes`. */
  place(bytes: number): number {
    const at = this.end;
    this.end = align(at + bytes);
    return at;
  }
}
