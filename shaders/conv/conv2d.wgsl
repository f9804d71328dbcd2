// conv2d.wgsl — 2-D convolution as an implicit GEMM, register-blocked, no workgroup memory.
//   x [N, C, H, W], w [O, C/g, kh, kw], b [O], residual [N, O, OH, OW] -> y [N, O, OH, OW]
// Per group g the convolution is the product Y_g[Og, N·OH·OW] = W_g[Og, K] · im2col(X)[K, N·OH·OW]
// with K = Cg·kh·kw. The im2col matrix is never built: each invocation gathers the input under
// its kernel taps on the fly.
//
// Who computes what: one invocation computes a TM × TN block of outputs, TM consecutive output
// channels of one group × TN consecutive pixels of one output row (oy, ox0 … ox0 + TN − 1). It
// walks the K taps in one loop, (ky, kx) advanced like an odometer; for each tap it loads TN
// inputs (zero where the tap falls in the padding) and TM weights and does TM·TN multiply-adds,
// so each load feeds TM or TN FMAs. Accumulators are vec4s over 4 pixels: a<m>_<h> holds
// channel m, pixels 4h … 4h + 3. TM ∈ {1, 2, 4, 8, 16} and TN ∈ {4, 8} are override constants; the
// code is written out for the largest block with every row or quad past TM / TN under an `if`
// on those constants, which folds away, so the accumulators stay in registers.
// Nothing sits in workgroup memory.
//
// Invocations are numbered pixel block fastest, so the invocations of a workgroup share their
// channel block (the same weight addresses) and read neighbouring inputs. Blocks that stick out
// past the last channel of a group or the last pixel of a row compute on clamped addresses and
// store nothing there. The epilogue adds the bias and the residual (a skip connection folded in
// by the graph, HAS_RESIDUAL) and applies the fused activation
// (activation_fn.wgsl, prepended). Workgroups of WG invocations are spread over x and y
// (index = gid.x + gid.y·groups_x·WG) when there are more than 65 535.
//
// Why this shape (named accumulators, one tap loop, no workgroup memory): the measurements in
// bench/lab/conv2d/README.md. The block sizes per shape are chosen in src/ops/conv/conv2dGpu.ts.

struct Params {
  C: u32, H: u32, W: u32,              // input channels and size
  O: u32, OH: u32, OW: u32,            // output channels and size
  Cg: u32, Og: u32,                    // input and output channels per group
  kh: u32, kw: u32,
  sh: i32, sw: i32,                    // stride
  dh: i32, dw: i32,                    // dilation
  padTop: i32, padLeft: i32,
  rowBlocks: u32,                      // ceil(OW / TN): pixel blocks per output row
  pixelBlocks: u32,                    // N · OH · rowBlocks
  channelBlocks: u32,                  // ceil(Og / TM): channel blocks per group
  total: u32,                          // pixelBlocks · channelBlocks · groups invocations
  yImage: u32,                         // elements from one image of y to the next (O·OH·OW, more for a concat's slice)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;   // any buffer when HAS_BIAS is false
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> residual: array<f32>;   // any buffer when HAS_RESIDUAL is false

override TM: u32 = 4u;           // output channels per invocation: 1, 2, 4, 8 or 16
override TN: u32 = 4u;           // output pixels per invocation: 4 or 8
override HAS_BIAS: bool = true;
override HAS_RESIDUAL: bool = false;
override WG: u32 = 64u;

// Where the block's outputs go (set once in main, read by store()).
var<private> yPixel: u32;        // offset of (n, channel 0, oy, ox0) in y and residual (dense)
var<private> ySlice: u32;        // what y's images add to it (y a slice of a larger tensor)
var<private> ox0: u32;
var<private> oc0: u32;
var<private> ocEnd: u32;

// Input at column ix of the row starting at xRow, 0 outside [0, W) or when the row is padding.
fn loadRow(xRow: u32, rowOk: bool, ix: i32) -> f32 {
  let v = x[xRow + u32(clamp(ix, 0, i32(p.W) - 1))];
  return select(0.0, v, rowOk && ix >= 0 && ix < i32(p.W));
}

// Bias, activation and store of channel oc0 + m, pixels ox0 + 4h … + 3 (the parts inside y).
fn store(m: u32, h: u32, acc: vec4f) {
  let oc = oc0 + m;
  if (oc >= ocEnd) { return; }
  var bias = 0.0;
  if (HAS_BIAS) { bias = b[oc]; }
  let at = yPixel + oc * p.OH * p.OW;
  for (var j = 0u; j < 4u; j++) {
    let ox = ox0 + 4u * h + j;
    if (ox < p.OW) {
      var v = acc[j] + bias;
      if (HAS_RESIDUAL) { v += residual[at + ox]; }
      y[at + ox + ySlice] = activate(v);
    }
  }
}

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * WG;
  if (index >= p.total) { return; }

