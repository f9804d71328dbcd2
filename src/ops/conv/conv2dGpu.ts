// The WebGPU lowering of conv2d: four kernels, chosen by the table in chooseConvKernel (or by
// tuning on the device among the variants of convChoice).
//  - 'gemm': a 1×1 convolution with stride 1, no padding and one group is a plain GEMM per image,
//    y[n] [O, H·W] = w [O, C] · x[n] [C, H·W] (the shared GEMM, gemmGpu.ts, bias per row);
//  - 'im2col': any other one-group convolution on a software adapter: the GEMM's columns written
//    out (shaders/conv/im2col.wgsl) into a bounded scratch, a chunk of images or pixels at a time,
//    each chunk followed by the shared GEMM y[n] [O, pixels] = w [O, C·kh·kw] · cols — its 16 × 16
//    register blocks do 8 multiply-adds per load where the register conv kernel's 16 × 8 blocks do
//    5.3 and pay a padding test on every input load (bench/lab/conv2d/README.md);
//  - 'tiled': the implicit GEMM with workgroup-memory tiles (shaders/conv/conv2d_tiled.wgsl), for GPUs;
//  - 'depthwise': one input channel per group (groups = C), stride 1 along the rows,
//    shaders/conv/depthwise_conv2d.wgsl (depthwiseConv2dGpu.ts), which loads each input once per row;
//  - 'register': the register-blocked implicit GEMM (shaders/conv/conv2d.wgsl), whose block (TM output
//    channels × TN pixels per invocation) follows the shape; everything else (grouped and
//    depthwise convolutions, few output channels), where workgroup barriers are slow.
// A residual input (the skip connection graph/passes.ts folds in) is added in each kernel's
// epilogue, after the bias and before the activation; the GEMM paths copy it into y first and
// accumulate onto it. Every kernel writes y with its images y.batchStride apart where y is a
// channel slice of a concat's output (graph/plan.ts: conv2dOp.gpuWritesSlices).
// The input gradient (conv2dGradInput.ts) is a convolution too, with a geometry of its own: it
// goes through the same table and kernels (recordConvolution).
import conv2dTiledWgsl from '../../../shaders/conv/conv2d_tiled.wgsl?raw';
import conv2dWgsl from '../../../shaders/conv/conv2d.wgsl?raw';
import im2colWgsl from '../../../shaders/conv/im2col.wgsl?raw';
import { chooseVariant, grid, storageBindingLimit, uniforms, type GpuArg, type KernelRecorder, type Shader, type VariantChoice } from '../kernel.js';
import { sizeOf } from '../../shape.js';
import { activationConstants, withActivationFn, type Activation } from '../elementwise/activation.js';
import { recordGemm } from '../gemm/gemmGpu.js';
import { depthwiseFits, recordDepthwiseConv2d } from './depthwiseConv2dGpu.js';
import { resolveWindow, type ConvGeometry, type WindowAttrs } from '../window.js';

/** What the kernels read of conv2d's attributes (Conv2dAttrs, conv2d.ts). */
export interface ConvKernelAttrs extends WindowAttrs {
  readonly groups: number;
  readonly activation?: Activation;
}

/** The register block of one invocation and the workgroup size (shaders/conv/conv2d.wgsl). */
export interface ConvTile {
  /** Output channels per invocation: 1, 2, 4, 8 or 16. */
  readonly tm: 1 | 2 | 4 | 8 | 16;
  /** Output pixels of one row per invocation: 4 or 8. */
  readonly tn: 4 | 8;
  readonly workgroupSize: number;
}


export function convGeometry(x: readonly number[], w: readonly number[], attrs: ConvKernelAttrs): ConvGeometry {
  const [N, C, H, W] = x;
  return { N, C, H, W, O: w[0], groups: attrs.groups, win: resolveWindow('conv2d', x, [w[2], w[3]], attrs) };
}

