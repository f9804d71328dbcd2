// What the image builders share: their options, the checks on them, and torchvision's default
// initialisation for the deep networks.
import { ShapeError, UnsupportedError } from '../errors.js';
import type { Init, Module } from '../layers/module.js';
import { applyModelOptions } from '../layers/sequential.js';
import { pair } from '../shape.js';

export interface ImageModelOptions {
  /** Input channels (ImageNet models 3, LeNet 1). */
  inChannels?: number;
  /** Outputs of the classifier (ImageNet 1000, LeNet 10). */
  numClasses?: number;
  /** Input height and width, a number for a square image (ImageNet 224, LeNet 28, LeNet-5 32). */
  inputSize?: number | readonly [number, number];
  /** Seed of the default weights (default 0). */
  seed?: number;
}

export interface ImageDefaults {
  readonly inChannels: number;
  readonly numClasses: number;
  readonly inputSize: number;
}

export interface ResolvedImageOptions {
  readonly inChannels: number;
  readonly numClasses: number;
  readonly inputSize: [number, number];
}

/** The options with the model's defaults filled in, checked. */
export function imageOptions(model: string, opts: ImageModelOptions, defaults: ImageDefaults): ResolvedImageOptions {
  const inChannels = positiveInteger(model, 'inChannels', opts.inChannels ?? defaults.inChannels);
  const numClasses = positiveInteger(model, 'numClasses', opts.numClasses ?? defaults.numClasses);
  const inputSize = pair(opts.inputSize ?? defaults.inputSize, `${model}: inputSize`);
  inputSize.forEach((d) => positiveInteger(model, 'inputSize', d));
  return { inChannels, numClasses, inputSize };
}

/** Makes `module` a runnable model of input [inChannels, H, W] with the seed of `opts`. */
export function asImageModel<M extends Module>(module: M, resolved: ResolvedImageOptions, opts: ImageModelOptions): M {
  applyModelOptions(module, { inputShape: [resolved.inChannels, ...resolved.inputSize], seed: opts.seed });
  return module;
}

export function positiveInteger(model: string, what: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new ShapeError(`${model}: ${what} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** `value` if it is one of `allowed`, else an UnsupportedError listing them. */
export function oneOf<T extends string>(model: string, what: string, value: T | undefined, allowed: readonly T[], fallback: T): T {
  const v = value ?? fallback;
  if (!allowed.includes(v)) {
    throw new UnsupportedError(`${model}: ${what} '${String(v)}' is not supported; use one of ${allowed.map((a) => `'${a}'`).join(', ')}`);
  }
  return v;
}

/**
 * Kaiming (He) initialisation for ReLU networks, variance 2 / fan with fan = out·kh·kw ("fan
 * out", torchvision's VGG and ResNet) or in·kh·kw ("fan in"). PyTorch's default uniform
 * ±1/√fan_in shrinks the signal about 2.4× per ReLU layer, so a deep plain stack (VGG-19) would
 * put out its last bias alone; with this the activations keep their scale and the outputs
 * depend on the input. Drawn uniform (PyTorch's kaiming_uniform_) rather than normal as
 * torchvision does: the same variance, and 3× faster to draw for VGG's 138 M weights.
 */
export function kaimingUniform(fan: number): Init {
  return { kind: 'uniform', bound: Math.sqrt(6 / fan) };
}

/** Uniform weights of standard deviation `std` (torchvision's normal(0, std) dense layers). */
export function uniformWithStd(std: number): Init {
  return { kind: 'uniform', bound: std * Math.sqrt(3) };
}

export const ZERO: Init = { kind: 'constant', value: 0 };
