// The ONNX operator conformance cases (test/data/conformance, see its README) as vitest blocks
// for any backend: each case's node runs through applyOnnxNode — the ONNX importer's own
// translation — on the backend's op table, and every expected output must match under ONNX's
// criterion. Cases outside the runtime are listed in REFUSED with their reason and must throw
// exactly that UnsupportedError. test/conformance.test.ts runs it on the CPU; the WebGPU suite
// calls runConformance with its backend.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BackendBase } from '../src/backends/backendBase';
import { UnsupportedError } from '../src/errors';
import { applyOnnxNode, type OnnxData, type OnnxInput } from '../src/io/onnx/nodeOps';
import { TYPED_ARRAYS } from '../src/io/onnx/tensorProto';
import type { Tensor } from '../src/tensor';

const DATA = join(__dirname, 'data', 'conformance');
export const CONFORMANCE_FOLDERS = ['onnx-node', 'onnx-pytorch-converted'] as const;

interface CaseTensor {
  name: string;
  shape: number[];
  dtype: string;
  data: string;
}

export interface ConformanceCase {
  folder: string;
  case: string;
  op: string;
  opset: number;
  attributes: Record<string, number | string | number[] | string[]>;
  inputs: (CaseTensor | null)[];
  outputs: (CaseTensor | null)[];
}

/** Why a case is outside the runtime, and a pattern its UnsupportedError message must match. */
interface Refusal {
  reason: string;
  message: RegExp;
}

const integerDtype = (dtype: string): Refusal => ({
  reason: `${dtype} tensors: computation is float32 (integer tensors exist only for shapes and sequence lengths)`,
  message: new RegExp(`dtype ${dtype}`),
});
const threeD: Refusal = { reason: '3-D convolution and pooling (5-D tensors); 1-D and 2-D are supported', message: /3-D input/ };

/** The cases that must throw UnsupportedError, with the reason (docs/conformance.md lists them). */
export const REFUSED: Readonly<Record<string, Refusal>> = {
  ...Object.fromEntries(
    ['int8', 'int16', 'uint8', 'uint16', 'uint32', 'uint64'].flatMap((t) => [
      [`onnx-node/test_add_${t}`, integerDtype(t)],
      [`onnx-node/test_mul_${t}`, integerDtype(t)],
    ]),
  ),
  'onnx-node/test_clip_default_int8_inbounds': integerDtype('int8'),
  'onnx-node/test_clip_default_int8_max': integerDtype('int8'),
  'onnx-node/test_clip_default_int8_min': integerDtype('int8'),
  'onnx-node/test_maxpool_2d_uint8': integerDtype('uint8'),
  ...Object.fromEntries(
    [
      'onnx-node/test_maxpool_3d_default',
      'onnx-node/test_maxpool_3d_dilations',
      'onnx-node/test_maxpool_3d_dilations_use_ref_impl',
      'onnx-node/test_maxpool_3d_dilations_use_ref_impl_large',
      'onnx-node/test_averagepool_3d_default',
      'onnx-node/test_averagepool_3d_dilations_large_count_include_pad_is_0_ceil_mode_is_False',
      'onnx-node/test_averagepool_3d_dilations_large_count_include_pad_is_0_ceil_mode_is_True',
      'onnx-node/test_averagepool_3d_dilations_large_count_include_pad_is_1_ceil_mode_is_False',
      'onnx-node/test_averagepool_3d_dilations_large_count_include_pad_is_1_ceil_mode_is_True',
      'onnx-node/test_averagepool_3d_dilations_small',
      'onnx-pytorch-converted/test_Conv3d',
      'onnx-pytorch-converted/test_Conv3d_dilated',
      'onnx-pytorch-converted/test_Conv3d_dilated_strided',
      'onnx-pytorch-converted/test_Conv3d_groups',
      'onnx-pytorch-converted/test_Conv3d_no_bias',
      'onnx-pytorch-converted/test_Conv3d_stride',
      'onnx-pytorch-converted/test_Conv3d_stride_padding',
      'onnx-pytorch-converted/test_MaxPool3d',
      'onnx-pytorch-converted/test_MaxPool3d_stride',
      'onnx-pytorch-converted/test_MaxPool3d_stride_padding',
      'onnx-pytorch-converted/test_AvgPool3d',
      'onnx-pytorch-converted/test_AvgPool3d_stride',
      'onnx-pytorch-converted/test_AvgPool3d_stride1_pad0_gpu_input',
    ].map((c) => [c, threeD]),
  ),
  'onnx-node/test_maxpool_with_argmax_2d_precomputed_pads': {
    reason: "MaxPool's second output Indices (int64 argmax positions)",
    message: /Indices output/,
  },
  'onnx-node/test_maxpool_with_argmax_2d_precomputed_strides': {
    reason: "MaxPool's second output Indices (int64 argmax positions)",
    message: /Indices output/,
  },
  'onnx-node/test_batchnorm_epsilon_training_mode': {
    reason: 'BatchNormalization with training_mode = 1 (batch statistics, running-stat outputs): inference only',
    message: /training_mode = 1/,
  },
  'onnx-node/test_batchnorm_example_training_mode': {
    reason: 'BatchNormalization with training_mode = 1 (batch statistics, running-stat outputs): inference only',
    message: /training_mode = 1/,
  },
  'onnx-node/test_dropout_default_mask': {
    reason: "Dropout's mask output (bool): training-mode masks are outside the float32 runtime",
    message: /mask output/,
  },
  'onnx-node/test_dropout_default_mask_ratio': {
    reason: "Dropout's mask output (bool): training-mode masks are outside the float32 runtime",
    message: /mask output/,
  },
};

