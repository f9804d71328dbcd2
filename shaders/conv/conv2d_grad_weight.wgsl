// conv2d_grad_weight.wgsl — the weight gradient of a convolution (src/ops/conv/conv2dGradWeight.ts):
//   x [N, C, H, W], dy [N, O, OH, OW] -> dw [O, C/g, kh, kw]
// Per group, dW_g [Og, K] = dY_g [Og, N·OH·OW] · im2col(x)ᵀ [N·OH·OW, K], K = Cg·kh·kw: a
// product whose inner dimension, the output pixels of every image, is long (50 000 for LeNet's
// first layer at batch 64) while dW is small.
//
// Who computes what: each 4-channel × 4-tap block of dW sums, over pixels, 4 dy values times 4
// inputs (zero in the padding): 16 multiply-adds per 8 loads, in vec4 accumulators (column m =
// channel m, taps 0..3). Two entry points split that sum differently:
//   main       one workgroup of WG invocations per block; invocation l takes pixels l, l + WG, …
//              (neighbours read neighbouring dy and x) and the WG partial blocks are summed in
//              workgroup memory (log2 WG barrier steps). For GPUs: long pixel sums (LeNet's
//              first layer: 50 000 at batch 64) spread over many invocations.
//   per_block  one invocation per block, all pixels in order, no workgroup memory: for software
//              adapters, where a workgroup with barriers costs more than its arithmetic.
// Blocks past the last channel of a group or the last tap compute on clamped indices and store
// nothing there. Workgroups spread over x and y past 65 535.

struct Params {
  C: u32, H: u32, W: u32,
  O: u32, OH: u32, OW: u32,
  Cg: u32, Og: u32,
  kh: u32, kw: u32,
  sh: i32, sw: i32,              // stride
  dh: i32, dw: i32,              // dilation
  padTop: i32, padLeft: i32,
  pixels: u32,                   // N · OH · OW
  channelBlocks: u32,            // ceil(Og / 4)
  tapBlocks: u32,                // ceil(K / 4)
  blocks: u32,                   // tapBlocks · channelBlocks · groups workgroups
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dw: array<f32>;

override WG: u32 = 64u;          // a power of two (main)

var<workgroup> sums: array<mat4x4f, WG>;   // per invocation, column m = channel m's 4 taps

// x at (row iy, column ix) of the plane starting at `plane`, 0 in the padding.
fn input(plane: u32, iy: i32, ix: i32) -> f32 {
  let ok = iy >= 0 && iy < i32(p.H) && ix >= 0 && ix < i32(p.W);
  let v = x[plane + u32(clamp(iy, 0, i32(p.H) - 1)) * p.W + u32(clamp(ix, 0, i32(p.W) - 1))];
  return select(0.0, v, ok);
}

// The block's 4 × 4 partial sum over pixels first, first + step, … (column m = channel m).
fn blockSum(block: u32, first: u32, step: u32) -> mat4x4f {
  let tb = block % p.tapBlocks;
  let cb = (block / p.tapBlocks) % p.channelBlocks;
  let g = block / (p.tapBlocks * p.channelBlocks);
  let taps = p.kh * p.kw;
  let K = p.Cg * taps;
  let OHW = p.OH * p.OW;

  // The block's channels (clamped to the group) and, per tap, its input plane and offsets.
  let ocEnd = (g + 1u) * p.Og;
  let oc0 = g * p.Og + cb * 4u;
  let oc = vec4u(min(oc0, ocEnd - 1u), min(oc0 + 1u, ocEnd - 1u), min(oc0 + 2u, ocEnd - 1u), min(oc0 + 3u, ocEnd - 1u));
  var plane: vec4u;
  var offY: vec4i;
  var offX: vec4i;
  for (var j = 0u; j < 4u; j++) {
    let tap = min(tb * 4u + j, K - 1u);
    let r = tap % taps;
    plane[j] = (g * p.Cg + tap / taps) * p.H * p.W;
    offY[j] = i32(r / p.kw) * p.dh - p.padTop;
    offX[j] = i32(r % p.kw) * p.dw - p.padLeft;
  }

  var acc0 = vec4f(0.0);
  var acc1 = vec4f(0.0);
  var acc2 = vec4f(0.0);
  var acc3 = vec4f(0.0);
  for (var q = first; q < p.pixels; q += step) {
    let n = q / OHW;
    let r = q % OHW;
    let iy = i32(r / p.OW) * p.sh;
    let ix = i32(r % p.OW) * p.sw;
    let dyAt = n * p.O * OHW + r;
    let image = n * p.C * p.H * p.W;
    let xv = vec4f(
      input(image + plane.x, iy + offY.x, ix + offX.x),
      input(image + plane.y, iy + offY.y, ix + offX.y),
      input(image + plane.z, iy + offY.z, ix + offX.z),
      input(image + plane.w, iy + offY.w, ix + offX.w),
    );
    acc0 = fma(vec4f(dy[dyAt + oc.x * OHW]), xv, acc0);
    acc1 = fma(vec4f(dy[dyAt + oc.y * OHW]), xv, acc1);
    acc2 = fma(vec4f(dy[dyAt + oc.z * OHW]), xv, acc2);
    acc3 = fma(vec4f(dy[dyAt + oc.w * OHW]), xv, acc3);
  }
  return mat4x4f(acc0, acc1, acc2, acc3);
}

// Stores channel m, tap j of the block (nothing past the group's channels or the taps).
fn store(block: u32, m: u32, j: u32, value: f32) {
  let tb = block % p.tapBlocks;
  let cb = (block / p.tapBlocks) % p.channelBlocks;
  let g = block / (p.tapBlocks * p.channelBlocks);
  let K = p.Cg * p.kh * p.kw;
  let tap = tb * 4u + j;
  let o = cb * 4u + m;
  if (o < p.Og && tap < K) { dw[(g * p.Og + o) * K + tap] = value; }
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) groups: vec3u, @builtin(local_invocation_index) lid: u32) {
  let block = wg.x + wg.y * groups.x;
  if (block >= p.blocks) { return; }     // uniform over the workgroup
  sums[lid] = blockSum(block, lid, WG);
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    workgroupBarrier();
    if (lid < half) { sums[lid] += sums[lid + half]; }
  }
  workgroupBarrier();
  if (lid < 16u) { store(block, lid / 4u, lid % 4u, sums[0][lid / 4u][lid % 4u]); }
}

@compute @workgroup_size(WG)
fn per_block(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let block = gid.x + gid.y * groups.x * WG;
  if (block >= p.blocks) { return; }
  let sum = blockSum(block, 0u, 1u);
  for (var m = 0u; m < 4u; m++) {
    for (var j = 0u; j < 4u; j++) { store(block, m, j, sum[m][j]); }
  }
}
