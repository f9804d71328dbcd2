// nn.optim.sgd and nn.optim.adam: what an optimizer adds to a training graph. Each trainable
// parameter gets zero-initialised state tensors (momentum buffer; Adam's m and v) that stay on
// the device with it, and one update node (ops/optim) whose outputs replace parameter and state
// at the end of the step. The step number and learning rate come from the graph's clock [step, lr].
import { ShapeError } from '../errors.js';
import { adamUpdate } from '../ops/optim/adamUpdate.js';
import { sgdUpdate } from '../ops/optim/sgdUpdate.js';
import type { OpRunner } from '../ops/op.js';
import type { Shape } from '../shape.js';

export interface SgdOptions {
  lr: number;
  /** Default 0. */
  momentum?: number;
  /** Default 0. */
  dampening?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Default false; needs momentum > 0 and dampening 0, as in PyTorch. */
  nesterov?: boolean;
  /** Clip the gradients' total 2-norm to this before the step, as torch.nn.utils.clip_grad_norm_ (default none). */
  clipGradNorm?: number;
}

export interface AdamOptions {
  /** Default 1e-3. */
  lr?: number;
  /** Default [0.9, 0.999]. */
  betas?: readonly [number, number];
  /** Default 1e-8. */
  eps?: number;
  /** L2 penalty added to the gradient (default 0). */
  weightDecay?: number;
  /** Clip the gradients' total 2-norm to this before the step, as torch.nn.utils.clip_grad_norm_ (default none). */
  clipGradNorm?: number;
}

type Shaped = { readonly shape: Shape };

export interface Optimizer {
  readonly kind: 'sgd' | 'adam';
  /** The initial learning rate. */
  readonly lr: number;
  /** The gradients' total 2-norm is clipped to this before the updates (clip_grad_norm_); null for none. */
  readonly clipGradNorm: number | null;
  /** Names of the state tensors each parameter gets (zeros of its shape). */
  readonly stateNames: readonly string[];
  /** @internal Emits one parameter's update; returns the new parameter and new states (in stateNames order). */
  update<T extends Shaped>(r: OpRunner<T>, param: T, grad: T, states: readonly T[], clock: T): { param: T; states: T[] };
}

function number(value: unknown, what: string, ok: (v: number) => boolean, expected: string): number {
  if (typeof value !== 'number' || !ok(value)) throw new ShapeError(`${what} must be ${expected}, got ${String(value)}`);
  return value;
}
const nonNegative = (v: number) => v >= 0 && v < Infinity;
const clipOption = (value: unknown, what: string): number | null =>
  value === undefined || value === null ? null : number(value, what, (v) => v > 0 && v < Infinity, 'a positive number');

/** torch.optim.SGD. */
export function sgd(opts: SgdOptions): Optimizer {
  if (!opts || typeof opts !== 'object') throw new ShapeError('optim.sgd: expected options { lr, momentum?, dampening?, weightDecay?, nesterov?, clipGradNorm? }');
  const lr = number(opts.lr, 'optim.sgd: lr', nonNegative, 'a number ≥ 0');
  const momentum = number(opts.momentum ?? 0, 'optim.sgd: momentum', nonNegative, 'a number ≥ 0');
  const dampening = number(opts.dampening ?? 0, 'optim.sgd: dampening', Number.isFinite, 'a finite number');
  const weightDecay = number(opts.weightDecay ?? 0, 'optim.sgd: weightDecay', nonNegative, 'a number ≥ 0');
  const nesterov = opts.nesterov ?? false;
  if (nesterov && (momentum <= 0 || dampening !== 0)) throw new ShapeError('optim.sgd: nesterov needs momentum > 0 and dampening 0');
  const attrs = { momentum, dampening, weightDecay, nesterov };
  return {
    kind: 'sgd',
    lr,
    clipGradNorm: clipOption(opts.clipGradNorm, 'optim.sgd: clipGradNorm'),
    stateNames: momentum !== 0 ? ['momentum_buffer'] : [],
    update(r, param, grad, states, clock) {
      const [p, buf] = sgdUpdate(r, param, grad, states[0] ?? null, clock, attrs);
      return { param: p, states: buf ? [buf] : [] };
    },
  };
}

/** torch.optim.Adam (amsgrad off). */
export function adam(opts: AdamOptions = {}): Optimizer {
  if (!opts || typeof opts !== 'object') throw new ShapeError('optim.adam: expected options { lr?, betas?, eps?, weightDecay?, clipGradNorm? }');
  const lr = number(opts.lr ?? 1e-3, 'optim.adam: lr', nonNegative, 'a number ≥ 0');
  const betas = opts.betas ?? [0.9, 0.999];
  if (!Array.isArray(betas) || betas.length !== 2) throw new ShapeError(`optim.adam: betas must be a pair of numbers in [0, 1), got ${String(betas)}`);
  const inUnit = (v: number) => v >= 0 && v < 1;
  const beta1 = number(betas[0], 'optim.adam: betas[0]', inUnit, 'in [0, 1)');
  const beta2 = number(betas[1], 'optim.adam: betas[1]', inUnit, 'in [0, 1)');
  const eps = number(opts.eps ?? 1e-8, 'optim.adam: eps', nonNegative, 'a number ≥ 0');
  const weightDecay = number(opts.weightDecay ?? 0, 'optim.adam: weightDecay', nonNegative, 'a number ≥ 0');
  const attrs = { beta1, beta2, eps, weightDecay };
  return {
    kind: 'adam',
    lr,
    clipGradNorm: clipOption(opts.clipGradNorm, 'optim.adam: clipGradNorm'),
    stateNames: ['exp_avg', 'exp_avg_sq'],
    update(r, param, grad, [m, v], clock) {
      const [p, m2, v2] = adamUpdate(r, param, grad, m, v, clock, attrs);
      return { param: p, states: [m2, v2] };
    },
  };
}
