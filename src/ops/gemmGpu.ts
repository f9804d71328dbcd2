// The WebGPU GEMM shared by matmul, linear, 1×1 convolution and the recurrent input projection:
// C[m, n] = A[m, k] · op(B)[k, n] (+ bias) then a fused activation, over a batch of matrices
// whose entries are a fixed stride apart (0 broadcasts one matrix). The strided/offset form is
// BLAS's (lda/ldb/ldc), with element offsets into each bound region, so callers can address
// sub-matrices without copies. Any shape is one or a few dispatches (grids past 65 535
// workgroups per dimension are split into several).
import matmulWgsl from '../../shaders/matmul.wgsl?raw';
import type { GpuArg, KernelRecorder } from '../backends/webgpu/kernel';
import { uniforms } from '../backends/webgpu/kernel';
import { ShapeError } from '../errors';
import { activationConstants, withActivationFn, type Activation } from './activation';

export interface GemmGpuArgs {
  a: GpuArg;
  b: GpuArg;
  c: GpuArg;
  /** C[m, n] = A[m, k] · op(B) (+ bias) then activation. */
  m: number;
  n: number;
  k: number;
  /** Number of matrices (default 1). */
  batch?: number;
  /** Elements between batch entries (0 = broadcast); defaults m·k, k·n, m·n. */
  strideA?: number;
  strideB?: number;
  strideC?: number;
  /** Element offsets into the bound regions (default 0). */
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
  /** Row strides in elements: defaults k, n (k when transB), n. */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** B stored [n, k] (linear weights) instead of [k, n]. */
  transB?: boolean;
  /** bias[m] added per row (1×1 convolution: per output channel) or bias[n] per column (linear). */
  bias?: GpuArg | null;
  biasPer?: 'row' | 'column';
  /** Element offset into the bias region (default 0). */
  biasOffset?: number;
  /** Applied after the bias in the kernel's epilogue. */
  activation?: Activation;
  /** C += A · op(B) (+ bias, then activation of the sum): a product split along k into several GEMMs. */
  accumulate?: boolean;
}

/** One GEMM kernel: its shader and how many rows and columns of C one workgroup covers. */
interface GemmKernel {
  readonly label: string;
  readonly code: string;
  readonly rowsPerGroup: number;
  readonly colsPerGroup: number;
}

const REGISTER_4X4: GemmKernel = { label: 'matmul', code: matmulWgsl, rowsPerGroup: 32, colsPerGroup: 32 };
const shaders = new Map<string, ReturnType<typeof withActivationFn>>();
const shaderOf = (kernel: GemmKernel) => {
  let s = shaders.get(kernel.label);
  if (!s) shaders.set(kernel.label, (s = withActivationFn(kernel.label, kernel.code)));
  return s;
};

const MAX_GROUPS = 65535;

/** Records the dispatches computing C = A · op(B) (+ bias) then activation. */
export function recordGemm(k: KernelRecorder, args: GemmGpuArgs): void {
  const { m, n } = args;
  const depth = args.k;
  const batch = args.batch ?? 1;
  const transB = args.transB ?? false;
  const lda = args.lda ?? depth;
  const ldb = args.ldb ?? (transB ? depth : n);
  const ldc = args.ldc ?? n;
  const strideA = args.strideA ?? m * depth;
  const strideB = args.strideB ?? depth * n;
  const strideC = args.strideC ?? m * n;
  const offsetA = args.offsetA ?? 0;
  const offsetB = args.offsetB ?? 0;
  const offsetC = args.offsetC ?? 0;
  const bias = args.bias ?? null;
  const biasPer = args.biasPer ?? 'column';
  const biasOffset = args.biasOffset ?? 0;
  if (m === 0 || n === 0 || batch === 0) return;

  checkRegion('A', args.a, offsetA, lda, m, depth, batch, strideA);
  checkRegion('B', args.b, offsetB, ldb, transB ? n : depth, transB ? depth : n, batch, strideB);
  checkRegion('C', args.c, offsetC, ldc, m, n, batch, strideC);
  if (bias) checkRegion('bias', bias, biasOffset, 0, 1, biasPer === 'row' ? m : n, 1, 0);

  const kernel = REGISTER_4X4;
  const shader = shaderOf(kernel);
  const constants = {
    ...activationConstants(args.activation),
    TRANS_B: transB ? 1 : 0,
    BIAS_MODE: bias ? (biasPer === 'row' ? 1 : 2) : 0,
    ACCUMULATE: args.accumulate ? 1 : 0,
  };
  // Split the grid where a dimension would pass 65 535 workgroups: each piece is the same GEMM
  // on a sub-block, reached by moving the offsets.
  const rowStep = kernel.rowsPerGroup * MAX_GROUPS;
  const colStep = kernel.colsPerGroup * MAX_GROUPS;
  for (let e0 = 0; e0 < batch; e0 += MAX_GROUPS) {
    const entries = Math.min(MAX_GROUPS, batch - e0);
    for (let r0 = 0; r0 < m; r0 += rowStep) {
      const rows = Math.min(rowStep, m - r0);
      for (let c0 = 0; c0 < n; c0 += colStep) {
        const cols = Math.min(colStep, n - c0);
        const block = uniforms()
          .u32(rows, cols, depth)
          .u32(offsetA + e0 * strideA + r0 * lda)
          .u32(offsetB + e0 * strideB + c0 * (transB ? ldb : 1))
          .u32(offsetC + e0 * strideC + r0 * ldc + c0)
          .u32(biasOffset + (biasPer === 'row' ? r0 : c0))
          .u32(lda, ldb, ldc, strideA, strideB, strideC);
        k.dispatch({
          shader,
          constants,
          uniforms: block.bytes(),
          // Without a bias the shader's bias binding still needs a buffer: A, read-only like it.
          bindings: [args.a, args.b, args.c, bias ?? args.a],
          workgroups: [Math.ceil(cols / kernel.colsPerGroup), Math.ceil(rows / kernel.rowsPerGroup), entries],
        });
      }
    }
  }
}

/** A caller's offsets or strides that reach past a region are a bug: fail loudly, not with garbage. */
function checkRegion(what: string, region: GpuArg, offset: number, ld: number, rows: number, cols: number, batch: number, stride: number): void {
  if (rows === 0 || cols === 0 || batch === 0) return;
  const last = offset + (batch - 1) * stride + (rows - 1) * ld + cols - 1;
  const size = Math.floor(region.size / 4);
  if (!(offset >= 0 && stride >= 0 && (rows === 1 || ld >= cols) && last < size)) {
    throw new ShapeError(
      `gemm (WebGPU): ${what} ${batch} × [${rows}, ${cols}] at offset ${offset}, row stride ${ld}, batch stride ${stride} does not fit its region of ${size} elements`,
    );
  }
}
