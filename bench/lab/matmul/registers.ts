// Generator of the register-blocked lab variants: each invocation computes TM rows × TN columns
// of C in registers (no workgroup memory), for a given workgroup shape. Two ways of loading:
// - 'scalar': one f32 load per element of A and B per k (any alignment);
// - 'vec4': A and B read as vec4 along k in steps of 4 (A·B: four rows of B as vec4 along n;
//   A·Bᵀ: rows of B as vec4 along k, dot products), needing 4-aligned offsets and row strides.
// Accumulators are named vec4 variables, every statement written out (SwiftShader does not
// unroll loops, and accumulators in an array indexed by a loop counter spill to memory).
// Generated WGSL is for the lab only: the shipped kernels are plain .wgsl files in shaders/.
// Same bindings and uniform block as shaders/gemm/matmul.wgsl.

export interface RegisterVariant {
  readonly tm: number;
  readonly tn: number;
  readonly wgx: number;
  readonly wgy: number;
  readonly load: 'scalar' | 'vec4';
  /**
   * 'blocked': an invocation's TN columns are adjacent; 'strided': they are WGX apart, so
   * neighbouring invocations (SwiftShader's SIMD lanes) read neighbouring elements of B
   * (scalar loads only).
   */
  readonly columns?: 'blocked' | 'strided';
}

const HEADER = `
struct Gemm {
  m: u32, n: u32, k: u32,
  offset_a: u32, offset_b: u32, offset_c: u32, bias_offset: u32,
  lda: u32, ldb: u32, ldc: u32,
  stride_a: u32, stride_b: u32, stride_c: u32,
}
override TRANS_B: bool = false;
override BIAS_MODE: u32 = 0u;
override ACCUMULATE: bool = false;
@group(0) @binding(0) var<uniform> g: Gemm;
`;

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const lines = (n: number, f: (i: number) => string) => range(n).map(f).join('\n');

export function registerKernelCode(v: RegisterVariant): string {
  const { tm, tn, wgx, wgy, load } = v;
  const strided = v.columns === 'strided';
  // Column j of this invocation.
  const col = (j: number) => (strided ? `col0 + ${j * wgx}u` : `col0 + ${j}u`);
  const h4 = tn / 4;
  const elem = load === 'vec4' ? 'vec4f' : 'f32';
  // Accumulators: acc_i_h (vec4 of columns 4h..4h+3 of row i).
  const accDecl = lines(tm, (i) => lines(h4, (h) => `  var acc_${i}_${h} = vec4f(0.0);`));
  const rowStarts = lines(tm, (i) => `  let ar${i} = a0 + min(row0 + ${i}u, g.m - 1u) * g.lda;`);
  const colStarts = lines(tn, (j) => `  let bc${j} = b0 + min(${col(j)}, g.n - 1u) * g.ldb;`);
  const get = (buf: string, idx: string) => (load === 'vec4' ? `${buf}[(${idx}) / 4u][(${idx}) % 4u]` : `${buf}[${idx}]`);

  // One k step with scalar loads (also the tail of the vec4 form).
  const scalarStep = (p: string) => `
      let bp = ${p} * select(g.ldb, 1u, TRANS_B);
${lines(h4, (h) => `      var b_${h}: vec4f;`)}
      if (TRANS_B) {
${lines(tn, (j) => `        b_${j >> 2}[${j & 3}] = ${get('b', `bc${j} + ${p}`)};`)}
      } else {
${lines(tn, (j) => `        b_${j >> 2}[${j & 3}] = ${get('b', `b0 + bp + min(${col(j)}, g.n - 1u)`)};`)}
      }
${lines(tm, (i) => `      let a_${i} = vec4f(${get('a', `ar${i} + ${p}`)});\n${lines(h4, (h) => `      acc_${i}_${h} = fma(a_${i}, b_${h}, acc_${i}_${h});`)}`)}`;

  const vec4Loop = `
  let k4 = g.k / 4u;
  for (var q = 0u; q < k4; q++) {
    let p = q * 4u;
${lines(tm, (i) => `    let a_${i} = a[ar${i} / 4u + q];`)}
    if (TRANS_B) {
${lines(tn, (j) => `      let b_${j} = b[bc${j} / 4u + q];`)}
${lines(tm, (i) => lines(h4, (h) => `      acc_${i}_${h} += vec4f(${range(4).map((jj) => `dot(a_${i}, b_${4 * h + jj})`).join(', ')});`))}
    } else {
${lines(4, (r) => lines(h4, (h) => `      let b_${r}_${h} = b[(b0 + (p + ${r}u) * g.ldb + col0) / 4u + ${h}u];`))}
${lines(tm, (i) => lines(h4, (h) => `      acc_${i}_${h} = fma(vec4f(a_${i}.x), b_0_${h}, fma(vec4f(a_${i}.y), b_1_${h}, fma(vec4f(a_${i}.z), b_2_${h}, fma(vec4f(a_${i}.w), b_3_${h}, acc_${i}_${h}))));`))}
    }
  }
  for (var p = k4 * 4u; p < g.k; p++) {${scalarStep('p')}
  }`;

  const scalarLoop = `
  for (var p = 0u; p < g.k; p++) {${scalarStep('p')}
  }`;

  const store = lines(tm, (i) =>
    lines(tn, (j) => `  store(row0 + ${i}u, ${col(j)}, acc_${i}_${j >> 2}[${j & 3}]);`),
  );

  return `${HEADER}
@group(0) @binding(1) var<storage, read> a: array<${elem}>;
@group(0) @binding(2) var<storage, read> b: array<${elem}>;
@group(0) @binding(3) var<storage, read_write> c: array<f32>;
@group(0) @binding(4) var<storage, read> bias: array<f32>;

fn store(row: u32, col: u32, sum: f32) {
  if (row >= g.m || col >= g.n) { return; }
  let at = g.offset_c + row * g.ldc + col + cbase;
  var v = sum;
  if (ACCUMULATE) { v += c[at]; }
  if (BIAS_MODE == 1u) { v += bias[g.bias_offset + row]; }
  if (BIAS_MODE == 2u) { v += bias[g.bias_offset + col]; }
  c[at] = activate(v);
}

var<private> cbase: u32;

@compute @workgroup_size(${wgx}, ${wgy})
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let row0 = gid.y * ${tm}u;
  let col0 = ${strided ? `wg.x * ${wgx * tn}u + lid.x` : `gid.x * ${tn}u`};
  if (row0 >= g.m || col0 >= g.n) { return; }
  let a0 = g.offset_a + gid.z * g.stride_a;
  let b0 = g.offset_b + gid.z * g.stride_b;
  cbase = gid.z * g.stride_c;
${rowStarts}
${colStarts}
${accDecl}
${load === 'vec4' ? vec4Loop : scalarLoop}
${store}
}
`;
}