/**
 * The tile table, from bench/lab/conv2d on SwiftShader (2 cores): the largest block wins wherever
 * the channels fill it (8×8: 2.3–2.7 GFLOP/s on ResNet/VGG 3×3 layers against 1.1–1.6 for 4×8;
 * 16×8 in Chromium 1.3× 8×8 on ResNet's 64-channel 3×3 layer, but not on the 3-channel stem),
 * also for LeNet's 6 output channels (8×8 with 2 idle rows beat 4×8); a depthwise convolution
 * (one output channel per group) gets TM 1 instead of computing 7 discarded channels out of 8
 * (0.35 GFLOP/s against 0.13). Rows shorter than 8 pixels get TN 4.
 */
export function chooseConvTile(geo: ConvGeometry): ConvTile {
  const outPerGroup = geo.O / geo.groups;
  const inPerGroup = geo.C / geo.groups;
  const tm = outPerGroup >= 16 && inPerGroup >= 8 ? 16 : outPerGroup >= 5 ? 8 : outPerGroup >= 3 ? 4 : outPerGroup === 2 ? 2 : 1;
  const tn = geo.win.output[1] >= 8 ? 8 : 4;
  return { tm, tn, workgroupSize: 64 };
}

/** One convolution kernel variant (data the tuner enumerates; `name` is what profiles show). */
export type ConvKernel =
  | { readonly name: string; readonly kind: 'gemm' }
  | { readonly name: string; readonly kind: 'tiled' }
  | { readonly name: string; readonly kind: 'im2col' }
  | { readonly name: string; readonly kind: 'depthwise' }
  | { readonly name: string; readonly kind: 'register'; readonly tile: ConvTile };

const registerVariant = (tm: ConvTile['tm'], tn: ConvTile['tn']): ConvKernel => ({ name: `register ${tm}×${tn}`, kind: 'register', tile: { tm, tn, workgroupSize: 64 } });

/** Every convolution kernel variant. */
export const CONV_KERNELS: readonly ConvKernel[] = [
  { name: 'gemm 1×1', kind: 'gemm' },
  { name: 'tiled 64×64', kind: 'tiled' },
  { name: 'im2col + gemm', kind: 'im2col' },
  { name: 'depthwise 1×8', kind: 'depthwise' },
  ...([16, 8, 4, 2, 1] as const).flatMap((tm) => ([8, 4] as const).map((tn) => registerVariant(tm, tn))),
];

/** Output channels per group from which a GPU gets the 64-channel workgroup tiles. */
const TILED_MIN_CHANNELS = 32;

/** Output channels from which a software adapter takes im2col + GEMM (the GEMM's 16-row blocks fill). */
const IM2COL_MIN_CHANNELS = 16;

/** Bytes of im2col scratch one convolution may hold (a chunk of images or output rows at a time). */
const IM2COL_SCRATCH_BYTES = 8 * 2 ** 20;

/**
 * The kernel table. 1×1 stride-1 convolutions are matrix products. On a software adapter, other
 * one-group convolutions with at least 16 output channels go through im2col and the GEMM
 * (bench/lab/conv2d/README.md: ~1.6× the register kernel on ResNet's 3×3 layers); the rest take the
 * register kernel. On a GPU, layers with enough output channels per group to fill half a
 * 64-channel tile take the workgroup-memory tiles: the register kernel's blocks leave a batch-1
 * layer few invocations (ResNet's 64 × 56 × 56 layer: 3136, 49 workgroups) for a GPU of 100+
 * compute units, and GPUs favour shared-memory tiling (DESIGN.md). This GPU row is reasoned, not
 * yet timed on a discrete GPU (compile's `tune` times it; bench/lab/conv2d explores new variants).
 */
