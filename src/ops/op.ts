// The contract every op implements. An op is one file in its family folder (src/ops/<family>/):
// its attributes, its shape rule, its MAC count, its CPU reference kernel and how its WebGPU
// kernels are bound (through the recording vocabulary of kernel.ts).
// Eager calls (backend.ops.*) and compiled graphs both run ops through this one definition.
import type { GpuLowering } from './kernel.js';
import type { Shape } from '../shape.js';
import type { Activation } from './elementwise/activationKind.js';
import type { Window2d } from './window.js';

/** A tensor as a CPU kernel sees it: exactly its elements, row-major. */
export interface CpuArg {
  readonly data: Float32Array;
  readonly shape: Shape;
}

/** The bias and activation a dense product applies to its result (a fused epilogue). */
export interface GemmEpilogue {
  /** bias[j] added to column j ('column', linear), or bias[i] to row i ('row', convolution). */
  readonly bias: Float32Array | null;
  readonly biasPer: 'row' | 'column';
  readonly activation?: Activation | undefined;
}

/**
 * C (+)= op(A)·op(B) in BLAS sgemm's argument order, then the epilogue (ops/gemm/gemm.ts has
 * the reference and the exact contract).
 */
export type GemmKernel = (
  transA: boolean, transB: boolean, m: number, n: number, k: number,
  a: Float32Array, aOffset: number, lda: number,
  b: Float32Array, bOffset: number, ldb: number,
  c: Float32Array, cOffset: number, ldc: number,
  accumulate?: boolean, epilogue?: GemmEpilogue,
) => void;

/**
 * The dense kernels a CPU backend hands to ops' `cpu` functions: the TypeScript references
 * (ops/cpuKernels.ts) or faster ones with the same contract (the wasm SIMD kernels of
 * backends/cpu/wasm/), which the tests check against the references. Kernels of one op family
 * may add members of their own (recurrentMath.ts's RecurrentKernels).
 */
export interface CpuKernels {
  readonly gemm: GemmKernel;
  /** conv2d's forward kernel: x [N, C, H, W], w [O, C/g, kh, kw], b [O] | null -> y [N, O, OH, OW], then the activation. */
  readonly conv2d: (x: CpuArg, w: CpuArg, b: CpuArg | null, y: CpuArg, win: Window2d, groups: number, activation?: Activation) => void;
}

export interface OpDef<A> {
  /** The op's name as users see it in errors and summaries, e.g. 'conv2d'. */
  readonly name: string;
  /**
   * Checks the input shapes and attributes and returns the output shapes. Throws a ShapeError
   * naming the op, the shapes and what was expected. `null` marks an absent optional input.
   */
  inferShapes(inputs: readonly (Shape | null)[], attrs: A): Shape[];
  /**
   * The CPU kernel: reads `inputs`, writes every element of the preallocated `outputs`. Ops
   * built on a dense product call it through `kernels` (the reference ones when absent).
   */
  cpu(inputs: readonly (CpuArg | null)[], outputs: readonly CpuArg[], attrs: A, kernels?: CpuKernels): void;
  /** Multiply-accumulates for these shapes (convolutions, dense and recurrent matmuls). */
  macs?(inputs: readonly (Shape | null)[], attrs: A): number;
  /**
   * True when output 0 is input 0's elements unchanged under a new shape (reshape, flatten,
   * dropout at inference): backends share the storage instead of copying, and `cpu` is unused.
   */
  readonly view?: boolean;
  /**
   * The WebGPU lowering (kernel.ts). Every op of the op table (ops/index.ts) has one; it is
   * optional for ops made in tests, and a backend asked to run an op without one raises an
   * UnsupportedError.
   */
  readonly gpu?: GpuLowering<A>;
  /**
   * Inputs (by index) whose GpuArg may come split into `parts` because the tensor is larger
   * than one storage binding (linear and matmul weights). Any other too-large tensor is a
   * DeviceLimitError at compile.
   */
  readonly gpuAcceptsParts?: readonly number[];
  /**
   * True when the WebGPU lowering writes output 0 through a GpuArg with `batchStride` (its images
   * apart by more than their size: a channel slice of a concat's output, graph/plan.ts), so a
   * compiled graph lets it write its part of a concat in place instead of copying it there.
   */
  readonly gpuWritesSlices?: boolean;
  /**
   * Reverse mode (graph/reverse.ts): given the loss's gradient with respect to each output,
   * emits the ops that compute its gradient with respect to each input that `needs` one. An op
   * without a rule cannot be trained through (UnsupportedError naming it).
   */
  readonly grad?: GradRule<A>;
  /**
   * Reverse mode: the attributes under which the op also outputs what its gradient rule reads
   * (extra outputs after the usual ones, as the recurrent ops' per-step gates). Reverse mode
   * switches a node to them when a gradient flows through it; inference never pays for them.
   */
  keepForGrad?(attrs: A): unknown;
}

type Shaped = { readonly shape: Shape };

/** What a gradient rule may use: the op table of the graph being built, and constants. */
export interface GradRunner<T extends Shaped> extends OpRunner<T> {
  /** A fixed tensor (a scale, a row of ones). */
  constant(values: Float32Array, shape: Shape): T;
}

export interface GradArgs<T, A> {
  readonly inputs: readonly (T | null)[];
  readonly outputs: readonly T[];
  /** The gradient with respect to each output; null where none flows back (an unused output). */
  readonly dys: readonly (T | null)[];
  /** Which inputs need a gradient; a rule returns null for the others and skips their work. */
  readonly needs: readonly boolean[];
  readonly attrs: A;
}

/** Gradients of the inputs (null where not needed or not defined, such as an integer index input). */
export type GradRule<A> = <T extends Shaped>(r: GradRunner<T>, g: GradArgs<T, A>) => readonly (T | null)[];

/** Something that runs ops on values of type T: a backend (eager Tensors) or a graph tracer. */
export interface OpRunner<T extends { readonly shape: Shape }> {
  runOp<A>(op: OpDef<A>, inputs: readonly (T | null)[], attrs: A): T[];
}
