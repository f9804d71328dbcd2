// The GEMM kernels' epilogue for one element of C (appended to matmul.wgsl and matmul_tiled.wgsl,
// which declare the uniforms g, the bindings c and bias, ACCUMULATE, BIAS_MODE and activate):
// c[row, col] (+)= sum, + bias per row (1) or column (2), then the activation; columns past n skipped.
fn store1(row: u32, col: u32, sum: f32, c_base: u32) {
  if (col >= g.n) { return; }
  let at = c_base + row * g.ldc + col;
  var v = sum;
  if (ACCUMULATE) { v += c[at]; }
  if (BIAS_MODE == 1u) { v += bias[g.bias_offset + row]; }
  if (BIAS_MODE == 2u) { v += bias[g.bias_offset + col]; }
  c[at] = activate(v);
}
