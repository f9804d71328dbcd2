// Kernel lab for global pooling and softmax: where does a workgroup per plane / line beat an
// invocation per plane / line? Each variant is checked against the CPU reference, then timed.
// Also times the shipped lowering of the other ops of this family on network shapes.
//
//   npx vite build -c bench/lab/pool/vite.config.ts && node bench/lab/pool/dist/lab.js [options]
//   options: --cases <part of a case name>   --variants shipped,windows,…   --target-ms 200
//
// Variants: global pooling by an invocation per plane (windows), a workgroup of 64 or 256 per
// plane (reduce64/256), or two barrier-free passes (twoPass, 02_two_pass.wgsl); softmax by an
// invocation per line (line) or a workgroup of 32/64/256 per line (wg32/64/256).
// Timing: pipelines and bind groups built once and warmed; a trial encodes the dispatches `reps`
// times into one compute pass (one command buffer, as a compiled graph runs), submits it and
// reads 4 bytes back; the median of the trials is shown (and the best, the better estimate on a
// shared machine). GB/s counts the input read once and the output written once.
import type { GpuArg, KernelRecorder } from '../../../src/ops/kernel';
import { grid, uniforms } from '../../../src/ops/kernel';
import { batchNorm2dOp } from '../../../src/ops/norm/batchNorm2d';
import { globalPool2dOp } from '../../../src/ops/pool/globalPool2d';
import { localResponseNormAttrs, localResponseNormOp } from '../../../src/ops/norm/localResponseNorm';
import type { CpuArg, OpDef } from '../../../src/ops/op';
import { dispatchPlaneReduction, dispatchPoolWindows, pool2dOp, wholePlaneWindow, type Pool2dAttrs } from '../../../src/ops/pool/pool2d';
import { softmaxOp } from '../../../src/ops/norm/softmax';
import { Random } from '../../../src/random';
import { sizeOf, type Shape } from '../../../src/shape';
import softmaxWgsl from '../../../shaders/norm/softmax.wgsl?raw';
import { emptyArg, labKernel, medianAndBest, openBackend, option, recordCommands, runLab, timeInRounds, trialsFor, uploadArg, verdict } from '../harness';
import twoPassWgsl from './02_two_pass.wgsl?raw';

type Record = (k: KernelRecorder, inputs: readonly (GpuArg | null)[], outputs: readonly GpuArg[]) => void;

interface Case {
  readonly name: string;
  readonly op: OpDef<unknown>;
  readonly attrs: unknown;
  readonly inputs: readonly (Shape | null)[];
  /** Variants by name; the shipped lowering is always one of them. */
  readonly variants: Readonly<{ [name: string]: Record }>;
}

const globalWindows: Record = (k, [x], [y]) => dispatchPoolWindows(k, x!, y, wholePlaneWindow('avg', sizeOf(x!.shape.slice(2))));
const globalReduce =
  (wg: number): Record =>
  (k, [x], [y]) =>
    dispatchPlaneReduction(k, x!, y, 'avg', x!.shape[0] * x!.shape[1], sizeOf(x!.shape.slice(2)), wg);

const twoPassShader = { label: 'lab-two-pass', code: twoPassWgsl };
const globalTwoPass: Record = (k, [x], [y]) => {
  const planes = x!.shape[0] * x!.shape[1];
  const area = sizeOf(x!.shape.slice(2));
  const chunks = Math.min(area, Math.ceil(Math.sqrt(area)));
  const partial = k.scratch(planes * chunks * 4);
  const u = uniforms().u32(planes, area, chunks).bytes();
  k.dispatch({ shader: twoPassShader, entryPoint: 'partial', constants: { MODE: 1 }, uniforms: u, bindings: [x!, partial], workgroups: grid(planes * chunks, 256) });
  k.dispatch({ shader: twoPassShader, entryPoint: 'combine', constants: { MODE: 1 }, uniforms: u, bindings: [partial, y], workgroups: grid(planes, 64) });
};

const softmaxShader = { label: 'softmax', code: softmaxWgsl };
const softmaxVariant =
  (perWorkgroup: boolean, wg = 64): Record =>
  (k, [x], [y]) => {
    const n = x!.shape[x!.shape.length - 1];
    const lines = sizeOf(x!.shape) / n;
    k.dispatch({
      shader: softmaxShader,
      entryPoint: perWorkgroup ? 'per_workgroup' : 'main',
      constants: perWorkgroup ? { LOG: 0, WG: wg } : { LOG: 0 },
      uniforms: uniforms().u32(lines, n, 1).bytes(),
      bindings: [x!, y],
      workgroups: perWorkgroup ? grid(lines, 1) : grid(lines, 64),
    });
  };

const shipped = (op: OpDef<unknown>, attrs: unknown): Record => (k, inputs, outputs) => op.gpu!(k, inputs, outputs, attrs);

function globalCase(shape: number[]): Case {
  const attrs = { mode: 'avg' };
  const op = globalPool2dOp as OpDef<unknown>;
  return { name: `globalAvg [${shape}]`, op, attrs, inputs: [shape], variants: { shipped: shipped(op, attrs), windows: globalWindows, reduce64: globalReduce(64), reduce256: globalReduce(256), twoPass: globalTwoPass } };
}

