// Kernel lab for the WebGPU convolution (llm.c's dev/ habit): numbered variants of the kernel,
// each checked against the CPU reference, then timed over a sweep of network shapes.
//
//   npx vite build -c bench/lab/conv2d/vite.config.ts && node bench/lab/conv2d/dist/lab.js [options]
//   options: --cases resnet,vgg,…   --variants 02-8x8,04-tiled64,…   --target-ms 300
//            --per-submit 1 (convolutions per command buffer; more hides submit costs on fast GPUs)
//   (on this machine: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json node …)
//
// Timing: pipelines and bind groups are built once and warmed; a trial submits the variant's
// dispatches `reps` times (`--per-submit` convolutions per command buffer) and then reads 4 bytes
// back, so the time covers the GPU work of every submit. A variant whose first timed run takes
// over a second is timed by that run alone. GFLOP/s = 2·MACs / time per convolution; the table
// shows the median of the trials (and the best, the better estimate on a shared machine).
import type { GpuArg, KernelRecorder } from '../../../src/ops/kernel';
import { withActivationFn } from '../../../src/ops/elementwise/activation';
import { conv2dAttrs, conv2dOp, type Conv2dAttrs, type Conv2dOptions } from '../../../src/ops/conv/conv2d';
import { recordConv2d, recordConv2dRegisterBlocked, recordConv2dTiled, type ConvTile } from '../../../src/ops/conv/conv2dGpu';
import { Random } from '../../../src/random';
import { sizeOf } from '../../../src/shape';
import shippedWgsl from '../../../shaders/conv/conv2d.wgsl?raw';
import { emptyArg, labKernel, medianAndBest, openBackend, option, recordCommands, repsFor, runLab, timeInRounds, trialsFor, uploadArg, verdict } from '../harness';
import arraysWgsl from './01_arrays.wgsl?raw';
import nestedWgsl from './02_nested.wgsl?raw';

interface Case {
  readonly name: string;
  readonly x: number[];
  readonly w: number[];
  readonly opts: Conv2dOptions;
}

