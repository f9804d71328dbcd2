// Moves of short runs of floats (an image row: 10 to 224), for im2col and the direct convolution:
// a loop of v128 moves beats memory.copy's and memory.fill's call overhead there, and the last
// vector overlaps the one before instead of a scalar tail (dst never overlaps src).

/** n floats from src to dst. */
// @ts-ignore: decorator
@inline
export function copyFloats(dst: usize, src: usize, n: i32): void {
  if (n < 4) {
    for (let i = 0; i < n; i++) store<f32>(dst + <usize>i * 4, load<f32>(src + <usize>i * 4));
    return;
  }
  const last = <usize>(n - 4) * 4;
  for (let i: usize = 0; i < last; i += 16) v128.store(dst + i, v128.load(src + i));
  v128.store(dst + last, v128.load(src + last));
}

/** n zeros at dst. */
// @ts-ignore: decorator
@inline
export function zeroFloats(dst: usize, n: i32): void {
  if (n < 4) {
    for (let i = 0; i < n; i++) store<f32>(dst + <usize>i * 4, 0);
    return;
  }
  const last = <usize>(n - 4) * 4;
  for (let i: usize = 0; i < last; i += 16) v128.store(dst + i, i32x4.splat(0));
  v128.store(dst + last, i32x4.splat(0));
}
