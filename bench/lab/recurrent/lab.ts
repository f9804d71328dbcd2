// Kernel lab for the recurrent step (llm.c's dev/ habit): numbered variants of the fused LSTM
// step kernel, each checked against the CPU step math (recurrentMath.ts) and timed over T = 28
// steps — the part of an LSTM sequence that runs once per time step.
//
//   npx vite build -c bench/lab/recurrent/vite.config.ts && node bench/lab/recurrent/dist/lab.js [options]
//   options: --cases 1x128,64x128,…  (N x H)   --variants 01-rows,02-transposed,…   --target-ms 300
//
// Every variant shares the shipped kernel's uniform block and bindings (shaders/recurrent_step.wgsl);
// they differ in the weight layout (W_hh rows [G·H, H] as given, or transposed [H, G·H]) and in
// what one invocation computes (a unit, four units, four rows, or a k-slice of a unit: 05–07). The projection xp is random data here (the GEMM is not measured).
// Timing: one command buffer per sequence (clear the state, T dispatches), `reps` submits, then
// a 4-byte read; the median of the trials is reported, with the best.
import { create } from 'webgpu';
import { grid, uniforms } from '../../../src/backends/webgpu/kernel';
import { UNIFORM_USAGE, WebGpuBackend } from '../../../src/backends/webgpu/webgpuBackend';
import { recurrentStep, stepScratch, type StepWeights } from '../../../src/ops/recurrentMath';
import { Random } from '../../../src/random';
import { stepSplit } from '../../../src/ops/recurrentGpu';
import shippedWgsl from '../../../shaders/recurrent_step.wgsl?raw';
import rowsWgsl from './01_rows.wgsl?raw';
import transposedWgsl from './02_transposed.wgsl?raw';
import vec4Wgsl from './03_vec4.wgsl?raw';
import batch4Wgsl from './04_batch4.wgsl?raw';
import ksplitWgsl from './05_ksplit4.wgsl?raw';
import rowsKsplitWgsl from './06_rows_ksplit.wgsl?raw';
import transposedKsplitWgsl from './07_transposed_ksplit.wgsl?raw';

const MAP_READ = 0x01;
const COPY_DST = 0x08;
const T = 28;

interface Variant {
  readonly name: string;
  readonly code: string;
  readonly transposed: boolean;
  readonly constants?: Record<string, number>;
  /** Invocations per step for N rows of H units. */
  invocations(N: number, H: number): number;
  usable?(N: number, H: number): boolean;
}

const VARIANTS: Variant[] = [
  {
    name: '00-shipped',
    code: shippedWgsl,
    transposed: false,
    constants: { MODE: 0 },
    invocations: (N, H) => N * Math.ceil(H / (64 / stepSplit(N, H))) * 64,
  },
  { name: '01-rows', code: rowsWgsl, transposed: false, constants: { MODE: 0 }, invocations: (N, H) => N * H },
  { name: '02-transposed', code: transposedWgsl, transposed: true, invocations: (N, H) => N * H },
  { name: '03-vec4', code: vec4Wgsl, transposed: true, invocations: (N, H) => (N * H) / 4, usable: (_N, H) => H % 4 === 0 },
  { name: '04-batch4', code: batch4Wgsl, transposed: true, invocations: (N, H) => Math.ceil(N / 4) * H },
  { name: '05-ksplit4', code: ksplitWgsl, transposed: true, invocations: (N, H) => N * Math.ceil(H / 16) * 64 },
  ...[1, 2, 4, 8, 16, 32].map(
    (S): Variant => ({ name: `08-shipped-k${S}`, code: shippedWgsl, transposed: false, constants: { MODE: 0, S }, invocations: (N, H) => N * Math.ceil(H / (64 / S)) * 64 }),
  ),
  ...[4, 8, 16, 32, 64].flatMap((S): Variant[] => [
    { name: `06-rows-k${S}`, code: rowsKsplitWgsl, transposed: false, constants: { S }, invocations: (N, H) => N * Math.ceil(H / (64 / S)) * 64 },
    { name: `07-tr-k${S}`, code: transposedKsplitWgsl, transposed: true, constants: { S }, invocations: (N, H) => N * Math.ceil(H / (64 / S)) * 64 },
  ]),
];

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

/** y [T, N, H] of a forward LSTM from zero states, by the CPU step math. */
function reference(xp: Float32Array, w: Float32Array, b: Float32Array, N: number, H: number): Float32Array {
  const weights: StepWeights = { mode: 'lstm', hiddenSize: H, nonlinearity: 'tanh', linearBeforeReset: true, clip: Infinity, wHh: w, bHh: b, wPh: null };
  const h = new Float32Array(N * H);
  const c = new Float32Array(N * H);
  const y = new Float32Array(T * N * H);
  const scratch = stepScratch('lstm', H);
  for (let t = 0; t < T; t++) {
    for (let n = 0; n < N; n++) {
      recurrentStep(weights, xp, (t * N + n) * 4 * H, h, n * H, c, n * H, scratch);
      y.set(h.subarray(n * H, (n + 1) * H), (t * N + n) * H);
    }
  }
  return y;
}

