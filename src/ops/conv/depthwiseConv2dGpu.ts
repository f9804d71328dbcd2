// The WebGPU kernel of depthwise convolutions (one input channel per group: groups = C, O = C·M),
// shaders/conv/depthwise_conv2d.wgsl: 8 pixels of 4 rows per invocation written out without loops
// for 3×3 kernels of stride 1 (each input row loaded once for the output rows it feeds); else 8
// pixels of one row, the inputs of a kernel row loaded once and shifted along the taps.
// conv2dGpu.ts picks it where depthwiseFits; bench/lab/conv2d times it.
import depthwiseWgsl from '../../../shaders/conv/depthwise_conv2d.wgsl?raw';
import { NNError } from '../../errors.js';
import { grid, uniforms, type GpuArg, type KernelRecorder } from '../kernel.js';
import { activationConstants, withActivationFn, type Activation } from '../elementwise/activation.js';
import type { ConvGeometry } from '../window.js';

/** Output pixels of one row per invocation (the shader's two vec4 accumulators). */
const PIXELS = 8;
/** Output rows per invocation of the 3×3 stride-1 version (KERNEL3). */
const KERNEL3_ROWS = 4;

/**
 * A convolution this kernel takes: one input channel per group (each feeding O / C output
 * channels), stride 1 and dilation 1 along the rows. Not a single-channel input (C = groups = 1,
 * LeNet's first layer), where the register blocks share each input load among output channels;
 * not strides or dilations along the rows, where the register kernel's one tap loop was as fast
 * (bench/lab/conv2d/README.md).
 */
export function depthwiseFits({ C, O, groups, win }: ConvGeometry): boolean {
  return groups === C && C > 1 && O % C === 0 && win.stride[1] === 1 && win.dilation[1] === 1;
}

const depthwiseShader = withActivationFn('depthwise_conv2d', depthwiseWgsl);

/** Records y = act(depthwise conv(x, w) + b + residual) for the geometry `geo` (depthwiseFits). */
export function recordDepthwiseConv2d(
  k: KernelRecorder,
  x: GpuArg,
  w: GpuArg,
  b: GpuArg | null,
  y: GpuArg,
  geo: ConvGeometry,
  activation: Activation | undefined,
  residual: GpuArg | null,
): void {
  const { N, C, H, W, O, win } = geo;
  const [OH, OW] = win.output;
  const [kh, kw] = win.kernel;
  // The shader's loops run to kh and kw: a geometry that slipped past the shape checks must not reach it.
  if (!depthwiseFits(geo) || !(kh >= 1 && kw >= 1)) throw new NNError(`depthwise conv2d: not a depthwise geometry (C ${C}, O ${O}, groups ${geo.groups}, kernel ${kh}×${kw})`);
  const kernel3 = kh === 3 && kw === 3 && win.stride[0] === 1 && win.dilation[0] === 1;
  const rowBlocks = Math.ceil(OW / PIXELS);
  const rowGroups = kernel3 ? Math.ceil(OH / KERNEL3_ROWS) : OH;
  const total = N * O * rowGroups * rowBlocks;
  k.dispatch({
    shader: depthwiseShader,
    constants: { ...activationConstants(activation), HAS_BIAS: b ? 1 : 0, HAS_RESIDUAL: residual ? 1 : 0, KERNEL3: kernel3 ? 1 : 0 },
    uniforms: uniforms()
      .u32(C, H, W, O, OH, OW, O / C, kh, kw)
      .i32(win.stride[0], win.dilation[0], win.pads[0], win.pads[1])
      .u32(rowBlocks, rowGroups, total, y.batchStride ?? O * OH * OW)
      .bytes(),
    // Without a bias or a residual the shader's binding still needs a buffer: w, read-only like them.
    bindings: [x, w, b ?? w, y, residual ?? w],
    workgroups: grid(total, 64),
  });
}