  // Which block: pixel block fastest, then channel block, then group.
  let pb = index % p.pixelBlocks;
  let cb = index / p.pixelBlocks;
  let g = cb / p.channelBlocks;
  oc0 = g * p.Og + (cb % p.channelBlocks) * TM;
  ocEnd = (g + 1u) * p.Og;
  let row = pb / p.rowBlocks;        // n · OH + oy
  let oy = row % p.OH;
  let n = row / p.OH;
  ox0 = (pb % p.rowBlocks) * TN;
  yPixel = n * p.O * p.OH * p.OW + oy * p.OW;
  ySlice = n * (p.yImage - p.O * p.OH * p.OW);

  // Weight row of each channel of the block; rows past the group repeat its last channel.
  let K = p.Cg * p.kh * p.kw;
  let last = ocEnd - 1u;
  let w0 = min(oc0, last) * K;
  let w1 = min(oc0 + 1u, last) * K;
  let w2 = min(oc0 + 2u, last) * K;
  let w3 = min(oc0 + 3u, last) * K;
  let w4 = min(oc0 + 4u, last) * K;
  let w5 = min(oc0 + 5u, last) * K;
  let w6 = min(oc0 + 6u, last) * K;
  let w7 = min(oc0 + 7u, last) * K;
  let w8 = min(oc0 + 8u, last) * K;
  let w9 = min(oc0 + 9u, last) * K;
  let w10 = min(oc0 + 10u, last) * K;
  let w11 = min(oc0 + 11u, last) * K;
  let w12 = min(oc0 + 12u, last) * K;
  let w13 = min(oc0 + 13u, last) * K;
  let w14 = min(oc0 + 14u, last) * K;
  let w15 = min(oc0 + 15u, last) * K;

  var a0_0 = vec4f(0.0); var a0_1 = vec4f(0.0);
  var a1_0 = vec4f(0.0); var a1_1 = vec4f(0.0);
  var a2_0 = vec4f(0.0); var a2_1 = vec4f(0.0);
  var a3_0 = vec4f(0.0); var a3_1 = vec4f(0.0);
  var a4_0 = vec4f(0.0); var a4_1 = vec4f(0.0);
  var a5_0 = vec4f(0.0); var a5_1 = vec4f(0.0);
  var a6_0 = vec4f(0.0); var a6_1 = vec4f(0.0);
  var a7_0 = vec4f(0.0); var a7_1 = vec4f(0.0);
  var a8_0 = vec4f(0.0); var a8_1 = vec4f(0.0);
  var a9_0 = vec4f(0.0); var a9_1 = vec4f(0.0);
  var a10_0 = vec4f(0.0); var a10_1 = vec4f(0.0);
  var a11_0 = vec4f(0.0); var a11_1 = vec4f(0.0);
  var a12_0 = vec4f(0.0); var a12_1 = vec4f(0.0);
  var a13_0 = vec4f(0.0); var a13_1 = vec4f(0.0);
  var a14_0 = vec4f(0.0); var a14_1 = vec4f(0.0);
  var a15_0 = vec4f(0.0); var a15_1 = vec4f(0.0);

