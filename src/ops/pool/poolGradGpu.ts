// The WebGPU lowering shared by the pooling gradients: one dispatch of shaders/pool/pool2d_grad.wgsl,
// one invocation per cell of dx.
import poolGradWgsl from '../../../shaders/pool/pool2d_grad.wgsl?raw';
import { grid, uniforms, type GpuArg, type KernelRecorder } from '../kernel.js';
import { sizeOf } from '../../shape.js';
import type { Window2d } from '../window.js';

const poolGradShader = { label: 'pool2d_grad', code: poolGradWgsl };

/**
 * dx [N, C, H, W] from dy [N, C, OH, OW]: 'max' (x needed), 'avg' (with countIncludePad) over
 * `win`, or 'adaptive' (bins from the sizes; no window).
 */
export function recordPoolGrad(
  k: KernelRecorder,
  mode: 'max' | 'avg' | 'adaptive',
  x: GpuArg | null,
  dy: GpuArg,
  dx: GpuArg,
  win: Window2d | null,
  countIncludePad = false,
): void {
  const total = sizeOf(dx.shape);
  if (total === 0) return;
  const [, , H, W] = dx.shape;
  const [, , OH, OW] = dy.shape;
  const w = win ?? { kernel: [1, 1], stride: [1, 1], dilation: [1, 1], pads: [0, 0, 0, 0] };
  k.dispatch({
    shader: poolGradShader,
    constants: { MODE: mode === 'max' ? 0 : mode === 'avg' ? 1 : 2, COUNT_INCLUDE_PAD: countIncludePad ? 1 : 0 },
    uniforms: uniforms()
      .u32(total, H, W, OH, OW)
      .i32(...w.kernel, ...w.stride, ...w.dilation, ...w.pads)
      .bytes(),
    // Only max pooling reads x; the others bind dy in its place.
    bindings: [x ?? dy, dy, dx],
    workgroups: grid(total, 256),
  });
}