function softmaxCase(shape: number[]): Case {
  const attrs = { dim: -1, log: false };
  const op = softmaxOp as OpDef<unknown>;
  return { name: `softmax [${shape}]`, op, attrs, inputs: [shape], variants: { shipped: shipped(op, attrs), line: softmaxVariant(false), wg64: softmaxVariant(true, 64), wg256: softmaxVariant(true, 256), wg32: softmaxVariant(true, 32) } };
}

function shippedCase(name: string, op: OpDef<unknown>, attrs: unknown, inputs: (Shape | null)[]): Case {
  return { name, op, attrs, inputs, variants: { shipped: shipped(op, attrs) } };
}

const maxPool: Pool2dAttrs = { mode: 'max', kernel: [3, 3], stride: [2, 2], padding: [1, 1, 1, 1], dilation: [1, 1], ceilMode: false, countIncludePad: false };
const avgPool: Pool2dAttrs = { mode: 'avg', kernel: [2, 2], stride: [2, 2], padding: [0, 0, 0, 0], dilation: [1, 1], ceilMode: false, countIncludePad: true };

const CASES: Case[] = [
  globalCase([1, 2048, 7, 7]),
  globalCase([32, 2048, 7, 7]),
  globalCase([1, 512, 14, 14]),
  globalCase([1, 256, 28, 28]),
  globalCase([1, 64, 56, 56]),
  globalCase([8, 64, 112, 112]),
  softmaxCase([1, 1000]),
  softmaxCase([64, 1000]),
  softmaxCase([64, 10]),
  softmaxCase([4096, 64]),
  softmaxCase([256, 128]),
  softmaxCase([256, 256]),
  softmaxCase([8, 32768]),
  shippedCase('maxPool 3×3/2 [1,64,112,112]', pool2dOp as OpDef<unknown>, maxPool, [[1, 64, 112, 112]]),
  shippedCase('avgPool 2×2/2 [8,256,56,56]', pool2dOp as OpDef<unknown>, avgPool, [[8, 256, 56, 56]]),
  shippedCase('batchNorm [8,64,112,112]', batchNorm2dOp as OpDef<unknown>, { eps: 1e-5 }, [[8, 64, 112, 112], [64], [64], [64], [64]]),
  shippedCase('LRN 5 [1,96,55,55]', localResponseNormOp as OpDef<unknown>, localResponseNormAttrs({ size: 5, k: 2 }), [[1, 96, 55, 55]]),
];

async function main(): Promise<void> {
  const targetMs = Number(option('target-ms', '200'));
  const only = option('cases', '');
  const backend = await openBackend();
  for (const c of CASES.filter((c) => !only || c.name.includes(only))) {
    const rng = new Random(1);
    const [yShape] = c.op.inferShapes(c.inputs, c.attrs);
    // Positive data for the statistics of BN (variance) and LRN; fine for the others.
    const data = c.inputs.map((s) => (s ? rng.fill(sizeOf(s), 0.1, 2) : null));
    const ref = new Float32Array(sizeOf(yShape));
    c.op.cpu(data.map((d, i) => (d ? ({ data: d, shape: c.inputs[i]! } as CpuArg) : null)), [{ data: ref, shape: yShape }], c.attrs);
    const args = data.map((d, i): GpuArg | null => (d ? uploadArg(backend, d, c.inputs[i]!) : null));
    const y = emptyArg(backend, yShape);
    const bytes = sizeOf(c.inputs[0]!) * 4 + ref.byteLength;
    const chosen = option('variants', '');
    for (const [vname, record] of Object.entries(c.variants).filter(([n]) => !chosen || chosen.split(',').includes(n))) {
      // All repetitions in one compute pass of one command buffer, as a compiled graph runs.
      const kernel = labKernel(backend, recordCommands(backend, (k) => record(k, args, [y]), { scratch: true }), y.buffer);
      const keys = kernel.steps.map((s) => (s.kind === 'dispatch' ? `${s.spec.entryPoint ?? 'main'} ${s.spec.workgroups.join('×')}` : 'copy'));
      const check = await kernel.check(ref);
      // Grow the repetitions until a trial takes a tenth of the target, so the fixed cost of a
      // submit and a read-back (≈ 0.1–2 ms) is spread thin.
      await kernel.timeOnce(1); // the first use of fresh buffers and pipelines costs extra on some drivers
      let reps = 1;
      let first = await kernel.timeOnce(1);
      while (first * reps < targetMs / 10 && reps < 4096) first = await kernel.timeOnce((reps *= 4));
      const trials = trialsFor(first);
      const [times] = await timeInRounds([() => kernel.timeOnce(reps)], trials);
      const { median, best } = medianAndBest(times);
      console.log(
        `${c.name.padEnd(34)} ${vname.padEnd(10)} ${median.toFixed(4).padStart(9)} ms median ${best.toFixed(4).padStart(9)} best  ${(bytes / (median * 1e6)).toFixed(2).padStart(7)} GB/s  (${trials}×${reps}) ${keys.join(', ')}  ${verdict(check)}`,
      );
    }
    for (const a of [...args, y]) a?.buffer.destroy();
  }
  backend.dispose();
}

runLab(main);