export function chooseConvKernel(geo: ConvGeometry, softwareAdapter: boolean): ConvKernel {
  if (isPointwise(geo)) return CONV_KERNELS[0];
  if (depthwiseFits(geo)) return CONV_KERNELS[3];
  if (softwareAdapter && lowersToIm2col(geo) && geo.O >= IM2COL_MIN_CHANNELS) return CONV_KERNELS[2];
  if (!softwareAdapter && geo.O / geo.groups >= TILED_MIN_CHANNELS) return CONV_KERNELS[1];
  const { tm, tn } = chooseConvTile(geo);
  return convVariant(tm, tn);
}

function convVariant(tm: number, tn: number): ConvKernel {
  return CONV_KERNELS.find((v) => v.kind === 'register' && v.tile.tm === tm && v.tile.tn === tn)!;
}

/**
 * The convolution's kernel choice for tuning: the matrix product where it applies (im2col first
 * where the convolution is not pointwise but has one group), the tiles,
 * and the register blocks near the table's (its block and half as many channels, with 8- and
 * 4-pixel rows where the rows are long enough): blocks far from the shape only waste lanes.
 */
export function convChoice(geo: ConvGeometry, softwareAdapter: boolean): VariantChoice<ConvKernel> {
  const { tm, tn } = chooseConvTile(geo);
  const registers = [tm, tm / 2].filter((m) => m >= 1).flatMap((m) => (tn === 8 ? [8, 4] : [4]).map((n) => convVariant(m, n)));
  const gemms = isPointwise(geo) ? [CONV_KERNELS[0]] : lowersToIm2col(geo) ? [CONV_KERNELS[2]] : depthwiseFits(geo) ? [CONV_KERNELS[3]] : [];
  const candidates = [...gemms, CONV_KERNELS[1], ...registers];
  const { N, C, H, W, O, groups, win } = geo;
  const window = `k${win.kernel.join('x')} s${win.stride.join('x')} d${win.dilation.join('x')} p${win.pads.join(',')}`;
  return { key: `conv2d N${N} C${C} H${H} W${W} O${O} g${groups} ${window}`, candidates, preferred: chooseConvKernel(geo, softwareAdapter) };
}

const convShader = withActivationFn('conv2d', conv2dWgsl);
const im2colShader: Shader = { label: 'im2col', code: im2colWgsl };
const convTiledShader = withActivationFn('conv2d_tiled', conv2dTiledWgsl);

/**
 * Records the dispatches computing y = act(conv(x, w) + b + residual): x [N, C, H, W],
 * w [O, C/g, kh, kw], b [O] | null, residual shaped like y | null.
 */
export function recordConv2d(k: KernelRecorder, x: GpuArg, w: GpuArg, b: GpuArg | null, y: GpuArg, attrs: ConvKernelAttrs, residual: GpuArg | null = null): void {
  recordConvolution(k, x, w, b, y, convGeometry(x.shape, w.shape, attrs), attrs.activation, residual);
}

/** Records the convolution `geo` of x with w (+ b + residual, then the activation) into y, by the kernel table. */
export function recordConvolution(
  k: KernelRecorder,
  x: GpuArg,
  w: GpuArg,
  b: GpuArg | null,
  y: GpuArg,
  geo: ConvGeometry,
  activation?: Activation,
  residual: GpuArg | null = null,
): void {
  if (sizeOf(y.shape) === 0) return;
  const kernel = chooseVariant(k, convChoice(geo, k.softwareAdapter));
  if (kernel.kind === 'gemm') {
    const { N, C, H, W, O } = geo;
    const pixels = H * W;
    if (residual) copyResidual(k, residual, y, N, O * pixels);
    recordGemm(k, {
      a: w, b: x, c: y, m: O, n: pixels, k: C,
      batch: N, strideA: 0, strideB: C * pixels, strideC: y.batchStride ?? O * pixels,
      bias: b, biasPer: 'row', activation, accumulate: residual !== null,
    });
  } else if (kernel.kind === 'im2col') {
    dispatchIm2colGemm(k, x, w, b, y, geo, activation, residual);
  } else if (kernel.kind === 'depthwise') {
    recordDepthwiseConv2d(k, x, w, b, y, geo, activation, residual);
  } else if (kernel.kind === 'tiled') {
    dispatchTiled(k, x, w, b, y, geo, activation, residual);
  } else {
    dispatchRegisterBlocked(k, x, w, b, y, geo, activation, kernel.tile, residual);
  }
}

