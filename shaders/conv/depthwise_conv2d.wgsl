// depthwise_conv2d.wgsl — 2-D convolution with one input channel per group (groups = C, depthwise,
// O = C·M for a channel multiplier M): each output channel oc reads input channel oc / M alone.
//   x [N, C, H, W], w [O, 1, kh, kw], b [O], residual [N, O, OH, OW] -> y [N, O, OH, OW]
//
// A depthwise tap feeds one multiply-add per pixel, so loads (gathers with a padding test on a
// software adapter) and loop bookkeeping decide the speed, not arithmetic. One invocation
// computes 8 consecutive pixels (ox0 … ox0 + 7, two vec4 accumulators per row) of ROWS output
// rows of one output channel, in one of two ways (override constants, chosen by the host):
//  - KERNEL3 (3×3, stride 1, dilation 1: MobileNet's layers): ROWS = 4 output rows from 6 input
//    rows, written out without loops. Each input row is loaded once (10 inputs: the 8 under the
//    first tap and 2 more) and feeds the up to 3 output rows whose window covers it: 60 loads
//    for 288 multiply-adds, against 216 loads for the same outputs in conv2d.wgsl's 1×8 block.
//  - otherwise ROWS = 1, a loop over the kernel rows and one over the taps (bounded by the
//    uniforms kh and kw, which the host checks positive; unsigned counters). The inputs of a
//    kernel row are loaded once and shifted by one per tap: kw + 8 loads instead of 8·kw.
// Only stride 1 and dilation 1 along the rows come here (the host's depthwiseFits); other
// depthwise layers run conv2d.wgsl, whose single tap loop is as fast for them.
// Invocations are numbered pixel block fastest, then row block, then channel, then image, so
// the invocations of a workgroup share their channel (the same weight addresses) and read
// neighbouring inputs. Blocks that stick out past the row or the last row compute on clamped
// addresses and store nothing there. The epilogue adds the bias and the residual (a skip
// connection the graph folded in, HAS_RESIDUAL) and applies the fused activation
// (activation_fn.wgsl, prepended). Workgroups of 64 are spread over x and y
// (index = gid.x + gid.y·groups_x·64) when there are more than 65 535.
// Measurements: bench/lab/conv2d/README.md.