/**
 * ONNX's criterion is |actual − expected| ≤ atol + rtol·|expected| with atol 1e-7, rtol 1e-3.
 * A case that needs more gets an entry here with the reason written out.
 */
export const TOLERANCE_OVERRIDES: Readonly<Record<string, { atol: number; rtol: number; reason: string }>> = {};
const ATOL = 1e-7;
const RTOL = 1e-3;

/** A case tensor's elements (base64 of raw little-endian bytes) as its typed array. */
export function decodeTensor(t: CaseTensor): OnnxData {
  const Typed = TYPED_ARRAYS[t.dtype];
  if (!Typed) throw new Error(`conformance data: unknown dtype ${t.dtype} in ${t.name}`);
  const bytes = Buffer.from(t.data, 'base64');
  const buffer = new ArrayBuffer(bytes.byteLength); // a fresh, aligned buffer
  new Uint8Array(buffer).set(bytes);
  return new Typed(buffer);
}

export function loadConformanceCases(): ConformanceCase[] {
  return CONFORMANCE_FOLDERS.flatMap((folder) =>
    readdirSync(join(DATA, folder))
      .filter((name) => name.startsWith('test_'))
      .sort()
      .map((name) => ({ folder, ...JSON.parse(readFileSync(join(DATA, folder, name, 'case.json'), 'utf8')) }) as ConformanceCase),
  );
}

/** The first element breaking ONNX's criterion, or null when all pass. */
function firstMismatch(got: Float32Array, want: Float32Array, atol: number, rtol: number): string | null {
  for (let i = 0; i < want.length; i++) {
    const a = got[i];
    const e = want[i];
    if (a === e || (Number.isNaN(a) && Number.isNaN(e))) continue;
    if (!(Math.abs(a - e) <= atol + rtol * Math.abs(e))) {
      return `element ${i}: got ${a}, expected ${e} (|diff| ${Math.abs(a - e)} > ${atol} + ${rtol}·|expected|)`;
    }
  }
  return null;
}

/**
 * How a case runs: its outputs (null where the case leaves one out) as tensors the caller
 * disposes, with whatever else the runner made pushed onto `made` (disposed after the check).
 * A refused case must throw its UnsupportedError.
 */
export type CaseRunner = (b: BackendBase, c: ConformanceCase, made: Tensor[]) => Promise<(Tensor | null)[]>;

/**
 * The case's node through applyOnnxNode on the backend's eager ops. The data input runs as a
 * tensor, as an importer's graph input would; the other inputs are constants, as initializers
 * are (the node cases feed e.g. Clip's bounds and Reshape's shape as graph inputs, which an
 * importer sees as folded constants).
 */
