// 01_arrays.wgsl — lab variant: the first register-blocked kernel, accumulators in a local
// array<array<f32, 8>, 8> indexed by loop counters bounded by the TM / TN override constants.
// (The shipped kernel's layout otherwise: same bindings, uniform block and block numbering.)

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
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;   // any buffer when HAS_BIAS is false
@group(0) @binding(4) var<storage, read_write> y: array<f32>;

override TM: u32 = 4u;           // output channels per invocation, at most MAX_TM
override TN: u32 = 4u;           // output pixels per invocation, at most MAX_TN
override HAS_BIAS: bool = true;
override WG: u32 = 64u;

const MAX_TM = 8u;
const MAX_TN = 8u;

@compute @workgroup_size(WG)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * WG;
  if (index >= p.total) { return; }

  // Which block: pixel block fastest, then channel block, then group.
  let pb = index % p.pixelBlocks;
  let cb = index / p.pixelBlocks;
  let g = cb / p.channelBlocks;
  let oc0 = g * p.Og + (cb % p.channelBlocks) * TM;
  let ocEnd = (g + 1u) * p.Og;
  let rb = pb % p.rowBlocks;
  let row = pb / p.rowBlocks;        // n · OH + oy
  let oy = row % p.OH;
  let n = row / p.OH;
  let ox0 = rb * TN;

  let taps = p.kh * p.kw;
  let K = p.Cg * taps;
  // Weight row of each of the block's channels; rows past the group repeat its last channel.
  var wRow: array<u32, MAX_TM>;
  for (var m = 0u; m < TM; m++) { wRow[m] = min(oc0 + m, ocEnd - 1u) * K; }

  var acc: array<array<f32, MAX_TN>, MAX_TM>;
  for (var m = 0u; m < TM; m++) {
    for (var j = 0u; j < TN; j++) { acc[m][j] = 0.0; }
  }

  let W = i32(p.W);
  let H = i32(p.H);
  let iy0 = i32(oy) * p.sh - p.padTop;
  let ix0 = i32(ox0) * p.sw - p.padLeft;
  var xPlane = (n * p.C + g * p.Cg) * p.H * p.W;
  var wTap = 0u;                     // ci · taps + ky · kw + kx
  for (var ci = 0u; ci < p.Cg; ci++) {
    for (var ky = 0u; ky < p.kh; ky++) {
      let iy = iy0 + i32(ky) * p.dh;
      if (iy < 0 || iy >= H) { wTap += p.kw; continue; }
      let xRow = xPlane + u32(iy) * p.W;
      for (var kx = 0u; kx < p.kw; kx++) {
        let ixk = ix0 + i32(kx) * p.dw;
        var xv: array<f32, MAX_TN>;
        for (var j = 0u; j < TN; j++) {
          let ix = ixk + i32(j) * p.sw;
          let v = x[xRow + u32(clamp(ix, 0, W - 1))];
          xv[j] = select(0.0, v, ix >= 0 && ix < W);
        }
        for (var m = 0u; m < TM; m++) {
          let wv = w[wRow[m] + wTap];
          for (var j = 0u; j < TN; j++) { acc[m][j] = fma(wv, xv[j], acc[m][j]); }
        }
        wTap++;
      }
    }
    xPlane += p.H * p.W;
  }

  // Epilogue: bias, activation, store the part of the block inside the output.
  for (var m = 0u; m < TM; m++) {
    let oc = oc0 + m;
    if (oc >= ocEnd) { break; }
    var bias = 0.0;
    if (HAS_BIAS) { bias = b[oc]; }
    let yRow = ((n * p.O + oc) * p.OH + oy) * p.OW;
    for (var j = 0u; j < TN; j++) {
      let ox = ox0 + j;
      if (ox < p.OW) { y[yRow + ox] = activate(acc[m][j] + bias); }
    }
  }
}
