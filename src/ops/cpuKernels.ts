// The TypeScript reference implementations of the dense CPU kernels (op.ts's CpuKernels): what
// ops use when a backend hands them nothing else, and what faster kernels are tested against.
import { convolveCpu } from './conv/im2col.js';
import { activateInPlace } from './elementwise/activation.js';
import { gemm } from './gemm/gemm.js';
import type { CpuKernels } from './op.js';

export const referenceKernels: CpuKernels = {
  gemm,
  conv2d(x, w, b, y, win, groups, activation) {
    convolveCpu(x, w, b, y, win, groups);
    activateInPlace(y.data, activation);
  },
};
