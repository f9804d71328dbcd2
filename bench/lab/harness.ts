// What the WebGPU kernel labs (bench/lab/*) do alike: record the work a lowering describes without
// running it, build its pipelines and bind groups once, replay it `reps` times, read an output
// back, compare it with the CPU reference, and time trials. Each lab keeps its own cases,
// variants, number of trials and tables; the pieces here only do the same things the same way.
import { create } from 'webgpu';
import { scratchArg, type DispatchSpec, type GpuArg, type GpuRegion, type KernelRecorder } from '../../src/ops/kernel';
import { UNIFORM_USAGE } from '../../src/backends/webgpu/device';
import { WebGpuBackend } from '../../src/backends/webgpu/webgpuBackend';
import { sizeOf, type Shape } from '../../src/shape';

// GPUBufferUsage.MAP_READ (= GPUMapMode.READ) and COPY_DST: Node has no such globals.
const MAP_READ = 0x01;
const COPY_DST = 0x08;

// ---------------------------------------------------------------------------------------------
// Running a lab

/** The value after `--name` on the command line, or `def`. */
export function option(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

/** A backend on the adapter Dawn finds, after printing which one (figures mean little without it). */
export async function openBackend(): Promise<WebGpuBackend> {
  const backend = await WebGpuBackend.create({ gpu: create([]) as GPU });
  const info = backend.device.adapterInfo;
  console.log(`adapter: ${info.vendor} ${info.architecture} ${info.device} ${info.description}`.replace(/\s+/g, ' '));
  return backend;
}

/** Runs a lab's `main`, exiting non-zero with the error if it throws. */
export function runLab(main: () => Promise<void>): void {
  void main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

/** A storage buffer holding `data`, as a kernel argument of `shape`. */
export function uploadArg(backend: WebGpuBackend, data: Float32Array, shape: Shape): GpuArg {
  return { buffer: backend.createBufferWith(data), offset: 0, size: Math.max(4, data.byteLength), shape };
}

/** A zeroed storage buffer for a tensor of `shape`, as a kernel argument. */
export function emptyArg(backend: WebGpuBackend, shape: Shape): GpuArg {
  const bytes = sizeOf(shape) * 4;
  return { buffer: backend.createBuffer(bytes), offset: 0, size: Math.max(4, bytes), shape };
}

// ---------------------------------------------------------------------------------------------
// Recording and replaying a lowering

/** One piece of the work a lowering describes, in the order it described them. */
export type Command = { readonly kind: 'dispatch'; readonly spec: DispatchSpec } | CopyCommand;
export type CopyCommand = { readonly kind: 'copy'; readonly from: GpuRegion; readonly to: GpuRegion; readonly bytes: number };

/** A dispatch written by hand (not recorded from a lowering) as a command. */
export const dispatchCommand = (spec: DispatchSpec): Command => ({ kind: 'dispatch', spec });

/**
 * The commands `lower` records, without running them. With `scratch`, a scratch request gets a
 * fresh buffer (never freed: a lab is short-lived); without, it throws, as most labs want none.
 */
export function recordCommands(backend: WebGpuBackend, lower: (k: KernelRecorder) => void, { scratch = false } = {}): Command[] {
  const commands: Command[] = [];
  lower({
    limits: backend.limits,
    softwareAdapter: backend.softwareAdapter,
    quadSubgroups: backend.quadSubgroups,
    dispatch: (spec) => commands.push({ kind: 'dispatch', spec }),
    scratch: (bytes) => {
      if (!scratch) throw new Error('lab: no scratch');
      return scratchArg(backend.createBuffer(bytes, 'scratch'), bytes);
    },
    copy: (from, to, bytes) => commands.push({ kind: 'copy', from, to, bytes }),
  });
  return commands;
}

/** A command ready to encode: a dispatch with its pipeline and bind group, or a copy. */
export type Step = { readonly kind: 'dispatch'; readonly spec: DispatchSpec; readonly pipeline: GPUComputePipeline; readonly bindGroup: GPUBindGroup } | CopyCommand;

/** Builds each dispatch's pipeline, uniform buffer and bind group once, outside any timed region. */
export function prepareSteps(backend: WebGpuBackend, commands: readonly Command[]): Step[] {
  return commands.map((c) => {
    if (c.kind === 'copy') return c;
    const pipeline = backend.pipelines.get(c.spec);
    const u = c.spec.uniforms;
    const uniform = u ? { buffer: backend.createBufferWith(u, UNIFORM_USAGE), offset: 0, size: u.byteLength } : null;
    return { kind: 'dispatch', spec: c.spec, pipeline, bindGroup: backend.bindGroup(pipeline, c.spec, uniform) };
  });
}

/** Encodes `reps` repetitions of `steps`: dispatches share a compute pass, which a copy ends. */
export function encodeSteps(encoder: GPUCommandEncoder, steps: readonly Step[], reps: number): void {
  let pass: GPUComputePassEncoder | null = null;
  for (let r = 0; r < reps; r++) {
    for (const s of steps) {
      if (s.kind === 'copy') {
        pass?.end();
        pass = null;
        encoder.copyBufferToBuffer(s.from.buffer, s.from.offset, s.to.buffer, s.to.offset, s.bytes);
      } else {
        pass ??= encoder.beginComputePass();
        pass.setPipeline(s.pipeline);
        pass.setBindGroup(0, s.bindGroup);
        pass.dispatchWorkgroups(...s.spec.workgroups);
      }
    }
  }
  pass?.end();
}

export interface SubmitOptions {
  /** Repetitions per command buffer; more go into further submits. Default: all in one. */
  readonly perSubmit?: number;
  /** Encoded first in every command buffer (e.g. clearing a state the steps accumulate into). */
  readonly prologue?: (encoder: GPUCommandEncoder) => void;
}

/** Submits `reps` repetitions of `steps` without waiting for them. */
export function submitSteps(device: GPUDevice, steps: readonly Step[], reps: number, { perSubmit = Infinity, prologue }: SubmitOptions = {}): void {
  for (let done = 0; done < reps; done += perSubmit) {
    const encoder = device.createCommandEncoder();
    prologue?.(encoder);
    encodeSteps(encoder, steps, Math.min(perSubmit, reps - done));
    device.queue.submit([encoder.finish()]);
  }
}

/** Zeroes `buffer` (queued after the work before it). */
export function clearBuffer(device: GPUDevice, buffer: GPUBuffer): void {
  const encoder = device.createCommandEncoder();
  encoder.clearBuffer(buffer);
  device.queue.submit([encoder.finish()]);
}

/** The first `bytes` of `buffer` as floats, once the work queued before has run. */
export async function readBack(device: GPUDevice, buffer: GPUBuffer, bytes: number): Promise<Float32Array> {
  const staging = device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
  const encoder = device.createCommandEncoder();
  encoder.copyBufferToBuffer(buffer, 0, staging, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await staging.mapAsync(MAP_READ);
  const out = new Float32Array(staging.getMappedRange().slice(0));
  staging.destroy();
  return out;
}

// ---------------------------------------------------------------------------------------------
// Checking

/** DESIGN.md's tolerance for a result whose reference is `ref`: 1e-4 + 1e-3·max|ref|. */
export function tolerance(ref: Float32Array): number {
  return 1e-4 + 1e-3 * ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
}

/** The largest |got − ref|; a NaN in `got`, or a length other than ref's, counts as Infinity. */
export function worstError(got: Float32Array, ref: Float32Array): number {
  if (got.length !== ref.length) return Infinity;
  let worst = 0;
  for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Number.isNaN(got[i]) ? Infinity : Math.abs(got[i] - ref[i]));
  return worst;
}

export interface Check {
  readonly ok: boolean;
  readonly worst: number;
  readonly tol: number;
}

/** `got` against `ref` within DESIGN.md's tolerance. */
export function compare(got: Float32Array, ref: Float32Array): Check {
  const worst = worstError(got, ref);
  const tol = tolerance(ref);
  return { ok: worst <= tol, worst, tol };
}

/** How a lab's log line ends: `ok`, or the error that made the result wrong. */
export function verdict(c: Check): string {
  return c.ok ? 'ok' : `WRONG max err ${c.worst} > ${c.tol}`;
}

// ---------------------------------------------------------------------------------------------
// Timing

/** A lowering ready to run on the lab's device, writing into one output buffer. */
export interface LabKernel {
  readonly steps: readonly Step[];
  /** Submits `reps` repetitions, without waiting. */
  submit(reps: number): void;
  /** Zeroes the output, runs once (which also warms the pipelines), reads it back and compares it with `ref`. */
  check(ref: Float32Array): Promise<Check>;
  /**
   * One trial: milliseconds per repetition of `reps` repetitions followed by a 4-byte read of
   * the output, so the time covers the GPU work of every submit.
   */
  timeOnce(reps: number): Promise<number>;
}

export function labKernel(backend: WebGpuBackend, commands: readonly Command[], output: GPUBuffer, options: SubmitOptions = {}): LabKernel {
  const device = backend.device;
  const steps = prepareSteps(backend, commands);
  const submit = (reps: number) => submitSteps(device, steps, reps, options);
  return {
    steps,
    submit,
    async check(ref) {
      clearBuffer(device, output);
      submit(1);
      return compare(await readBack(device, output, ref.byteLength), ref);
    },
    async timeOnce(reps) {
      const t0 = await labClock();
      submit(reps);
      await readBack(device, output, 4);
      return ((await labClock()) - t0) / reps;
    },
  };
}

/**
 * The clock trials read, in ms: wall time, or with `--cpu-time` the CPU time of the process that
 * runs the adapter (Node: this process, Dawn's SwiftShader threads included; Chromium: its GPU
 * process, read by bench/lab/browser/run.mjs). On a machine shared with other work, CPU time
 * swings far less than wall time; it counts every core, so on an idle 2-core machine a kernel's
 * wall-time rate is up to twice its CPU-time rate.
 */
async function labClock(): Promise<number> {
  if (!process.argv.includes('--cpu-time')) return performance.now();
  const browserClock = (globalThis as { labCpuMs?: () => Promise<number> }).labCpuMs;
  if (browserClock) return browserClock();
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

/** Repetitions per trial so that one takes about `targetMs`, from one that took `firstMs`; within [min, max]. */
export function repsFor(targetMs: number, firstMs: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, Math.round(targetMs / firstMs)));
}

/** Trials of a kernel whose first trial took `firstMs`: fewer for slow ones, so a case takes seconds, not minutes. */
export function trialsFor(firstMs: number): number {
  return firstMs > 1000 ? 1 : firstMs > 300 ? 3 : 7;
}

/**
 * The times of `rounds` rounds in which every trial (null: none) runs once in turn, so that load
 * from other work on a shared machine slows all of them alike. With one trial, `rounds` trials of it.
 */
export async function timeInRounds(trials: readonly ((() => Promise<number>) | null)[], rounds: number): Promise<number[][]> {
  const times = trials.map((): number[] => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, trial] of trials.entries()) if (trial) times[i].push(await trial());
  }
  return times;
}

/** The median and the best (smallest) of trial times; the best is the better estimate on a shared machine. */
export function medianAndBest(times: readonly number[]): { median: number; best: number } {
  const sorted = times.slice().sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], best: sorted[0] };
}