export const runNodeOps: CaseRunner = async (b, c, made) => {
  const ctx = {
    constant: (data: Float32Array, shape: readonly number[]) => b.tensor(data, shape),
    release: (t: Tensor) => t.dispose(),
  };
  const inputs = c.inputs.map((t, i): OnnxInput<Tensor> | null => {
    if (t === null) return null;
    const data = decodeTensor(t);
    if (i === 0 && t.dtype === 'float32') {
      const value = b.tensor(data as Float32Array, t.shape);
      made.push(value);
      return { kind: 'tensor', value, name: t.name };
    }
    return { kind: 'constant', dtype: t.dtype, shape: t.shape, data, name: t.name };
  });
  const node = { opType: c.op, opset: c.opset, attributes: c.attributes, outputs: c.outputs.map((o) => o !== null) };
  return applyOnnxNode(b.ops, ctx, node, inputs);
};

/**
 * The describe/it blocks for every case on one backend. `backend` may be a function (async or
 * not) that makes it, for backends that need an adapter first; `execute` is the path a case
 * takes (the node translation on eager ops by default; test/onnx runs the whole importer).
 */
export function runConformance(
  backendName: string,
  backend: BackendBase | (() => BackendBase | Promise<BackendBase>),
  execute: CaseRunner = runNodeOps,
  label = '',
): void {
  const cases = loadConformanceCases();
  const key = (c: ConformanceCase) => `${c.folder}/${c.case}`;
  const counts = { passed: 0, refused: 0 };
  let b!: BackendBase;

  describe(`ONNX conformance${label} (${backendName})`, () => {
    beforeAll(async () => {
      b = typeof backend === 'function' ? await backend() : backend;
    });

    afterAll(() => {
      console.log(`conformance${label} (${backendName}): ${counts.passed} passed, ${counts.refused} refused (of ${cases.length} cases)`);
    });

    it('has every case of both folders, and every listed refusal names a case', () => {
      for (const folder of CONFORMANCE_FOLDERS) {
        const index = JSON.parse(readFileSync(join(DATA, folder, 'index.json'), 'utf8')) as { case: string }[];
        expect(cases.filter((c) => c.folder === folder).map((c) => c.case)).toEqual(index.map((e) => e.case).sort());
      }
      const known = new Set(cases.map(key));
      for (const name of [...Object.keys(REFUSED), ...Object.keys(TOLERANCE_OVERRIDES)]) expect(known, name).toContain(name);
    });

    for (const c of cases) {
      const refusal = REFUSED[key(c)];
      it(`${key(c)} (${c.op}${refusal ? ', refused' : ''})`, async () => {
        const made: Tensor[] = [];
        try {
          if (refusal) {
            let error: unknown = null;
            try {
              made.push(...(await execute(b, c, made)).flatMap((t) => (t ? [t] : [])));
            } catch (e) {
              error = e;
            }
            expect(error, `${key(c)} must be refused: ${refusal.reason}`).toBeInstanceOf(UnsupportedError);
            expect((error as Error).name).toBe('UnsupportedError');
            expect((error as Error).message).toMatch(refusal.message);
            counts.refused++;
            return;
          }
          const outputs = await execute(b, c, made);
          outputs.forEach((t) => t && made.push(t));
          const { atol, rtol } = TOLERANCE_OVERRIDES[key(c)] ?? { atol: ATOL, rtol: RTOL };
          for (const [i, want] of c.outputs.entries()) {
            if (want === null) {
              expect(outputs[i], `output ${i} is not requested`).toBeNull();
              continue;
            }
            const got = outputs[i];
            expect(got, `output ${i} (${want.name})`).not.toBeNull();
            expect(got!.shape, `output ${i} (${want.name}) shape`).toEqual(want.shape);
            const mismatch = firstMismatch(await got!.data(), decodeTensor(want) as Float32Array, atol, rtol);
            expect(mismatch, `output ${i} (${want.name})`).toBeNull();
          }
          counts.passed++;
        } finally {
          for (const t of made) t.dispose();
        }
      });
    }
  });
}
