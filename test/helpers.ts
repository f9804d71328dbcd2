// Shared test utilities: seeded random data and the comparison rules of DESIGN.md.
import { expect } from 'vitest';
import type { BackendBase } from '../src/backends/backendBase';
import { CpuBackend } from '../src/backends/cpu/cpuBackend';
import { Random } from '../src/random';
import { sizeOf } from '../src/shape';
import type { Tensor } from '../src/tensor';

/** The CPU backend as users get it: the wasm SIMD kernels (test/wasmKernels.test.ts checks they loaded). */
export const cpu = await CpuBackend.create();
/** The CPU backend on the TypeScript reference kernels (createBackend('cpu', { wasm: false })). */
export const cpuTypescript = await CpuBackend.create({ wasm: false });

export function randomTensor(rng: Random, shape: number[], backend = cpu, lo = -1, hi = 1): Tensor {
  return backend.tensor(rng.fill(sizeOf(shape), lo, hi), shape);
}

/** The same random data as a tensor on the CPU reference and on `other` (the backend under test). */
export function twinTensors(rng: Random, shape: number[], other: BackendBase, lo = -1, hi = 1): [Tensor, Tensor] {
  const data = rng.fill(sizeOf(shape), lo, hi);
  return [cpu.tensor(data, shape), other.tensor(data, shape)];
}

/**
 * DESIGN.md's rule for random and model comparisons: |got − ref| ≤ 1e-4 + 1e-3·max|ref|, the
 * maximum over the finite references; a NaN or infinite reference must be matched exactly.
 */
export function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, what = 'tensor'): void {
  expect(got.length, `${what}: length`).toBe(ref.length);
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) if (Number.isFinite(ref[i])) maxRef = Math.max(maxRef, Math.abs(ref[i]));
  const tol = 1e-4 + 1e-3 * maxRef;
  let worst = -1;
  let at = -1;
  for (let i = 0; i < ref.length; i++) {
    const ok = Number.isFinite(ref[i]) ? Math.abs(got[i] - ref[i]) <= tol : Object.is(got[i], ref[i]) || (Number.isNaN(got[i]) && Number.isNaN(ref[i]));
    if (ok) continue;
    const err = Number.isFinite(ref[i]) ? Math.abs(got[i] - ref[i]) : Infinity;
    if (!(err <= worst)) {
      worst = err;
      at = i;
    }
  }
  if (at >= 0) {
    expect.fail(`${what}: element ${at} is ${got[at]}, expected ${ref[at]} (|diff| ${Math.abs(got[at] - ref[at])} > tolerance ${tol})`);
  }
}

/** Exact comparison for hand-worked examples. */
export function expectValues(got: ArrayLike<number>, want: number[]): void {
  expect(Array.from(got)).toEqual(want);
}

export { Random };
