// compile's `tune`: for every kernel choice of the graph (an op's shape with more than one
// candidate variant) not yet tuned on this adapter, time each candidate on the device, running
// the node that made the choice alone on the plan's own buffers, and keep the fastest. Nodes
// are visited in order and choices one at a time, since a winner can lead to a further choice
// (a 1×1 convolution that becomes a GEMM has the GEMM's kernels to choose from). The budget
// bounds the whole: a choice not fully timed when it runs out keeps the table's kernel.
import type { Graph } from '../../graph/ir.js';
import type { BuildControl, TuneOptions } from '../../graph/session.js';
import type { GpuArg, KernelVariant, VariantChoice } from '../../ops/kernel.js';
import { buildSteps, encodeSteps, PassTimer, recordNodes, type ChoiceMade, type Command, type GpuGraphHost, type Picker, type Step } from './gpuSteps.js';
import { PipelineCache } from './pipelines.js';
import type { TunedChoices } from './tunedChoices.js';

export const DEFAULT_TUNE_BUDGET_MS = 30_000;
/** Aim for at least this much GPU time per measurement (repeating fast kernels in one submit). */
const MEASURE_MS = 20;
const MAX_REPEATS = 64;
/** A candidate whose first run is this many times slower than the best so far is not measured further. */
const HOPELESS = 3;
/** Rounds per node: each round tunes one choice, then records the node again with the winner. */
const MAX_ROUNDS = 8;

/** A picker: the tuned winner, else the table's pick. */
export function tunedPicker(tuned: TunedChoices, forced?: ReadonlyMap<string, string>): Picker {
  return <V extends KernelVariant>(choice: VariantChoice<V>): V => {
    const name = forced?.get(choice.key);
    const candidate = name === undefined ? undefined : choice.candidates.find((c) => c.name === name);
    return candidate ?? tuned.winner(choice) ?? choice.preferred;
  };
}

export async function tuneGraph(host: GpuGraphHost, graph: Graph, args: readonly (GpuArg | undefined)[], tuned: TunedChoices, options: TuneOptions, control: BuildControl): Promise<void> {
  const start = performance.now();
  const budget = options.budgetMs ?? DEFAULT_TUNE_BUDGET_MS;
  /** Whether the budget is spent, or would be by `ms` more (a run as fast as the best so far). */
  const outOfTime = (ms = 0) => performance.now() - start + ms > budget;
  const seen = new Set<string>();
  /** Choices timed in this compile (stored, or with no candidate that ran). */
  const settled = new Set<string>();
  let found = 0;
  let timed = 0;
  let changed = false;
  const report = (kernel: string) => control.onProgress?.({ built: timed, total: found, stage: 'tuning', kernel });

  try {
    for (let node = 0; node < graph.nodes.length && !outOfTime(); node++) {
      if (graph.nodes[node].op.view) continue;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        control.signal?.throwIfAborted();
        const choices = discover(host, graph, args, node, tunedPicker(tuned));
        for (const c of choices) {
          if (c.candidates.length > 1 && !seen.has(c.key) && tuned.needsTuning(c.key, c.candidates)) {
            seen.add(c.key);
            found++;
          }
        }
        const open = choices.find((c) => seen.has(c.key) && !settled.has(c.key));
        if (!open) break;
        report(open.key);
        const ms = await timeCandidates(host, graph, args, node, open, tuned, control, outOfTime);
        if (!ms) return; // out of time: the rest keeps the table's kernels
        settled.add(open.key);
        timed++;
        const winner = open.candidates.reduce((best, c) => (ms[c] < ms[best] ? c : best), open.candidates[0]);
        if (Number.isFinite(ms[winner])) {
          tuned.set(open.key, { winner, candidates: open.candidates, ms });
          changed = true;
        }
        report(open.key);
      }
    }
  } finally {
    if (changed) await tuned.save();
  }
}

/** The choices node `node` makes when recorded with `pick` (recorded, not run). */
function discover(host: GpuGraphHost, graph: Graph, args: readonly (GpuArg | undefined)[], node: number, pick: Picker): ChoiceMade[] {
  const scratch: GPUBuffer[] = [];
  try {
    return recordNodes(host, graph, args, [node], pick, (bytes) => track(scratch, host.createBuffer(bytes, 'tuning scratch'))).choices;
  } finally {
    host.destroyWhenIdle(scratch);
  }
}