/** A 1×1 convolution that reads every input pixel once, in order: a matrix product per image. */
function isPointwise({ groups, win }: ConvGeometry): boolean {
  const [kh, kw] = win.kernel;
  return kh === 1 && kw === 1 && groups === 1 && win.stride[0] === 1 && win.stride[1] === 1 && win.pads.every((p) => p === 0);
}

/** One group with input channels, and one output row's columns across all K rows fit the im2col scratch. */
function lowersToIm2col({ C, groups, win }: ConvGeometry): boolean {
  return groups === 1 && C > 0 && C * win.kernel[0] * win.kernel[1] * win.output[1] * 4 <= IM2COL_SCRATCH_BYTES;
}

/** Records shaders/conv/conv2d.wgsl with the given register block (the lab calls it with others). */
export function recordConv2dRegisterBlocked(k: KernelRecorder, x: GpuArg, w: GpuArg, b: GpuArg | null, y: GpuArg, attrs: ConvKernelAttrs, tile: ConvTile): void {
  if (sizeOf(y.shape) === 0) return;
  dispatchRegisterBlocked(k, x, w, b, y, convGeometry(x.shape, w.shape, attrs), attrs.activation, tile, null);
}

/** Records shaders/conv/conv2d_tiled.wgsl: 64-channel × 64-pixel tiles per workgroup of 256. */
export function recordConv2dTiled(k: KernelRecorder, x: GpuArg, w: GpuArg, b: GpuArg | null, y: GpuArg, attrs: ConvKernelAttrs): void {
  if (sizeOf(y.shape) === 0) return;
  dispatchTiled(k, x, w, b, y, convGeometry(x.shape, w.shape, attrs), attrs.activation, null);
}

/**
 * Records im2col + GEMM: per chunk, shaders/conv/im2col.wgsl writes the columns of `images`
 * whole images (or of `rows` output rows of one image) into the scratch, then the GEMM multiplies
 * w [O, K] by them into y's pixels.
 */
/** The residual copied into y (images `image` elements long), image by image where y is a slice of a concat's output. */
function copyResidual(k: KernelRecorder, residual: GpuArg, y: GpuArg, N: number, image: number): void {
  const yImage = y.batchStride ?? image;
  if (yImage === image) k.copy(residual, y, N * image * 4);
  else for (let n = 0; n < N; n++) k.copy({ ...residual, offset: residual.offset + n * image * 4 }, { ...y, offset: y.offset + n * yImage * 4 }, image * 4);
}

function dispatchIm2colGemm(k: KernelRecorder, x: GpuArg, w: GpuArg, b: GpuArg | null, y: GpuArg, geo: ConvGeometry, activation: Activation | undefined, residual: GpuArg | null): void {
  const { N, C, H, W, O, win } = geo;
  const [OH, OW] = win.output;
  const [kh, kw] = win.kernel;
  const K = C * kh * kw;
  const P = OH * OW;
  const budget = Math.min(IM2COL_SCRATCH_BYTES, storageBindingLimit(k.limits));
  const rowBytes = K * OW * 4; // one output row's columns across the K rows
  const rowsFit = Math.max(1, Math.floor(budget / rowBytes));
  const images = Math.max(1, Math.min(N, Math.floor(rowsFit / OH)));
  const rows = Math.min(OH, rowsFit);
  const scratch = k.scratch(images * rows * rowBytes, true); // im2col writes every cell the GEMM reads
  const yImage = y.batchStride ?? O * P;
  if (residual) copyResidual(k, residual, y, N, O * P);
  for (let n0 = 0; n0 < N; n0 += images) {
    const chunkImages = Math.min(images, N - n0);
    for (let r0 = 0; r0 < OH; r0 += rows) {
      const chunkRows = Math.min(rows, OH - r0);
      const count = chunkRows * OW;
      const total = chunkImages * K * chunkRows;
      k.dispatch({
        shader: im2colShader,
        uniforms: uniforms()
          .u32(C, H, W, OW, kh, kw)
          .i32(...win.stride, ...win.dilation, win.pads[0], win.pads[1])
          .u32(n0 * C * H * W, r0, chunkRows, K, total)
          .bytes(),
        bindings: [x, scratch],
        workgroups: grid(total, 64),
      });
      recordGemm(k, {
        a: w, b: scratch, c: y, m: O, n: count, k: K,
        batch: chunkImages, strideA: 0, strideB: K * count, strideC: yImage,
        ldb: count, ldc: P, offsetC: n0 * yImage + r0 * OW,
        bias: b, biasPer: 'row', activation, accumulate: residual !== null,
      });
    }
  }
}

