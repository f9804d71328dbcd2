// Kernel lab for the data-movement ops: numbered variants of add and of the strided copy behind
// permute/concat, each checked against the CPU reference and timed on whatever adapter Dawn finds.
//   add      v1  binary_v1_loop.wgsl: `same` scalar; `broadcast` loops over a uniform rank
//            v2  binary_v2_vec4.wgsl: vec4 loads/stores for equal shapes
//            ship  binaryOp.gpu (same4 = v2; broadcast = v3-style unrolled peeling)
//   permute  v1  strided_copy_v1_loop.wgsl: loop over a uniform rank, dynamic indexing
//            v2  transpose_v2_tiled.wgsl: 32×32 tiles through workgroup memory
//            v3  strided_copy_v3_unrolled.wgsl: RANK override, peeling written out per slot
//            v4  strided_copy_v4_run.wgsl: v3 plus runs of RUN elements per invocation
//            ship  permuteOp.gpu (v3 through the shared strided_offsets.wgsl)
// Timing: each case's commands are encoded `reps` times into one command buffer with fixed
// buffers (no allocation inside the timed region); seconds per rep = wall time from submit to
// done over reps, the median of 7 such samples, with GB/s counting bytes read + written.
// Run: bench/lab/run.sh [bench/lab/data-movement.ts]; LAB_CASES=add,permute,concat picks cases,
// LAB_SLOW=0 skips the variants that crawl on SwiftShader (v1 broadcast, v2 tiles). Elsewhere:
// copy the bundle (node_modules/.lab/lab.mjs) next to node_modules/webgpu (index.js,
// package.json, dist/<platform>) and run it with node; on Linux Dawn needs libvulkan.so.1 and
// the vendor's ICD (VK_DRIVER_FILES).
//
// Results (medians; SwiftShader on this 2-core machine shared with other jobs, load ~15, so its
// absolute figures are several times too slow, the ratios hold):
//   case                                   H200 (Dawn/Vulkan, 2026-11-26)   SwiftShader
//   add 1e7 equal        v1 scalar          40.3 µs  2.98 TB/s                1.44–1.89 s
//                        v2 vec4            31.5 µs  3.81 TB/s                0.57–0.86 s
//                        shipped (same4)    31.2 µs  3.84 TB/s                0.75–0.78 s
//   add [10,64,125,125]+[64,1,1]  v1 loop   92.7 µs  0.86 TB/s                8.6–14 s
//                        shipped            45.2 µs  1.77 TB/s                3.1 s
//   permute [8,64,56,56]→[0,2,3,1] v1 loop  17.5 µs  0.73 TB/s                1.2–2.2 s
//                        v2 32×32 tiles      7.2 µs  1.79 TB/s                9.5 s
//                        v3 unrolled        10.3 µs  1.25 TB/s                0.34–0.36 s
//                        v4 runs of 4       11.4 µs  1.12 TB/s                0.21–0.35 s
//                        v4 runs of 16      23.0 µs  0.56 TB/s                0.11–0.21 s
//                        shipped (v3)       10.4 µs  1.24 TB/s                0.30 s
//   concat 2×[8,64,56,56] dim 1, shipped    14.7 µs  1.75 TB/s                0.64 s
// (TB/s counts bytes read + written.) Shipped: v3 for copies and broadcasts — the tiles win on
// a real GPU by 3 µs here but lose 25× on SwiftShader, runs win on SwiftShader but lose 2× on
// the GPU (uncoalesced stores) — and vec4 for equal shapes, the best on both.
import { CpuBackend } from '../../src/backends/cpu/cpuBackend';
import { grid, uniforms, type DispatchSpec, type GpuArg } from '../../src/ops/kernel';
import { binaryOp } from '../../src/ops/elementwise/binary';
import { concatOp } from '../../src/ops/shape/concat';
import { permuteOp } from '../../src/ops/shape/permute';
import { mergeAxes, stridedUniforms } from '../../src/ops/shape/stridedCopyGpu';
import { Random } from '../../src/random';
import { broadcastStrides, sizeOf, stridesOf, type Shape } from '../../src/shape';
import binaryV1 from './binary_v1_loop.wgsl?raw';
import binaryV2 from './binary_v2_vec4.wgsl?raw';
import copyV1 from './strided_copy_v1_loop.wgsl?raw';
import copyV3 from './strided_copy_v3_unrolled.wgsl?raw';
import copyV4 from './strided_copy_v4_run.wgsl?raw';
import { dispatchCommand, emptyArg, encodeSteps, medianAndBest, openBackend, prepareSteps, readBack, recordCommands, repsFor, uploadArg, worstError, type Command } from './harness';
import transposeV2 from './transpose_v2_tiled.wgsl?raw';