struct Params {
  C: u32, H: u32, W: u32,              // input channels and size
  O: u32, OH: u32, OW: u32,            // output channels and size
  M: u32,                              // channel multiplier O / C
  kh: u32, kw: u32,
  sh: i32, dh: i32,                    // stride and dilation between rows (1 along a row)
  padTop: i32, padLeft: i32,
  rowBlocks: u32,                      // ceil(OW / 8): pixel blocks per output row
  rowGroups: u32,                      // ceil(OH / ROWS): row blocks per output plane
  total: u32,                          // N · O · rowGroups · rowBlocks invocations
  yImage: u32,                         // elements from one image of y to the next (O·OH·OW, more for a concat's slice)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;   // any buffer when HAS_BIAS is false
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> residual: array<f32>;   // any buffer when HAS_RESIDUAL is false

override HAS_BIAS: bool = true;
override HAS_RESIDUAL: bool = false;
override KERNEL3: bool = false;      // 3×3, stride 1, dilation 1: 4 rows per invocation, no loops

// Input at column ix of the row starting at xRow, 0 outside [0, W) or when the row is padding.
fn loadRow(xRow: u32, rowOk: bool, ix: i32) -> f32 {
  let v = x[xRow + u32(clamp(ix, 0, i32(p.W) - 1))];
  return select(0.0, v, rowOk && ix >= 0 && ix < i32(p.W));
}

// Inputs ix0 … ix0 + 9 of input row iy of the plane at xPlane (zeros in the padding).
struct Window {
  lo: vec4f,      // ix0 … ix0 + 3
  hi: vec4f,      // ix0 + 4 … ix0 + 7
  e8: f32,
  e9: f32,
}

fn loadWindow(xPlane: u32, iy: i32, ix0: i32) -> Window {
  let rowOk = iy >= 0 && iy < i32(p.H);
  let xRow = xPlane + u32(clamp(iy, 0, i32(p.H) - 1)) * p.W;
  return Window(
    vec4f(loadRow(xRow, rowOk, ix0), loadRow(xRow, rowOk, ix0 + 1), loadRow(xRow, rowOk, ix0 + 2), loadRow(xRow, rowOk, ix0 + 3)),
    vec4f(loadRow(xRow, rowOk, ix0 + 4), loadRow(xRow, rowOk, ix0 + 5), loadRow(xRow, rowOk, ix0 + 6), loadRow(xRow, rowOk, ix0 + 7)),
    loadRow(xRow, rowOk, ix0 + 8),
    loadRow(xRow, rowOk, ix0 + 9),
  );
}

// One output row's 8 pixels, two vec4s.
struct Pixels {
  lo: vec4f,
  hi: vec4f,
}

// acc + the three taps (weights k) of one kernel row over the window r.
fn taps3(acc: Pixels, r: Window, k: vec3f) -> Pixels {
  var lo = fma(vec4f(k.x), r.lo, acc.lo);
  var hi = fma(vec4f(k.x), r.hi, acc.hi);
  lo = fma(vec4f(k.y), vec4f(r.lo.yzw, r.hi.x), lo);
  hi = fma(vec4f(k.y), vec4f(r.hi.yzw, r.e8), hi);
  lo = fma(vec4f(k.z), vec4f(r.lo.zw, r.hi.xy), lo);
  hi = fma(vec4f(k.z), vec4f(r.hi.zw, r.e8, r.e9), hi);
  return Pixels(lo, hi);
}

// Bias, residual, activation and store of the 8 pixels of output row oy from ox0 (those inside y).
fn store(plane: u32, oy: u32, ox0: u32, bias: f32, acc: Pixels) {
  if (oy >= p.OH) { return; }
  let at = (plane * p.OH + oy) * p.OW;   // in residual (dense)
  let yAt = at + (plane / p.O) * (p.yImage - p.O * p.OH * p.OW);
  for (var j = 0u; j < 8u; j++) {
    let ox = ox0 + j;
    if (ox < p.OW) {
      var v = select(acc.hi[j & 3u], acc.lo[j & 3u], j < 4u) + bias;
      if (HAS_RESIDUAL) { v += residual[at + ox]; }
      y[yAt + ox] = activate(v);
    }
  }
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (index >= p.total) { return; }

  let ox0 = (index % p.rowBlocks) * 8u;
  let rows = index / p.rowBlocks;      // (n · O + oc) · rowGroups + row block
  let plane = rows / p.rowGroups;      // n · O + oc
  let oc = plane % p.O;
  let n = plane / p.O;
  let xPlane = (n * p.C + oc / p.M) * p.H * p.W;
  let wAt = oc * p.kh * p.kw;
  let ix0 = i32(ox0) - p.padLeft;
  var bias = 0.0;
  if (HAS_BIAS) { bias = b[oc]; }

  if (KERNEL3) {
    let oy0 = (rows % p.rowGroups) * 4u;
    let iy0 = i32(oy0) - p.padTop;
    let k0 = vec3f(w[wAt], w[wAt + 1u], w[wAt + 2u]);
    let k1 = vec3f(w[wAt + 3u], w[wAt + 4u], w[wAt + 5u]);
    let k2 = vec3f(w[wAt + 6u], w[wAt + 7u], w[wAt + 8u]);
    // Output row t reads input rows t, t + 1, t + 2 with kernel rows k0, k1, k2.
    let r0 = loadWindow(xPlane, iy0, ix0);
    var y0 = taps3(Pixels(vec4f(0.0), vec4f(0.0)), r0, k0);
    let r1 = loadWindow(xPlane, iy0 + 1, ix0);
    y0 = taps3(y0, r1, k1);
    var y1 = taps3(Pixels(vec4f(0.0), vec4f(0.0)), r1, k0);
    let r2 = loadWindow(xPlane, iy0 + 2, ix0);
    y0 = taps3(y0, r2, k2);
    y1 = taps3(y1, r2, k1);
    var y2 = taps3(Pixels(vec4f(0.0), vec4f(0.0)), r2, k0);
    let r3 = loadWindow(xPlane, iy0 + 3, ix0);
    y1 = taps3(y1, r3, k2);
    y2 = taps3(y2, r3, k1);
    var y3 = taps3(Pixels(vec4f(0.0), vec4f(0.0)), r3, k0);
    let r4 = loadWindow(xPlane, iy0 + 4, ix0);
    y2 = taps3(y2, r4, k2);
    y3 = taps3(y3, r4, k1);
    let r5 = loadWindow(xPlane, iy0 + 5, ix0);
    y3 = taps3(y3, r5, k2);
    store(plane, oy0, ox0, bias, y0);
    store(plane, oy0 + 1u, ox0, bias, y1);
    store(plane, oy0 + 2u, ox0, bias, y2);
    store(plane, oy0 + 3u, ox0, bias, y3);
    return;
  }

  let oy = rows % p.rowGroups;
  var lo = vec4f(0.0);
  var hi = vec4f(0.0);
  var at = wAt;
  var iy = i32(oy) * p.sh - p.padTop;
  for (var ky = 0u; ky < p.kh; ky++) {
    let rowOk = iy >= 0 && iy < i32(p.H);
    let xRow = xPlane + u32(clamp(iy, 0, i32(p.H) - 1)) * p.W;
    // The window under tap kx: inputs ix0 + kx … ix0 + kx + 7.
    var x0 = vec4f(loadRow(xRow, rowOk, ix0), loadRow(xRow, rowOk, ix0 + 1), loadRow(xRow, rowOk, ix0 + 2), loadRow(xRow, rowOk, ix0 + 3));
    var x1 = vec4f(loadRow(xRow, rowOk, ix0 + 4), loadRow(xRow, rowOk, ix0 + 5), loadRow(xRow, rowOk, ix0 + 6), loadRow(xRow, rowOk, ix0 + 7));
    var next = ix0 + 8;
    for (var kx = 0u; kx < p.kw; kx++) {
      let v = vec4f(w[at]);
      lo = fma(v, x0, lo);
      hi = fma(v, x1, hi);
      at++;
      // Shift in the input of the next tap (one past the window; clamped and unused after the last tap).
      x0 = vec4f(x0.yzw, x1.x);
      x1 = vec4f(x1.yzw, loadRow(xRow, rowOk, next));
      next++;
    }
    iy += p.dh;
  }
  store(plane, oy, ox0, bias, Pixels(lo, hi));
}
