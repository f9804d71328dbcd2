// pool2d_grad.wgsl — the gradients of max, average and adaptive average pooling
// (src/ops/pool/maxPool2dGrad.ts, avgPool2dGrad.ts, adaptiveAvgPool2dGrad.ts):
//   x [planes, H, W] (max only), dy [planes, OH, OW] -> dx [planes, H, W]
// Gathered, not scattered (WGSL has no float atomics): one invocation per dx cell walks the
// outputs whose window holds it (one per kernel tap that lands on a window start; for adaptive
// pooling, the bins around it) and adds their share:
//   MODE 0 max       dy if this cell is the window's maximum, found again as the forward pass and
//                    the CPU reference find it (first maximum, a NaN wins, a window of −∞ picks
//                    its first cell);
//   MODE 1 avg       dy / the window's divisor (COUNT_INCLUDE_PAD: taps inside the padded input,
//                    else the real cells);
//   MODE 2 adaptive  dy / the bin's size.
// 256 invocations per workgroup, spread over x and y past 65 535 (index = x + y·groups_x·256).

struct Params {
  total: u32,                    // planes · H · W
  H: u32, W: u32,
  OH: u32, OW: u32,
  kh: i32, kw: i32,
  sh: i32, sw: i32,
  dh: i32, dw: i32,
  padTop: i32, padLeft: i32, padBottom: i32, padRight: i32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;    // MODE 0; any buffer otherwise
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: array<f32>;

override MODE: u32 = 0u;
override COUNT_INCLUDE_PAD: bool = false;

// The output o whose window has tap k at `pos` along an axis, or −1: pos = o·stride − pad + k·dilation.
fn windowAt(pos: i32, k: i32, stride: i32, dilation: i32, pad: i32, outSize: u32) -> i32 {
  let start = pos + pad - k * dilation;
  if (start < 0 || start % stride != 0 || start / stride >= i32(outSize)) { return -1; }
  return start / stride;
}

// Taps of a window starting at `start` that lie in [lo, hi) along an axis.
fn tapsIn(start: i32, kernel: i32, dilation: i32, lo: i32, hi: i32) -> i32 {
  var n = 0;
  for (var k = 0; k < kernel; k++) {
    let at = start + k * dilation;
    if (at >= lo && at < hi) { n++; }
  }
  return n;
}

// NaN by its bits: a compiler may fold v != v to false (SwiftShader does here).
fn isNan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// The flat index in x of the maximum of window (oy, ox) of the plane starting at `plane`, −1 if
// the window has no real cell.
fn argmax(plane: u32, oy: i32, ox: i32) -> i32 {
  let y0 = oy * p.sh - p.padTop;
  let x0 = ox * p.sw - p.padLeft;
  var best = -1;
  var max = 0.0;
  for (var ky = 0; ky < p.kh; ky++) {
    let iy = y0 + ky * p.dh;
    if (iy < 0 || iy >= i32(p.H)) { continue; }
    for (var kx = 0; kx < p.kw; kx++) {
      let ix = x0 + kx * p.dw;
      if (ix < 0 || ix >= i32(p.W)) { continue; }
      let at = i32(plane) + iy * i32(p.W) + ix;
      let v = x[at];
      if (best < 0 || v > max || isNan(v)) {
        best = at;
        max = v;
      }
    }
  }
  return best;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.total) { return; }
  let area = p.H * p.W;
  let planeIndex = i / area;
  let iy = i32((i % area) / p.W);
  let ix = i32(i % p.W);
  let dyPlane = planeIndex * p.OH * p.OW;
  var acc = 0.0;
  if (MODE == 2u) {
    // Bins holding row iy: oy in [floor(iy·OH/H), ceil((iy + 1)·OH/H) − 1]; bin oy spans
    // [floor(oy·H/OH), ceil((oy + 1)·H/OH)).
    let uy = u32(iy);
    let ux = u32(ix);
    for (var oy = uy * p.OH / p.H; oy < ((uy + 1u) * p.OH + p.H - 1u) / p.H; oy++) {
      let rows = ((oy + 1u) * p.H + p.OH - 1u) / p.OH - oy * p.H / p.OH;
      for (var ox = ux * p.OW / p.W; ox < ((ux + 1u) * p.OW + p.W - 1u) / p.W; ox++) {
        let cols = ((ox + 1u) * p.W + p.OW - 1u) / p.OW - ox * p.W / p.OW;
        acc += dy[dyPlane + oy * p.OW + ox] / f32(rows * cols);
      }
    }
  } else {
    for (var ky = 0; ky < p.kh; ky++) {
      let oy = windowAt(iy, ky, p.sh, p.dh, p.padTop, p.OH);
      if (oy < 0) { continue; }
      for (var kx = 0; kx < p.kw; kx++) {
        let ox = windowAt(ix, kx, p.sw, p.dw, p.padLeft, p.OW);
        if (ox < 0) { continue; }
        let g = dy[dyPlane + u32(oy) * p.OW + u32(ox)];
        if (MODE == 0u) {
          if (argmax(planeIndex * area, oy, ox) == i32(i)) { acc += g; }
        } else {
          let y0 = oy * p.sh - p.padTop;
          let x0 = ox * p.sw - p.padLeft;
          var divisor: i32;
          if (COUNT_INCLUDE_PAD) {
            divisor = tapsIn(y0, p.kh, p.dh, -p.padTop, i32(p.H) + p.padBottom) * tapsIn(x0, p.kw, p.dw, -p.padLeft, i32(p.W) + p.padRight);
          } else {
            divisor = tapsIn(y0, p.kh, p.dh, 0, i32(p.H)) * tapsIn(x0, p.kw, p.dw, 0, i32(p.W));
          }
          acc += g / f32(divisor);
        }
      }
    }
  }
  dx[i] = acc;
}
