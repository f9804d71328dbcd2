// The WebGPU GEMM shared by matmul, linear, 1×1 convolution and the recurrent input projection:
// C[m, n] = A[m, k] · op(B)[k, n] (+ bias) then a fused activation, over a batch of matrices
// whose entries are a fixed stride apart (0 broadcasts one matrix). The strided/offset form is
// BLAS's (lda/ldb/ldc), with element offsets into each bound region, so callers can address
// sub-matrices without copies. Any shape is one or a few dispatches (grids past 65 535
// workgroups per dimension are split into several).
//
// Three kernels, one binding layout and uniform block, chosen by chooseGemmKernel (or by tuning
// on the device among the variants of GEMM_KERNELS, gemmChoice):
// - shaders/gemm/matmul.wgsl, register-blocked (a TM × TN block per invocation, no workgroup
//   memory): on software adapters (SwiftShader), where it measured fastest: 16 × 16 blocks, the
//   block narrowed for few rows; for more than 8 rows, where the adapter's subgroups are all 4
//   wide (SwiftShader's), workgroups of one subgroup whose 4 lanes share the loads of A;
// - shaders/gemm/matmul_tiled.wgsl, 64 × 64 tiles through workgroup memory: on GPUs;
// - shaders/gemm/matmul_gemv.wgsl, split along k: on GPUs for A·Bᵀ with at most 4 rows (linear
//   layers at small batch), when k and the strides are multiples of 4.
// The GPU choices follow how GPUs are known to behave; they were not measured here (see
// bench/lab/matmul for the SwiftShader figures and the variants to time on a GPU).
import matmulGemvWgsl from '../../../shaders/gemm/matmul_gemv.wgsl?raw';
import matmulTiledWgsl from '../../../shaders/gemm/matmul_tiled.wgsl?raw';
import matmulWgsl from '../../../shaders/gemm/matmul.wgsl?raw';
import matmulAWgsl from '../../../shaders/gemm/matmul_a.wgsl?raw';
import matmulASubgroupWgsl from '../../../shaders/gemm/matmul_a_subgroup.wgsl?raw';
import matmulStoreWgsl from '../../../shaders/gemm/matmul_store.wgsl?raw';
import type { GpuArg, KernelRecorder, Shader, VariantChoice } from '../kernel.js';
import { chooseVariant, uniforms } from '../kernel.js';
import { ShapeError, UnsupportedError } from '../../errors.js';
import { activationConstants, withActivationFn, type Activation } from '../elementwise/activation.js';

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

/** GemmGpuArgs with every default filled in. */
export type GemmShape = Required<Omit<GemmGpuArgs, 'a' | 'b' | 'c' | 'bias' | 'activation'>>;

/**
 * One GEMM kernel: its shader (binding layout and uniform block as in shaders/gemm/matmul.wgsl), its
 * own override constants, how many rows and columns of C one workgroup covers, and which
 * GEMMs it can compute (all when absent).
 */
export interface GemmKernel {
  readonly name: string;
  readonly shader: Shader;
  readonly constants?: Readonly<Record<string, number>>;
  readonly rowsPerGroup: number;
  readonly colsPerGroup: number;
  readonly accepts?: (g: GemmShape) => boolean;
  /** Needs subgroups all 4 invocations wide (KernelRecorder.quadSubgroups). */
  readonly quadSubgroups?: boolean;
}

const registerShader = withActivationFn('matmul', `${matmulAWgsl}\n${matmulWgsl}\n${matmulStoreWgsl}`);
const sharedAShader = withActivationFn('matmul_shared_a', `${matmulASubgroupWgsl}\n${matmulWgsl}\n${matmulStoreWgsl}`);

/** shaders/gemm/matmul.wgsl with a TM × TN block per invocation in workgroups of wgX × wgY. */
/* @__NO_SIDE_EFFECTS__ */
export function registerKernel(tm: number, tn: number, wgX: number, wgY: number): GemmKernel {
  return {
    name: `registers ${tm}×${tn}`,
    shader: registerShader,
    constants: { TM: tm, TN: tn, WG_X: wgX, WG_Y: wgY },
    rowsPerGroup: tm * wgY,
    colsPerGroup: tn * wgX,
  };
}

/**
 * shaders/gemm/matmul.wgsl with a TM × TN block per invocation, a workgroup being one subgroup of
 * 4 lanes side by side along n that share their loads of A (matmul_a_subgroup.wgsl).
 */
/* @__NO_SIDE_EFFECTS__ */
export function sharedAKernel(tm: number, tn: number): GemmKernel {
  return {
    name: `registers ${tm}×${tn}, A shared by 4 lanes`,
    shader: sharedAShader,
    constants: { TM: tm, TN: tn, WG_X: 4, WG_Y: 1 },
    rowsPerGroup: tm,
    colsPerGroup: 4 * tn,
    quadSubgroups: true,
  };
}

const multipleOf4 = (...values: number[]) => values.every((v) => v % 4 === 0);

