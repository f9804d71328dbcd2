// Per-node timings of one run (compile(…, { profile: true }), session.profile()): one row per
// graph node in execution order, with the kernel it ran and its speed, printable as a table.
import type { Graph, Node } from './ir.js';
import type { Plan } from './plan.js';

/** How a profile's times were taken. */
export type ProfileMethod =
  /** WebGPU timestamps around each node's compute passes (GPU time, no CPU overhead). */
  | 'timestamp-query'
  /** WebGPU without timestamps: one submit per node, timed on the CPU until the GPU reports it done. */
  | 'submit-per-node'
  /** The CPU backend: each node's kernel timed with performance.now(). */
  | 'wall-clock';

export interface ProfileRow {
  /** The layer (dotted module name) the node belongs to; the op's name where it has none. */
  readonly name: string;
  readonly op: string;
  /**
   * What ran: the kernel variants chosen ('register 8×8', 'gemm 1×1 › registers 8×16' where a
   * choice led to another), else the shaders; 'view' for a node with no work, 'cpu' on the CPU.
   */
  readonly kernel: string;
  /** The workgroup grid of the node's dispatch ('49×1×1'), or how many dispatches it makes; '' on the CPU. */
  readonly dispatch: string;
  readonly dispatches: number;
  readonly ms: number;
  /** Floating-point operations (2 per multiply-accumulate) where the op counts them, else null. */
  readonly flops: number | null;
  /** flops / time, null without a FLOP count or a measurable time. */
  readonly gflops: number | null;
  /**
   * The node's time by kernel (shader), where each dispatch was timed (timestamp-query): a
   * recurrent node's input projection, state init and steps apart. Empty otherwise.
   */
  readonly parts: readonly ProfilePart[];
}

/** One kernel's share of a node: its dispatches (`dispatch`: the first one's grid) and their time. */
export interface ProfilePart {
  readonly kernel: string;
  readonly dispatch: string;
  readonly dispatches: number;
  readonly ms: number;
}

export interface Profile {
  readonly backend: string;
  readonly method: ProfileMethod;
  /** True where the times include more than the kernels (submit-per-node: the submit and its round trip). */
  readonly approximate: boolean;
  /** One line on how the times were taken. */
  readonly note: string;
  readonly rows: readonly ProfileRow[];
  readonly totalMs: number;
  readonly totalFlops: number;
  /** The table in execution order (formatProfile for the slowest rows first). */
  toString(): string;
}

export interface FormatProfileOptions {
  /** 'time': slowest rows first (default: execution order). */
  readonly sort?: 'order' | 'time';
  /** Print only this many rows (the rest are summed in one line). */
  readonly top?: number;
  /** Under each row made of several kernels, a line per kernel with its dispatches and time. */
  readonly parts?: boolean;
}

/** What a backend measured of one node; the rest of its row comes from the graph. */
export interface NodeTiming {
  readonly kernel: string;
  readonly dispatch: string;
  readonly dispatches: number;
  readonly ms: number;
  readonly parts: readonly ProfilePart[];
}

/** Multiply-accumulates × 2 of a node for the plan's shapes, where its op counts MACs. */
export function nodeFlops(node: Node, plan: Plan): number | null {
  if (!node.op.macs) return null;
  const shapes = node.inputs.map((id) => (id === null ? null : plan.shapes[id]));
  return 2 * node.op.macs(shapes, node.attrs);
}

/** The name a profile row shows for a node. */
export function nodeName(node: Node): string {
  return node.scope || node.op.name;
}

/**
 * A profile from per-node timings (`timings[i]` for graph.nodes[i]); `extra` rows (a training
 * graph's state updates) follow the nodes.
 */
export function makeProfile(
  graph: Graph,
  plan: Plan,
  timings: readonly NodeTiming[],
  how: { backend: string; method: ProfileMethod; approximate: boolean; note: string },
  extra: readonly ProfileRow[] = [],
): Profile {
  const rows: ProfileRow[] = graph.nodes.map((node, i) => {
    const t = timings[i];
    const flops = nodeFlops(node, plan);
    return {
      name: nodeName(node),
      op: node.op.name,
      kernel: t.kernel,
      dispatch: t.dispatch,
      dispatches: t.dispatches,
      ms: t.ms,
      flops,
      gflops: flops !== null && t.ms > 0 ? flops / (t.ms * 1e6) : null,
      parts: t.parts,
    };
  });
  rows.push(...extra);
  const totalMs = rows.reduce((s, r) => s + r.ms, 0);
  const totalFlops = rows.reduce((s, r) => s + (r.flops ?? 0), 0);
  const profile: Profile = { ...how, rows, totalMs, totalFlops, toString: () => formatProfile(profile) };
  return profile;
}

/** The profile as a table: layer, op, kernel, dispatch, ms, share of the total, GFLOP/s. */
export function formatProfile(profile: Profile, options: FormatProfileOptions = {}): string {
  const ordered = options.sort === 'time' ? [...profile.rows].sort((a, b) => b.ms - a.ms) : [...profile.rows];
  const shown = options.top !== undefined ? ordered.slice(0, Math.max(0, options.top)) : ordered;
  const rest = ordered.slice(shown.length);
  const share = (ms: number) => (profile.totalMs > 0 ? `${((100 * ms) / profile.totalMs).toFixed(1)}%` : '');
  const rate = (flops: number | null, ms: number) => (flops !== null && flops > 0 && ms > 0 ? (flops / (ms * 1e6)).toFixed(2) : '');
  const body = shown.flatMap((r) => [
    [r.name, r.op, r.kernel, r.dispatch, r.ms.toFixed(3), share(r.ms), rate(r.flops, r.ms)],
    ...(options.parts && r.parts.length > 1
      ? r.parts.map((p) => [`  · ${p.kernel}`, '', '', p.dispatches > 1 ? `${p.dispatch} ×${p.dispatches}` : p.dispatch, p.ms.toFixed(3), share(p.ms), ''])
      : []),
  ]);
  if (rest.length > 0) {
    const ms = rest.reduce((s, r) => s + r.ms, 0);
    const flops = rest.reduce((s, r) => s + (r.flops ?? 0), 0);
    body.push([`(${rest.length} more)`, '', '', '', ms.toFixed(3), share(ms), rate(flops, ms)]);
  }
  const rows = [['Layer', 'Op', 'Kernel', 'Dispatch', 'ms', '%', 'GFLOP/s'], ...body, ['Total', '', '', '', profile.totalMs.toFixed(3), '', rate(profile.totalFlops, profile.totalMs)]];
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  const line = (r: string[]) => r.map((cell, c) => (c >= 4 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  const title = `${profile.backend} profile (${profile.method}${profile.approximate ? ', approximate' : ''}): ${profile.note}`;
  return [title, line(rows[0]), rule, ...rows.slice(1, -1).map(line), rule, line(rows[rows.length - 1])].join('\n');
}
