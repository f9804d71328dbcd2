// The contract every op implements. An op is one file in its family folder (src/ops/<family>/):
// its attributes, its shape rule, its MAC count, its CPU reference kernel and how its WebGPU
// kernels are bound (through the recording vocabulary of kernel.ts).
// Eager calls (backend.ops.*) and compiled graphs both run ops through this one definition.
import type { GpuLowering } from './kernel.js';
import type { Shape } from '../shape.js';

/** A tensor as a CPU kernel sees it: exactly its elements, row-major. */
export interface CpuArg {
  readonly data: Float32Array;
  readonly shape: Shape;
}

export interface OpDef<A> {
  /** The op's name as users see it in errors and summaries, e.g. 'conv2d'. */
  readonly name: string;
  /**
   * Checks the input shapes and attributes and returns the output shapes. Throws a ShapeError
   * naming the op, the shapes and what was expected. `null` marks an absent optional input.
   */
  inferShapes(inputs: readonly (Shape | null)[], attrs: A): Shape[];
  /** The reference kernel: reads `inputs`, writes every element of the preallocated `outputs`. */
  cpu(inputs: readonly (CpuArg | null)[], outputs: readonly CpuArg[], attrs: A): void;
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