function dispatchRegisterBlocked(
  k: KernelRecorder,
  x: GpuArg,
  w: GpuArg,
  b: GpuArg | null,
  y: GpuArg,
  geo: ConvGeometry,
  activation: Activation | undefined,
  tile: ConvTile,
  residual: GpuArg | null,
): void {
  const { N, C, H, W, O, groups, win } = geo;
  const [OH, OW] = win.output;
  const [kh, kw] = win.kernel;
  const Og = O / groups;
  const rowBlocks = Math.ceil(OW / tile.tn);
  const pixelBlocks = N * OH * rowBlocks;
  const channelBlocks = Math.ceil(Og / tile.tm);
  const total = pixelBlocks * channelBlocks * groups;
  const block = uniforms()
    .u32(C, H, W, O, OH, OW, C / groups, Og, kh, kw)
    .i32(...win.stride, ...win.dilation, win.pads[0], win.pads[1])
    .u32(rowBlocks, pixelBlocks, channelBlocks, total, y.batchStride ?? O * OH * OW);
  k.dispatch({
    shader: convShader,
    constants: { ...activationConstants(activation), TM: tile.tm, TN: tile.tn, HAS_BIAS: b ? 1 : 0, HAS_RESIDUAL: residual ? 1 : 0, WG: tile.workgroupSize },
    uniforms: block.bytes(),
    // Without a bias or a residual the shader's binding still needs a buffer: w, read-only like them.
    bindings: [x, w, b ?? w, y, residual ?? w],
    workgroups: grid(total, tile.workgroupSize),
  });
}

function dispatchTiled(k: KernelRecorder, x: GpuArg, w: GpuArg, b: GpuArg | null, y: GpuArg, geo: ConvGeometry, activation: Activation | undefined, residual: GpuArg | null): void {
  const { N, C, H, W, O, groups, win } = geo;
  const [OH, OW] = win.output;
  const [kh, kw] = win.kernel;
  const Og = O / groups;
  const pixels = N * OH * OW;
  const pixelTiles = Math.ceil(pixels / 64);
  const channelTiles = Math.ceil(Og / 64);
  const tiles = pixelTiles * channelTiles * groups;
  k.dispatch({
    shader: convTiledShader,
    constants: { ...activationConstants(activation), HAS_BIAS: b ? 1 : 0, HAS_RESIDUAL: residual ? 1 : 0 },
    uniforms: uniforms()
      .u32(C, H, W, O, OH, OW, C / groups, Og, kh, kw)
      .i32(...win.stride, ...win.dilation, win.pads[0], win.pads[1])
      .u32(pixels, pixelTiles, channelTiles, tiles, y.batchStride ?? O * OH * OW)
      .bytes(),
    bindings: [x, w, b ?? w, y, residual ?? w],
    // One workgroup per tile, spread over x and y past 65 535.
    workgroups: grid(tiles, 1),
  });
}