const only = (process.env.LAB_CASES ?? 'add,permute,concat').split(',');
const slow = process.env.LAB_SLOW !== '0';

const backend = await openBackend();
const cpu = new CpuBackend();
const device = backend.device;
const rng = new Random(1);

const input = (data: Float32Array, shape: Shape): GpuArg => uploadArg(backend, data, shape);
const output = (shape: Shape): GpuArg => emptyArg(backend, shape);
const record = (lower: Parameters<typeof recordCommands>[1]): Command[] => recordCommands(backend, lower);
const dispatch = (spec: DispatchSpec): Command[] => [dispatchCommand(spec)];

/** Median seconds per repetition of `commands`. */
async function time(commands: Command[]): Promise<number> {
  const steps = prepareSteps(backend, commands);
  // Encoded before the clock starts: the time runs from submit to done.
  const runReps = async (reps: number): Promise<number> => {
    const encoder = device.createCommandEncoder();
    encodeSteps(encoder, steps, reps);
    const t0 = performance.now();
    device.queue.submit([encoder.finish()]);
    await device.queue.onSubmittedWorkDone();
    return performance.now() - t0;
  };
  await runReps(2);
  const once = await runReps(1);
  const reps = repsFor(100, Math.max(once, 1e-3), 1, 1000);
  const samples: number[] = [];
  for (let i = 0; i < 7; i++) samples.push((await runReps(reps)) / reps);
  return medianAndBest(samples).median / 1000;
}

/** Times `commands`, then checks `out` against `ref` (the output is zeroed first). */
async function report(label: string, commands: Command[], out: GpuArg, ref: Float32Array, bytes: number, elements: number): Promise<void> {
  device.queue.writeBuffer(out.buffer, 0, new Float32Array(sizeOf(out.shape)));
  const s = await time(commands);
  const err = worstError(await readBack(device, out.buffer, sizeOf(out.shape) * 4), ref);
  console.log(
    `${label.padEnd(58)} ${(s * 1e6).toFixed(1).padStart(10)} µs ${(bytes / s / 1e9).toFixed(1).padStart(7)} GB/s ${(elements / s / 1e9).toFixed(3).padStart(7)} Gelem/s  max|err| ${err}`,
  );
}

/** A uniform block in the v1/v3/v4 layout: a 4-word header [count, rank or runs per row, 0, 0], then the axes. */
function axesBlock(header: [number, number, 0, 0], shape: readonly number[], s0: readonly number[], s1: readonly number[]): ArrayBuffer {
  // The shipped block (strided_offsets.wgsl) has the same axes after a different header.
  const bytes = stridedUniforms({ count: 0, shape, strides0: s0, strides1: s1 });
  new Uint32Array(bytes, 0, 4).set(header);
  return bytes;
}

/** A dispatch of copy variant 1, 3 or 4 for a block of `shape` between two strided layouts. */
function copySpec(version: 1 | 3 | 4, from: GpuArg, to: GpuArg, shape: Shape, fromStrides: number[], toStrides: number[], run = 4): DispatchSpec {
  const m = mergeAxes(shape, [fromStrides, toStrides]);
  const rank = m.shape.length;
  const count = sizeOf(m.shape);
  const [s0, s1] = m.strides;
  if (version === 4) {
    const runsPerRow = Math.ceil(m.shape[rank - 1] / run);
    const invocations = (count / m.shape[rank - 1]) * runsPerRow;
    return {
      shader: { label: 'lab_copy_v4', code: copyV4 },
      constants: { RANK: rank, RUN: run },
      uniforms: axesBlock([invocations, runsPerRow, 0, 0], m.shape, s0, s1),
      bindings: [from, to],
      workgroups: grid(invocations, 256),
    };
  }
  return {
    shader: version === 1 ? { label: 'lab_copy_v1', code: copyV1 } : { label: 'lab_copy_v3', code: copyV3 },
    constants: version === 1 ? undefined : { RANK: rank },
    uniforms: axesBlock([count, rank, 0, 0], m.shape, s0, s1),
    bindings: [from, to],
    workgroups: grid(count, 256),
  };
}

/** add through binary_v1_loop.wgsl. */
function binaryV1Spec(a: GpuArg, b: GpuArg, y: GpuArg): DispatchSpec {
  const m = mergeAxes(y.shape, [broadcastStrides(a.shape, y.shape), broadcastStrides(b.shape, y.shape)]);
  const n = sizeOf(y.shape);
  const same = m.shape.length <= 1 && m.strides.every((s) => s.every((v) => v === 1));
  return {
    shader: { label: 'lab_binary_v1', code: binaryV1 },
    entryPoint: same ? 'same' : 'broadcast',
    constants: { OP: 0 },
    uniforms: axesBlock([n, m.shape.length, 0, 0], m.shape, m.strides[0], m.strides[1]),
    bindings: [a, b, y],
    workgroups: grid(n, 256),
  };
}

