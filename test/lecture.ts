// The lecture's worked examples (../shared/seed/lecture.txt), shared by the CPU and WebGPU tests.

/** The 3×3 input 0…8 and the 2×2 kernel [[0, 1], [2, 3]] of "2-D Cross Correlation". */
export const INPUT_3X3 = [0, 1, 2, 3, 4, 5, 6, 7, 8];
export const KERNEL_2X2 = [0, 1, 2, 3];
export const CROSS_CORRELATION = [19, 25, 37, 43];
/** The same with padding 1 ("Padding"). */
export const PADDED = [0, 3, 8, 4, 9, 19, 25, 10, 21, 37, 43, 16, 6, 7, 8, 0];
/** Stride 3 for height and 2 for width, padding 1 ("Stride"). */
export const STRIDED = [0, 8, 6, 8];

/**
 * "Multiple Output Channels": a 7×7×3 input (already padded by 1; channel k is the lecture's
 * x[:, :, k]), two 3×3×3 filters w0, w1 with biases 1 and 0, stride 2 → two 3×3 outputs.
 */
// prettier-ignore
export const VOLUME_INPUT = [
  0, 0, 0, 0, 0, 0, 0,  0, 0, 1, 1, 2, 2, 0,  0, 0, 1, 1, 0, 0, 0,  0, 1, 1, 0, 1, 0, 0,
  0, 1, 0, 1, 1, 1, 0,  0, 0, 2, 0, 1, 0, 0,  0, 0, 0, 0, 0, 0, 0,

  0, 0, 0, 0, 0, 0, 0,  0, 1, 1, 1, 2, 0, 0,  0, 0, 2, 1, 1, 2, 0,  0, 1, 2, 0, 0, 2, 0,
  0, 0, 2, 1, 2, 1, 0,  0, 2, 0, 1, 2, 0, 0,  0, 0, 0, 0, 0, 0, 0,

  0, 0, 0, 0, 0, 0, 0,  0, 2, 0, 2, 0, 2, 0,  0, 0, 0, 1, 2, 1, 0,  0, 1, 0, 2, 2, 1, 0,
  0, 2, 0, 2, 0, 0, 0,  0, 0, 0, 1, 1, 2, 0,  0, 0, 0, 0, 0, 0, 0,
];
// prettier-ignore
export const VOLUME_FILTERS = [
  1, 1, -1, -1, 0, 1, -1, -1, 0,   -1, 0, -1, 0, 0, -1, 1, -1, 0,   0, 1, 0, 1, 0, 1, 0, -1, 1, // w0
  -1, -1, 0, -1, 1, 0, -1, 1, 0,   1, -1, 0, -1, 0, -1, -1, 0, 0,   -1, 0, 1, 1, 0, 1, 0, -1, 0, // w1
];
export const VOLUME_BIASES = [1, 0];
export const VOLUME_OUTPUT = [1, 0, -3, -6, 1, 1, 4, -3, 1, -1, -6, -4, -2, -3, -4, -1, -3, -3];

/** 2×2 max and average pooling (stride 1) of the 3×3 input. */
export const MAX_POOLED = [4, 5, 7, 8];
export const AVG_POOLED = [2, 3, 5, 6];
