// matmul_a.wgsl — how matmul.wgsl reads A (prepended to it): each invocation reads its own.

const SHARED_A = false;

fn beginA() {}

/** A[row][p … p + 3], for the row starting at `start`. */
fn quadA(start: u32, p: u32) -> vec4f {
  return vec4f(a[start + p], a[start + p + 1u], a[start + p + 2u], a[start + p + 3u]);
}