/**
 * ms per run of every candidate of `choice` at node `node`, or null when the budget ran out first.
 * With timestamps only the dispatches that differ between candidates count (an LSTM's GEMM choice is
 * not drowned by its 64 step dispatches, which every candidate shares).
 */
async function timeCandidates(
  host: GpuGraphHost,
  graph: Graph,
  args: readonly (GpuArg | undefined)[],
  node: number,
  choice: ChoiceMade,
  tuned: TunedChoices,
  control: BuildControl,
  outOfTime: (ms?: number) => boolean,
): Promise<Record<string, number> | null> {
  const ms: Record<string, number> = {};
  let best = Infinity;
  // The current pick first: later candidates far slower than it stop after one run.
  const order = [choice.chosen, ...choice.candidates.filter((c) => c !== choice.chosen)];
  const buffers: GPUBuffer[] = [];
  try {
    const recorded = new Map<string, Command[]>();
    for (const candidate of order) {
      try {
        const pick = tunedPicker(tuned, new Map([[choice.key, candidate]]));
        recorded.set(candidate, recordNodes(host, graph, args, [node], pick, (bytes) => track(buffers, host.createBuffer(bytes, 'tuning scratch'))).commands);
      } catch {
        ms[candidate] = Infinity; // a candidate that cannot record this problem never wins
      }
    }
    const shared = sharedPipelines([...recorded.values()]);
    for (const [candidate, commands] of recorded) {
      if (outOfTime(Number.isFinite(best) ? best : 0)) return null;
      control.signal?.throwIfAborted();
      host.device.pushErrorScope('validation');
      try {
        const steps = await buildSteps(host, commands, { signal: control.signal }, (b) => track(buffers, b));
        const counted = steps.some((s) => s.kind === 'dispatch' && !shared.has(PipelineCache.key(s.recorded.spec)))
          ? (s: Step) => s.kind === 'dispatch' && !shared.has(PipelineCache.key(s.recorded.spec))
          : () => true;
        const first = await timeRuns(host, steps, 1, counted); // also warms up the pipelines
        let t = first;
        if (first <= HOPELESS * best) {
          const repeats = Math.min(MAX_REPEATS, Math.max(1, Math.ceil(MEASURE_MS / Math.max(first, 1e-3))));
          t = Math.min(first, (await timeRuns(host, steps, repeats, counted)) / repeats);
        }
        ms[candidate] = t;
        best = Math.min(best, t);
      } catch (e) {
        if (control.signal?.aborted) throw e;
        ms[candidate] = Infinity; // a candidate that cannot run here (a pipeline the device rejects) never wins
      } finally {
        // A candidate the device rejected (a limit this adapter does not meet) never wins either.
        if (await host.device.popErrorScope()) ms[candidate] = Infinity;
      }
    }
    return ms;
  } finally {
    host.destroyWhenIdle(buffers);
  }
}

/** Pipelines every recording dispatches equally often: work the choice does not change. */
function sharedPipelines(recordings: readonly Command[][]): Set<string> {
  const counts = recordings.map((commands) => {
    const count = new Map<string, number>();
    for (const c of commands) if (c.kind === 'dispatch') count.set(PipelineCache.key(c.spec), (count.get(PipelineCache.key(c.spec)) ?? 0) + 1);
    return count;
  });
  const shared = new Set<string>();
  if (counts.length < 2) return shared;
  for (const [key, n] of counts[0]) if (counts.every((count) => count.get(key) === n)) shared.add(key);
  return shared;
}

/**
 * GPU time of `repeats` runs of `steps` in one submit: with timestamps, of the steps `counted`
 * picks; without, the submit's round trip.
 */
async function timeRuns(host: GpuGraphHost, steps: readonly Step[], repeats: number, counted: (step: Step) => boolean): Promise<number> {
  const device = host.device;
  const timer = device.features.has('timestamp-query') ? new PassTimer(device) : null;
  host.flush();
  const encoder = device.createCommandEncoder({ label: 'tuning' });
  for (let r = 0; r < repeats; r++) encodeSteps(encoder, steps, timer);
  timer?.resolve(encoder);
  const begin = performance.now();
  host.submit(encoder, repeats * steps.filter((s) => s.kind === 'dispatch').length);
  await device.queue.onSubmittedWorkDone();
  const wall = performance.now() - begin;
  if (!timer) return wall;
  let total = 0;
  for (const [step, t] of await timer.read()) if (counted(steps[step])) total += t;
  return total;
}

function track(list: GPUBuffer[], buffer: GPUBuffer): GPUBuffer {
  list.push(buffer);
  return buffer;
}