if (only.includes('add')) {
  const n = 1e7;
  const a = rng.fill(n);
  const b = rng.fill(n);
  const ref = await cpu.ops.add(cpu.tensor(a, [n]), cpu.tensor(b, [n])).data();
  const [ga, gb, gy] = [input(a, [n]), input(b, [n]), output([n])];
  await report('add 1e7 equal, v1 (scalar)', dispatch(binaryV1Spec(ga, gb, gy)), gy, ref, 12 * n, n);
  const v2: DispatchSpec = {
    shader: { label: 'lab_binary_v2', code: binaryV2 },
    uniforms: uniforms().u32(n / 4).bytes(),
    bindings: [ga, gb, gy],
    workgroups: grid(n / 4, 256),
  };
  await report('add 1e7 equal, v2 (vec4)', dispatch(v2), gy, ref, 12 * n, n);
  await report('add 1e7 equal, shipped', record((k) => binaryOp.gpu!(k, [ga, gb], [gy], { kind: 'add' })), gy, ref, 12 * n, n);
  // Per-channel broadcast [10, 64, 125, 125] + [64, 1, 1] (1e7 elements): 3 merged axes.
  const xs = [10, 64, 125, 125];
  const c = rng.fill(64);
  const refC = await cpu.ops.add(cpu.tensor(a, xs), cpu.tensor(c, [64, 1, 1])).data();
  const gc = input(c, [64, 1, 1]);
  const [gx, gyx] = [{ ...ga, shape: xs }, { ...gy, shape: xs }];
  if (slow) await report('add [10,64,125,125] + [64,1,1], v1 (loop)', dispatch(binaryV1Spec(gx, gc, gyx)), gyx, refC, 8 * n, n);
  await report('add [10,64,125,125] + [64,1,1], shipped', record((k) => binaryOp.gpu!(k, [gx, gc], [gyx], { kind: 'add' })), gyx, refC, 8 * n, n);
}

if (only.includes('permute')) {
  // [8, 64, 56, 56] -> [0, 2, 3, 1] (NCHW -> NHWC)
  const shape = [8, 64, 56, 56];
  const outShape = [8, 56, 56, 64];
  const n = sizeOf(shape);
  const x = rng.fill(n);
  const ref = await cpu.ops.permute(cpu.tensor(x, shape), [0, 2, 3, 1]).data();
  const gx = input(x, shape);
  const gy = output(outShape);
  const xStrides = stridesOf(shape);
  const fromStrides = [0, 2, 3, 1].map((axis) => xStrides[axis]);
  const dense = stridesOf(outShape);
  const label = 'permute [8,64,56,56]→[0,2,3,1],';
  await report(`${label} v1 (loop)`, dispatch(copySpec(1, gx, gy, outShape, fromStrides, dense)), gy, ref, 8 * n, n);
  const v2: DispatchSpec = {
    shader: { label: 'lab_transpose_v2', code: transposeV2 },
    uniforms: uniforms().u32(64, 56 * 56).bytes(),
    bindings: [gx, gy],
    workgroups: [Math.ceil((56 * 56) / 32), Math.ceil(64 / 32), 8],
  };
  if (slow) await report(`${label} v2 (32×32 tiles)`, dispatch(v2), gy, ref, 8 * n, n);
  await report(`${label} v3 (unrolled)`, dispatch(copySpec(3, gx, gy, outShape, fromStrides, dense)), gy, ref, 8 * n, n);
  for (const run of [4, 16]) {
    await report(`${label} v4 (runs of ${run})`, dispatch(copySpec(4, gx, gy, outShape, fromStrides, dense, run)), gy, ref, 8 * n, n);
  }
  await report(`${label} shipped`, record((k) => permuteOp.gpu!(k, [gx], [gy], { dims: [0, 2, 3, 1] })), gy, ref, 8 * n, n);
}

if (only.includes('concat')) {
  // Two [8, 64, 56, 56] along channels: one 2-axis strided copy per input.
  const shape = [8, 64, 56, 56];
  const n = sizeOf(shape);
  const [x1, x2] = [rng.fill(n), rng.fill(n)];
  const ref = await cpu.ops.concat([cpu.tensor(x1, shape), cpu.tensor(x2, shape)], { dim: 1 }).data();
  const [g1, g2] = [input(x1, shape), input(x2, shape)];
  const gy = output([8, 128, 56, 56]);
  await report('concat 2×[8,64,56,56] along dim 1, shipped', record((k) => concatOp.gpu!(k, [g1, g2], [gy], { dim: 1 })), gy, ref, 16 * n, 2 * n);
}

backend.dispose();