async function main(): Promise<void> {
  const cases = arg('cases', '1x128,8x128,64x128,1x512,16x256').split(',').map((s) => s.split('x').map(Number) as [number, number]);
  const wanted = arg('variants', VARIANTS.map((v) => v.name).join(',')).split(',');
  const variants = VARIANTS.filter((v) => wanted.includes(v.name));
  const variantNames = variants.map((v) => v.name);
  const targetMs = Number(arg('target-ms', '300'));
  const backend = await WebGpuBackend.create({ gpu: create([]) as GPU });
  const device = backend.device;
  const info = device.adapterInfo;
  console.log(`adapter: ${info.vendor} ${info.architecture} ${info.device} ${info.description}`.replace(/\s+/g, ' '));
  const rows = ['| N × H | MMAC/step | ' + variantNames.join(' | ') + ' |', '|---|---|' + variantNames.map(() => '---').join('|') + '|'];

  for (const [N, H] of cases) {
    const rng = new Random(1);
    const GH = 4 * H;
    const xpData = rng.fill(T * N * GH, -1, 1);
    const wData = rng.fill(GH * H, -1 / Math.sqrt(H), 1 / Math.sqrt(H));
    const bData = rng.fill(GH, -0.1, 0.1);
    const wT = new Float32Array(GH * H);
    for (let j = 0; j < GH; j++) for (let k = 0; k < H; k++) wT[k * GH + j] = wData[j * H + k];
    const ref = reference(xpData, wData, bData, N, H);
    const tol = 1e-4 + 1e-3 * ref.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    const region = (buffer: GPUBuffer, bytes: number) => ({ buffer, offset: 0, size: bytes });
    const xp = region(backend.createBufferWith(xpData), xpData.byteLength);
    const w = region(backend.createBufferWith(wData), wData.byteLength);
    const wt = region(backend.createBufferWith(wT), wT.byteLength);
    const b = region(backend.createBufferWith(bData), bData.byteLength);
    const state = region(backend.createBuffer(4 * N * H * 4), 4 * N * H * 4);
    const y = region(backend.createBuffer(ref.byteLength), ref.byteLength);
    const macs = (GH * H * N) / 1e6;
    const cells: string[] = [];
    for (const v of variants) {
      if (v.usable && !v.usable(N, H)) {
        cells.push('–');
        continue;
      }
      const shader = { label: `lab-recurrent-${v.name}`, code: v.code };
      const half = 2 * N * H;
      const steps = Array.from({ length: T }, (_, s) => {
        const spec = {
          shader,
          constants: v.name === '00-shipped' ? { MODE: 0, S: stepSplit(N, H) } : v.constants,
          uniforms: uniforms()
            .u32(N, H, T, s, 0)
            .u32((s % 2) * half, ((s + 1) % 2) * half, N * H, 0, 0)
            .u32(0, N * GH, GH, 0, N * H, H, 1, 0)
            .f32(3.4e38)
            .bytes(),
          bindings: [xp, v.transposed ? wt : w, b, state, b, y],
          workgroups: grid(v.invocations(N, H), 64),
        };
        const pipeline = backend.pipelines.get(spec);
        const ub = backend.createBufferWith(spec.uniforms, UNIFORM_USAGE);
        return { pipeline, bindGroup: backend.bindGroup(pipeline, spec, { buffer: ub, offset: 0, size: spec.uniforms.byteLength }), workgroups: spec.workgroups };
      });
      const submit = (reps: number) => {
        for (let r = 0; r < reps; r++) {
          const enc = device.createCommandEncoder();
          enc.clearBuffer(state.buffer);
          const pass = enc.beginComputePass();
          for (const d of steps) {
            pass.setPipeline(d.pipeline);
            pass.setBindGroup(0, d.bindGroup);
            pass.dispatchWorkgroups(...d.workgroups);
          }
          pass.end();
          device.queue.submit([enc.finish()]);
        }
      };
      const read = async (bytes: number) => {
        const staging = device.createBuffer({ size: bytes, usage: MAP_READ | COPY_DST });
        const enc = device.createCommandEncoder();
        enc.copyBufferToBuffer(y.buffer, 0, staging, 0, bytes);
        device.queue.submit([enc.finish()]);
        await staging.mapAsync(MAP_READ);
        const out = new Float32Array(staging.getMappedRange().slice(0));
        staging.destroy();
        return out;
      };
      const clear = device.createCommandEncoder();
      clear.clearBuffer(y.buffer);
      device.queue.submit([clear.finish()]);
      submit(1);
      const got = await read(ref.byteLength);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i] - ref[i]) || (Number.isNaN(got[i]) ? Infinity : 0));
      const ok = worst <= tol;
      const timeOnce = async (reps: number) => {
        const t0 = performance.now();
        submit(reps);
        await read(4);
        return (performance.now() - t0) / reps;
      };
      const first = await timeOnce(1);
      const reps = Math.max(1, Math.min(200, Math.round(targetMs / first)));
      const trials = first > 1000 ? 1 : first > 300 ? 3 : 7;
      const times: number[] = [];
      for (let t = 0; t < trials; t++) times.push(await timeOnce(reps));
      times.sort((a, z) => a - z);
      const median = times[Math.floor(times.length / 2)];
      cells.push(`${median.toFixed(2)} ms${ok ? '' : ' WRONG'}`);
      console.log(
        `${`${N}x${H}`.padEnd(8)} ${v.name.padEnd(14)} ${median.toFixed(3).padStart(9)} ms/sequence median, ${times[0].toFixed(3)} best (${trials}×${reps}), ${((2 * macs * T) / median).toFixed(2)} GFLOP/s  ${ok ? 'ok' : `WRONG max err ${worst} > ${tol}`}`,
      );
    }
    rows.push(`| ${N} × ${H} | ${macs.toFixed(2)} | ${cells.join(' | ')} |`);
    for (const a of [xp, w, wt, b, state, y]) a.buffer.destroy();
  }
  console.log(`\nT = ${T} steps, ms per sequence (median)\n` + rows.join('\n'));
  backend.dispose();
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