  let iy0 = i32(oy) * p.sh - p.padTop;
  let ix0 = i32(ox0) * p.sw - p.padLeft;
  let sw = p.sw;
  var xPlane = (n * p.C + g * p.Cg) * p.H * p.W;
  var kx = 0u;
  var ky = 0u;
  var ix = ix0;
  var iy = iy0;
  for (var tap = 0u; tap < K; tap++) {
    let rowOk = iy >= 0 && iy < i32(p.H);
    let xRow = xPlane + u32(clamp(iy, 0, i32(p.H) - 1)) * p.W;
      let x0 = vec4f(loadRow(xRow, rowOk, ix), loadRow(xRow, rowOk, ix + sw), loadRow(xRow, rowOk, ix + 2 * sw), loadRow(xRow, rowOk, ix + 3 * sw));
      var x1 = vec4f(0.0);
      if (TN > 4u) { x1 = vec4f(loadRow(xRow, rowOk, ix + 4 * sw), loadRow(xRow, rowOk, ix + 5 * sw), loadRow(xRow, rowOk, ix + 6 * sw), loadRow(xRow, rowOk, ix + 7 * sw)); }

      let v0 = vec4f(w[w0 + tap]);
      a0_0 = fma(v0, x0, a0_0);
      if (TN > 4u) { a0_1 = fma(v0, x1, a0_1); }
      if (TM > 1u) {
        let v1 = vec4f(w[w1 + tap]);
        a1_0 = fma(v1, x0, a1_0);
        if (TN > 4u) { a1_1 = fma(v1, x1, a1_1); }
      }
      if (TM > 2u) {
        let v2 = vec4f(w[w2 + tap]);
        let v3 = vec4f(w[w3 + tap]);
        a2_0 = fma(v2, x0, a2_0);
        a3_0 = fma(v3, x0, a3_0);
        if (TN > 4u) { a2_1 = fma(v2, x1, a2_1); a3_1 = fma(v3, x1, a3_1); }
      }
      if (TM > 4u) {
        let v4 = vec4f(w[w4 + tap]);
        let v5 = vec4f(w[w5 + tap]);
        let v6 = vec4f(w[w6 + tap]);
        let v7 = vec4f(w[w7 + tap]);
        a4_0 = fma(v4, x0, a4_0);
        a5_0 = fma(v5, x0, a5_0);
        a6_0 = fma(v6, x0, a6_0);
        a7_0 = fma(v7, x0, a7_0);
        if (TN > 4u) { a4_1 = fma(v4, x1, a4_1); a5_1 = fma(v5, x1, a5_1); a6_1 = fma(v6, x1, a6_1); a7_1 = fma(v7, x1, a7_1); }
      }
      if (TM > 8u) {
        let v8 = vec4f(w[w8 + tap]);
        let v9 = vec4f(w[w9 + tap]);
        let v10 = vec4f(w[w10 + tap]);
        let v11 = vec4f(w[w11 + tap]);
        let v12 = vec4f(w[w12 + tap]);
        let v13 = vec4f(w[w13 + tap]);
        let v14 = vec4f(w[w14 + tap]);
        let v15 = vec4f(w[w15 + tap]);
        a8_0 = fma(v8, x0, a8_0);
        a9_0 = fma(v9, x0, a9_0);
        a10_0 = fma(v10, x0, a10_0);
        a11_0 = fma(v11, x0, a11_0);
        a12_0 = fma(v12, x0, a12_0);
        a13_0 = fma(v13, x0, a13_0);
        a14_0 = fma(v14, x0, a14_0);
        a15_0 = fma(v15, x0, a15_0);
        if (TN > 4u) {
          a8_1 = fma(v8, x1, a8_1);
          a9_1 = fma(v9, x1, a9_1);
          a10_1 = fma(v10, x1, a10_1);
          a11_1 = fma(v11, x1, a11_1);
          a12_1 = fma(v12, x1, a12_1);
          a13_1 = fma(v13, x1, a13_1);
          a14_1 = fma(v14, x1, a14_1);
          a15_1 = fma(v15, x1, a15_1);
        }
      }
    kx++;
    ix += p.dw;
    if (kx == p.kw) {
      kx = 0u;
      ix = ix0;
      ky++;
      iy += p.dh;
      if (ky == p.kh) {
        ky = 0u;
        iy = iy0;
        xPlane += p.H * p.W;
      }
    }
  }

  store(0u, 0u, a0_0);
  if (TN > 4u) { store(0u, 1u, a0_1); }
  if (TM > 1u) { store(1u, 0u, a1_0); if (TN > 4u) { store(1u, 1u, a1_1); } }
  if (TM > 2u) {
    store(2u, 0u, a2_0); store(3u, 0u, a3_0);
    if (TN > 4u) { store(2u, 1u, a2_1); store(3u, 1u, a3_1); }
  }
  if (TM > 4u) {
    store(4u, 0u, a4_0); store(5u, 0u, a5_0); store(6u, 0u, a6_0); store(7u, 0u, a7_0);
    if (TN > 4u) { store(4u, 1u, a4_1); store(5u, 1u, a5_1); store(6u, 1u, a6_1); store(7u, 1u, a7_1); }
  }
  if (TM > 8u) {
    store(8u, 0u, a8_0);
    store(9u, 0u, a9_0);
    store(10u, 0u, a10_0);
    store(11u, 0u, a11_0);
    store(12u, 0u, a12_0);
    store(13u, 0u, a13_0);
    store(14u, 0u, a14_0);
    store(15u, 0u, a15_0);
    if (TN > 4u) {
      store(8u, 1u, a8_1);
      store(9u, 1u, a9_1);
      store(10u, 1u, a10_1);
      store(11u, 1u, a11_1);
      store(12u, 1u, a12_1);
      store(13u, 1u, a13_1);
      store(14u, 1u, a14_1);
      store(15u, 1u, a15_1);
    }
  }
}
