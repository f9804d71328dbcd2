// The whole-sequence kernel of the recurrent ops (shaders/recurrent/recurrent_sequence.wgsl): one
// dispatch per layer direction instead of one per time step, for software adapters. Its dot
// products over k are written out here, one statement per k, for one hidden size H, so that every
// index into the private weight arrays and the workgroup copies of h is a constant (the shader's
// header says why that matters on a CPU-based adapter). The shader text is made once per
// (mode, GRU variant, H) and cached.
import sequenceWgsl from '../../../shaders/recurrent/recurrent_sequence.wgsl?raw';
import type { Shader } from '../kernel.js';
import { withNanTest } from '../nan.js';
import { GATE_COUNT, type RecurrentMode } from './recurrentMath.js';

/**
 * The largest H the sequence kernel takes: one invocation per unit (WebGPU's default
 * maxComputeInvocationsPerWorkgroup is 256), and an LSTM unit's 4·H weights (4 KiB at 256) stay
 * well inside WGSL's 8 KiB of private memory per invocation.
 */
export const MAX_SEQUENCE_HIDDEN = 256;

/** Whether the sequence kernel runs this problem on a device with these limits. */
export function sequenceKernelFits(H: number, limits: GPUSupportedLimits): boolean {
  return (
    H <= MAX_SEQUENCE_HIDDEN &&
    H <= limits.maxComputeInvocationsPerWorkgroup &&
    H <= limits.maxComputeWorkgroupSizeX &&
    3 * H * 4 <= limits.maxComputeWorkgroupStorageSize
  );
}

const VECTOR = ['f32', 'vec2f', 'vec3f', 'vec4f'] as const;
const cache = new Map<string, Shader>();

/**
 * The generated part: HC, the private weight arrays and the functions that fill and read them.
 * The gates that read h come as one vector per k (LSTM i, f, g, o; GRU r, z, n, or r, z when n
 * reads r ⊙ h instead; RNN its one gate), widened to vec4f by the dot products.
 */
function generated(mode: RecurrentMode, onnxGru: boolean, H: number): string {
  const gates = onnxGru ? 2 : GATE_COUNT[mode];
  const type = VECTOR[gates - 1];
  const row = (g: number) => `w_hh[(${g}u * HC + unit) * HC + k]`;
  const widen = gates === 4 ? 'a' : `vec4f(a${', 0.0'.repeat(4 - gates)})`;
  const dot = (name: string, h: string) =>
    [`fn ${name}() -> vec4f {`, `  var a = ${type}(0.0);`, ...Array.from({ length: H }, (_, k) => `  a += wg[${k}] * ${h}[${k}];`), `  return ${widen};`, '}'].join('\n');
  const nDot = onnxGru ? Array.from({ length: H }, (_, k) => `  n += wn[${k}] * rh[${k}];`) : [];
  return [
    `const HC: u32 = ${H}u;`,
    `var<private> wg: array<${type}, HC>;`,
    `var<private> wn: array<f32, ${onnxGru ? 'HC' : '1'}>;`,
    'fn load_weights(unit: u32) {',
    '  for (var k = 0u; k < HC; k++) {',
    `    wg[k] = ${type}(${Array.from({ length: gates }, (_, g) => row(g)).join(', ')});`,
    onnxGru ? `    wn[k] = ${row(2)};` : '',
    '  }',
    '}',
    dot('dot_a', 'hA'),
    dot('dot_b', 'hB'),
    'fn dot_n() -> f32 {',
    '  var n = 0.0;',
    ...nDot,
    '  return n;',
    '}',
  ].join('\n');
}

/** The sequence kernel for one mode and H, with `prelude` (the uniform block and the gate math) before it. */
export function sequenceShader(mode: RecurrentMode, linearBeforeReset: boolean, H: number, prelude: string): Shader {
  const onnxGru = mode === 'gru' && !linearBeforeReset;
  const label = `recurrent_sequence_${mode}${onnxGru ? '_onnx' : ''}_h${H}`;
  let shader = cache.get(label);
  if (!shader) {
    shader = withNanTest(label, `${prelude}\n${generated(mode, onnxGru, H)}\n${sequenceWgsl}`);
    cache.set(label, shader);
  }
  return shader;
}
