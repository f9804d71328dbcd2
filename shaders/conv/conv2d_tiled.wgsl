// conv2d_tiled.wgsl — 2-D convolution as an implicit GEMM with workgroup-memory tiles, the
// variant for GPUs (src/ops/conv/conv2dGpu.ts picks it on hardware adapters for layers with many
// output channels; software adapters run shaders/conv/conv2d.wgsl, which is 2x faster there).
//   x [N, C, H, W], w [O, C/g, kh, kw], b [O], residual [N, O, OH, OW] -> y [N, O, OH, OW]
// One workgroup of 16 × 16 invocations computes a 64-channel × 64-pixel tile of one group's
// Y_g[Og, N·OH·OW] = W_g[Og, K] · im2col(X)[K, N·OH·OW] (pixels flattened over images and rows,
// K = Cg·kh·kw). K is walked in steps of 16: every invocation loads 4 weights (consecutive along
// K, so neighbours read neighbouring addresses) and gathers 4 im2col entries (its pixel is fixed,
// t % 64, its taps t / 64 + 4l; zero in the padding) into workgroup memory; after a barrier each
// invocation multiplies its 4-channel × 4-pixel block out of the two tiles (vec4 reads) into
// registers. Workgroup memory: Ws [16 k][64 channels] and Xs [16 k][64 pixels], 8 KiB.
// The epilogue adds the bias and the residual (HAS_RESIDUAL: a skip connection the graph folded
// in) and applies the fused activation (activation_fn.wgsl, prepended).
// Tiles are numbered pixel tile fastest, then channel tile, then group; workgroups spread over
// x and y (tile = wg.x + wg.y·groups_x) past 65 535.
// Slower than conv2d.wgsl on SwiftShader; not yet timed on a discrete GPU (bench/lab/conv2d/README.md).

struct Params {
  C: u32, H: u32, W: u32,
  O: u32, OH: u32, OW: u32,
  Cg: u32, Og: u32,
  kh: u32, kw: u32,
  sh: i32, sw: i32,
  dh: i32, dw: i32,
  padTop: i32, padLeft: i32,
  pixels: u32,                 // N · OH · OW
  pixelTiles: u32,             // ceil(pixels / 64)
  channelTiles: u32,           // ceil(Og / 64) per group
  tiles: u32,                  // pixelTiles · channelTiles · groups
  yImage: u32,                 // elements from one image of y to the next (O·OH·OW, more for a concat's slice)
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> w: array<f32>;
@group(0) @binding(3) var<storage, read> b: array<f32>;
@group(0) @binding(4) var<storage, read_write> y: array<f32>;
@group(0) @binding(5) var<storage, read> residual: array<f32>;   // any buffer when HAS_RESIDUAL is false

override HAS_BIAS: bool = true;
override HAS_RESIDUAL: bool = false;

const BM = 64u;
const BN = 64u;
const BK = 16u;

var<workgroup> Ws: array<vec4f, 256>;   // [BK][BM / 4]
var<workgroup> Xs: array<vec4f, 256>;   // [BK][BN / 4]

@compute @workgroup_size(16, 16)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_id) lid: vec3u) {
  let tile = wg.x + wg.y * groups.x;
  if (tile >= p.tiles) { return; }       // uniform over the workgroup
  let pt = tile % p.pixelTiles;
  let ct = tile / p.pixelTiles;
  let g = ct / p.channelTiles;
  let m0 = (ct % p.channelTiles) * BM;  // first channel of the tile within the group
  let q0 = pt * BN;                      // first pixel of the tile
  let t = lid.y * 16u + lid.x;
  let taps = p.kh * p.kw;
  let K = p.Cg * taps;
  let OHW = p.OH * p.OW;

  // The pixel this invocation gathers for (fixed over K).
  let pp = t % BN;
  let q = q0 + pp;
  let qValid = q < p.pixels;
  let qn = q / OHW;
  let qr = q % OHW;
  let iyBase = i32(qr / p.OW) * p.sh - p.padTop;
  let ixBase = i32(qr % p.OW) * p.sw - p.padLeft;
  let xImage = (qn * p.C + g * p.Cg) * p.H * p.W;

  var acc: array<vec4f, 4>;
  for (var k0 = 0u; k0 < K; k0 += BK) {
    for (var l = 0u; l < 4u; l++) {
      let idx = t + l * 256u;
      // Weights: channel idx / BK, tap idx % BK.
      let mm = idx / BK;
      let kk = idx % BK;
      var wv = 0.0;
      if (m0 + mm < p.Og && k0 + kk < K) { wv = w[(g * p.Og + m0 + mm) * K + k0 + kk]; }
      Ws[kk * 16u + mm / 4u][mm % 4u] = wv;
      // im2col: tap t / BN + 4l for pixel pp.
      let xk = t / BN + 4u * l;
      let k = k0 + xk;
      var xv = 0.0;
      if (qValid && k < K) {
        let ci = k / taps;
        let r = k % taps;
        let iy = iyBase + i32(r / p.kw) * p.dh;
        let ix = ixBase + i32(r % p.kw) * p.dw;
        if (iy >= 0 && iy < i32(p.H) && ix >= 0 && ix < i32(p.W)) {
          xv = x[xImage + (ci * p.H + u32(iy)) * p.W + u32(ix)];
        }
      }
      Xs[xk * 16u + pp / 4u][pp % 4u] = xv;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < BK; kk++) {
      let a = Ws[kk * 16u + lid.y];
      let bv = Xs[kk * 16u + lid.x];
      acc[0] = fma(vec4f(a.x), bv, acc[0]);
      acc[1] = fma(vec4f(a.y), bv, acc[1]);
      acc[2] = fma(vec4f(a.z), bv, acc[2]);
      acc[3] = fma(vec4f(a.w), bv, acc[3]);
    }
    workgroupBarrier();
  }

  for (var i = 0u; i < 4u; i++) {
    let m = m0 + lid.y * 4u + i;
    if (m >= p.Og) { break; }
    let oc = g * p.Og + m;
    var bias = 0.0;
    if (HAS_BIAS) { bias = b[oc]; }
    for (var j = 0u; j < 4u; j++) {
      let qo = q0 + lid.x * 4u + j;
      if (qo >= p.pixels) { break; }
      let at = ((qo / OHW) * p.O + oc) * OHW + qo % OHW;
      var v = acc[i][j] + bias;
      if (HAS_RESIDUAL) { v += residual[at]; }
      y[at + (qo / OHW) * (p.yImage - p.O * OHW)] = activate(v);
    }
  }
}