const CASES: Case[] = [
  { name: 'resnet', x: [1, 64, 56, 56], w: [64, 64, 3, 3], opts: { padding: 1 } },
  { name: 'stem7x7', x: [1, 3, 224, 224], w: [64, 3, 7, 7], opts: { stride: 2, padding: 3 } },
  { name: 'depthwise', x: [1, 32, 112, 112], w: [32, 1, 3, 3], opts: { padding: 1, groups: 32 } },
  { name: 'depthwise-s2', x: [1, 64, 112, 112], w: [64, 1, 3, 3], opts: { stride: 2, padding: 1, groups: 64 } },
  { name: 'lenet-subsample', x: [1, 6, 28, 28], w: [6, 1, 2, 2], opts: { stride: 2, groups: 6 } },
  { name: 'vgg', x: [1, 128, 112, 112], w: [128, 128, 3, 3], opts: { padding: 1 } },
  { name: 'lenet1', x: [1, 1, 28, 28], w: [6, 1, 5, 5], opts: { padding: 2 } },
  { name: 'lenet2', x: [1, 6, 14, 14], w: [16, 6, 5, 5], opts: {} },
  { name: '1x1', x: [1, 256, 56, 56], w: [64, 256, 1, 1], opts: {} },
  // The rest of ResNet-18's convolutions at 224 (stem7x7 and resnet above are its first two).
  { name: 'r18-l2s2', x: [1, 64, 56, 56], w: [128, 64, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: 'r18-l2', x: [1, 128, 28, 28], w: [128, 128, 3, 3], opts: { padding: 1 } },
  { name: 'r18-l3s2', x: [1, 128, 28, 28], w: [256, 128, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: 'r18-l3', x: [1, 256, 14, 14], w: [256, 256, 3, 3], opts: { padding: 1 } },
  { name: 'r18-l4s2', x: [1, 256, 14, 14], w: [512, 256, 3, 3], opts: { stride: 2, padding: 1 } },
  { name: 'r18-l4', x: [1, 512, 7, 7], w: [512, 512, 3, 3], opts: { padding: 1 } },
  { name: 'r18-down', x: [1, 64, 56, 56], w: [128, 64, 1, 1], opts: { stride: 2 } },
];

/** A variant records the dispatches computing y from x, w, b. */
interface Variant {
  readonly name: string;
  record(k: KernelRecorder, x: GpuArg, w: GpuArg, b: GpuArg, y: GpuArg, attrs: Conv2dAttrs): void;
}

/** The shipped register-blocked kernel with a given tile (TM, TN as override constants). */
const registerBlocked = (name: string, tm: ConvTile['tm'], tn: ConvTile['tn']): Variant => ({
  name,
  record: (k, x, w, b, y, attrs) => recordConv2dRegisterBlocked(k, x, w, b, y, attrs, { tm, tn, workgroupSize: 64 }),
});

/** The same kernel with TM and TN as `const` instead of `override` (does specialisation cost?). */
const constShaders = new Map<string, ReturnType<typeof withActivationFn>>();
const registerBlockedConst = (name: string, tm: ConvTile['tm'], tn: ConvTile['tn']): Variant => ({
  name,
  record: (k, x, w, b, y, attrs) => {
    const label = `lab-conv2d-const-${tm}x${tn}`;
    let shader = constShaders.get(label);
    if (!shader) {
      const code = shippedWgsl.replace(/override TM: u32 = \d+u;/, `const TM: u32 = ${tm}u;`).replace(/override TN: u32 = \d+u;/, `const TN: u32 = ${tn}u;`);
      constShaders.set(label, (shader = withActivationFn(label, code)));
    }
    const inner: KernelRecorder = {
      ...k,
      dispatch: (spec) => {
        const { TM: _tm, TN: _tn, ...constants } = spec.constants!;
        k.dispatch({ ...spec, shader: shader!, constants });
      },
    };
    recordConv2dRegisterBlocked(inner, x, w, b, y, attrs, { tm, tn, workgroupSize: 64 });
  },
});

/** The shipped kernel's dispatch with another shader of the same bindings and constants. */
const sameDispatch = (name: string, shader: ReturnType<typeof withActivationFn>, tm: ConvTile['tm'], tn: ConvTile['tn']): Variant => ({
  name,
  record: (k, x, w, b, y, attrs) =>
    recordConv2dRegisterBlocked({ ...k, dispatch: (spec) => k.dispatch({ ...spec, shader }) }, x, w, b, y, attrs, { tm, tn, workgroupSize: 64 }),
});
const arraysShader = withActivationFn('lab-conv2d-arrays', arraysWgsl);
const nestedShader = withActivationFn('lab-conv2d-nested', nestedWgsl);

const tiled: Variant = { name: '04-tiled64', record: recordConv2dTiled };

const shipped: Variant = {
  name: '00-shipped',
  record: (k, x, w, b, y, attrs) => recordConv2d(k, x, w, b, y, attrs),
};

/** The shipped dispatches whose shader label does (or does not) match: where im2col + GEMM's time goes (WRONG results: timing only). */
const onlyDispatches = (name: string, keep: (label: string) => boolean): Variant => ({
  name,
  record: (k, x, w, b, y, attrs) => recordConv2d({ ...k, dispatch: (spec) => keep(spec.shader.label) && k.dispatch(spec) }, x, w, b, y, attrs),
});

const VARIANTS: Variant[] = [
  shipped,
  sameDispatch('01-arrays-8x8', arraysShader, 8, 8),
  sameDispatch('02-nested-8x8', nestedShader, 8, 8),
  sameDispatch('02-nested-1x8', nestedShader, 1, 8),
  registerBlocked('03-1x4', 1, 4),
  registerBlocked('03-1x8', 1, 8),
  registerBlocked('03-4x4', 4, 4),
  registerBlocked('03-4x8', 4, 8),
  registerBlocked('03-8x4', 8, 4),
  registerBlocked('03-8x8', 8, 8),
  registerBlocked('03-16x8', 16, 8),
  registerBlockedConst('03-const-8x8', 8, 8),
  tiled,
  onlyDispatches('05-im2col-pass', (label) => label === 'im2col'),
  onlyDispatches('05-gemm-pass', (label) => label !== 'im2col'),
];

/** This process's CPU time in ms (NaN in a browser, where run.mjs's --cpu-time clock serves instead). */
function processCpuMs(): number {
  const usage = (globalThis as { process?: { cpuUsage?: () => { user: number; system: number } } }).process?.cpuUsage?.();
  return usage ? (usage.user + usage.system) / 1000 : NaN;
}

async function main(): Promise<void> {
  const caseNames = option('cases', CASES.map((c) => c.name).join(',')).split(',');
  const variantNames = option('variants', VARIANTS.map((v) => v.name).join(',')).split(',');
  const unknown = variantNames.filter((name) => !VARIANTS.some((v) => v.name === name));
  if (unknown.length) throw new Error(`unknown variants ${unknown.join(', ')}; known: ${VARIANTS.map((v) => v.name).join(', ')}`);
  const targetMs = Number(option('target-ms', '300'));
  const perSubmit = Number(option('per-submit', '1'));
  const backend = await openBackend();
  const rows: string[] = ['| case | MFLOP | ' + variantNames.join(' | ') + ' |', '|---|---|' + variantNames.map(() => '---').join('|') + '|'];

  for (const c of CASES.filter((c) => caseNames.includes(c.name))) {
    const rng = new Random(1);
    const attrs = conv2dAttrs(c.opts);
    const [yShape] = conv2dOp.inferShapes([c.x, c.w, [c.w[0]]], attrs);
    const flop = 2 * conv2dOp.macs!([c.x, c.w, [c.w[0]]], attrs);
    const data = { x: rng.fill(sizeOf(c.x)), w: rng.fill(sizeOf(c.w)), b: rng.fill(c.w[0]) };
    const ref = new Float32Array(sizeOf(yShape));
    conv2dOp.cpu([{ data: data.x, shape: c.x }, { data: data.w, shape: c.w }, { data: data.b, shape: [c.w[0]] }], [{ data: ref, shape: yShape }], attrs);
    const x = uploadArg(backend, data.x, c.x);
    const w = uploadArg(backend, data.w, c.w);
    const b = uploadArg(backend, data.b, [c.w[0]]);
    const y = emptyArg(backend, yShape);
    const cells: string[] = [];
    for (const v of variantNames.map((name) => VARIANTS.find((v) => v.name === name)!)) {
      const kernel = labKernel(backend, recordCommands(backend, (k) => v.record(k, x, w, b, y, attrs), { scratch: true }), y.buffer, { perSubmit });
      // Check (this run also warms the pipeline).
      const check = await kernel.check(ref);
      // Time.
      // Wall time per convolution, and process CPU time (all threads) per convolution: on a
      // machine shared with other work the CPU time of a software adapter is the steadier figure.
      const cpuTimes: number[] = [];
      const timeOnce = async (reps: number) => {
        const c0 = processCpuMs();
        const ms = await kernel.timeOnce(reps);
        cpuTimes.push((processCpuMs() - c0) / reps);
        return ms;
      };
      const first = await timeOnce(perSubmit);
      const reps = repsFor(targetMs, first, perSubmit, 5000);
      const trials = first > 1000 ? 0 : trialsFor(first);
      if (trials === 0) cpuTimes.splice(0, cpuTimes.length - 1);
      else cpuTimes.length = 0;
      const times = trials === 0 ? [first] : (await timeInRounds([() => timeOnce(reps)], trials))[0];
      const { median, best } = medianAndBest(times);
      const cpuMedian = medianAndBest(cpuTimes).median;
      const gflops = (ms: number) => flop / (ms * 1e6);
      const spec = kernel.steps.find((s) => s.kind === 'dispatch')?.spec;
      const chosen = v === shipped && spec ? ` [${spec.shader.label}${spec.constants?.TM ? ` ${spec.constants.TM}x${spec.constants.TN}` : ''}]` : '';
      cells.push(`${gflops(median).toFixed(2)}${check.ok ? '' : ' WRONG'}`);
      console.log(
        `${c.name.padEnd(10)} ${v.name.padEnd(14)}${chosen} ${median.toFixed(3).padStart(9)} ms  ${gflops(median).toFixed(2).padStart(7)} GFLOP/s median, ${gflops(best).toFixed(2)} best (${trials || 1}×${trials ? reps : perSubmit}); ${gflops(cpuMedian).toFixed(2)} per CPU-second  ${verdict(check)}`,
      );
    }
    rows.push(`| ${c.name} ${JSON.stringify(c.x)}·${JSON.stringify(c.w)} | ${(flop / 1e6).toFixed(1)} | ${cells.join(' | ')} |`);
    for (const a of [x, w, b, y]) a.buffer.destroy();
  }
  console.log('\n' + rows.join('\n'));
  backend.dispose();
}

runLab(main);