/** Every kernel recordGemm may choose (exported so tests run each on every case it accepts). */
export const GEMM_KERNELS = {
  // Software adapters, by rows of A (measured: bench/lab/matmul/README.md).
  rows1: registerKernel(1, 8, 64, 1),
  rows2: registerKernel(2, 8, 32, 2),
  rows4: registerKernel(4, 16, 16, 4),
  rows8: registerKernel(8, 16, 8, 8),
  rows16: registerKernel(16, 16, 8, 8),
  rows16Shared: sharedAKernel(16, 16),
  // GPUs.
  tiled: { name: 'tiled 64×32', shader: withActivationFn('matmul_tiled', `${matmulTiledWgsl}\n${matmulStoreWgsl}`), rowsPerGroup: 64, colsPerGroup: 32 },
  gemv: {
    name: 'gemv 4×4',
    shader: withActivationFn('matmul_gemv', matmulGemvWgsl),
    rowsPerGroup: 4,
    colsPerGroup: 4,
    accepts: (g) => g.transB && multipleOf4(g.k, g.lda, g.ldb, g.offsetA, g.offsetB, g.strideA, g.strideB),
  },
} satisfies Record<string, GemmKernel>;

/**
 * The kernel for a GEMM of this shape on a software adapter or a GPU (`quadSubgroups`: the device
 * has subgroups, all 4 invocations wide).
 */
export function chooseGemmKernel(g: GemmShape, softwareAdapter: boolean, quadSubgroups = false): GemmKernel {
  if (softwareAdapter) {
    if (g.m <= 1) return GEMM_KERNELS.rows1;
    if (g.m <= 2) return GEMM_KERNELS.rows2;
    if (g.m <= 4) return GEMM_KERNELS.rows4;
    if (g.m <= 8) return GEMM_KERNELS.rows8;
    return quadSubgroups ? GEMM_KERNELS.rows16Shared : GEMM_KERNELS.rows16;
  }
  if (g.m <= 4 && GEMM_KERNELS.gemv.accepts(g)) return GEMM_KERNELS.gemv;
  return GEMM_KERNELS.tiled;
}

/**
 * The GEMM's kernel choice: every kernel that accepts the shape is a candidate (compile's `tune`
 * times them on the device), the table above is the preferred pick.
 */
export function gemmChoice(g: GemmShape, softwareAdapter: boolean, quadSubgroups = false): VariantChoice<GemmKernel> {
  const candidates = Object.values(GEMM_KERNELS).filter(
    (kernel: GemmKernel) => (!kernel.accepts || kernel.accepts(g)) && (quadSubgroups || !kernel.quadSubgroups),
  );
  return {
    key: `gemm m${g.m} n${g.n} k${g.k} batch${g.batch}${g.transB ? ' transB' : ''}`,
    candidates,
    preferred: chooseGemmKernel(g, softwareAdapter, quadSubgroups),
  };
}

/** The arguments with their defaults. */
export function gemmShape(args: GemmGpuArgs): GemmShape {
  const { m, n, k } = args;
  const transB = args.transB ?? false;
  return {
    m, n, k, transB,
    batch: args.batch ?? 1,
    lda: args.lda ?? k,
    ldb: args.ldb ?? (transB ? k : n),
    ldc: args.ldc ?? n,
    strideA: args.strideA ?? m * k,
    strideB: args.strideB ?? k * n,
    strideC: args.strideC ?? m * n,
    offsetA: args.offsetA ?? 0,
    offsetB: args.offsetB ?? 0,
    offsetC: args.offsetC ?? 0,
    biasPer: args.biasPer ?? 'column',
    biasOffset: args.biasOffset ?? 0,
    accumulate: args.accumulate ?? false,
  };
}

const MAX_GROUPS = 65535;

/** Records the dispatches computing C = A · op(B) (+ bias) then activation. */
export function recordGemm(k: KernelRecorder, args: GemmGpuArgs): void {
  recordGemmWith(k, args, chooseVariant(k, gemmChoice(gemmShape(args), k.softwareAdapter, k.quadSubgroups)));
}

/** recordGemm on a given kernel (tests and the kernel lab run each candidate through this). */
export function recordGemmWith(k: KernelRecorder, args: GemmGpuArgs, kernel: GemmKernel): void {
  const g = gemmShape(args);
  const { m, n, batch, transB, lda, ldb, ldc, strideA, strideB, strideC, offsetA, offsetB, offsetC, biasPer, biasOffset } = g;
  const depth = g.k;
  const bias = args.bias ?? null;
  if (m === 0 || n === 0 || batch === 0) return;

  checkRegion('A', args.a, offsetA, lda, m, depth, batch, strideA);
  checkRegion('B', args.b, offsetB, ldb, transB ? n : depth, transB ? depth : n, batch, strideB);
  checkRegion('C', args.c, offsetC, ldc, m, n, batch, strideC);
  if (bias) checkRegion('bias', bias, biasOffset, 0, 1, biasPer === 'row' ? m : n, 1, 0);
  if (kernel.quadSubgroups && !k.quadSubgroups) {
    throw new UnsupportedError(`gemm (WebGPU): the ${kernel.name} kernel needs subgroups of 4 invocations, which this device does not have`);
  }
  if (kernel.accepts && !kernel.accepts(g)) {
    throw new ShapeError(`gemm (WebGPU): the ${kernel.name} kernel cannot compute m ${m}, n ${n}, k ${depth} with these strides and offsets`);
  }

  const constants = {
    ...kernel.constants,
    ...activationConstants(args.activation),
    TRANS_B: transB ? 1 : 0,
    BIAS_MODE: bias ? (biasPer === 'row' ? 1 : 2) : 0,
    ACCUMULATE: g.accumulate ? 1 : 0,
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
          shader: kernel.shader,
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
