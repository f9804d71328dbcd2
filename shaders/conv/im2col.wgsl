// im2col.wgsl — the columns of a convolution's GEMM, written out for the shared GEMM (one group).
//   x [N, C, H, W] -> cols [images][K, rows·OW] with K = C·kh·kw, for output rows r0 … r0 + rows − 1
//   of images n0 …:
//   cols[i][(c·kh + ky)·kw + kx][(oy − r0)·OW + ox] = x[n0 + i, c, oy·sh − padTop + ky·dh, ox·sw − padLeft + kx·dw],
//   0 where the tap falls in the padding.
// Then y[n0 + i][O, pixels r0·OW …] = w [O, K] · cols[i] is the convolution, on the GEMM's 16 × 16
// register blocks (conv2dGpu.ts). A chunk of images or of one image's output rows at a time keeps
// the scratch bounded.
//
// Who computes what: one invocation writes one output row's stretch of one row k of cols (OW
// values), walking the input row with the stride: the (c, ky, kx, oy) decode — integer divisions,
// which SwiftShader runs lane by lane — is paid once per OW values, not per value. Invocations are
// numbered output row fastest. Workgroups of 64 are spread over x and y (index = gid.x +
// gid.y·groups_x·64) when there are more than 65 535.

struct Params {
  C: u32, H: u32, W: u32,              // input channels and size
  OW: u32,                             // output row length
  kh: u32, kw: u32,
  sh: i32, sw: i32,                    // stride
  dh: i32, dw: i32,                    // dilation
  padTop: i32, padLeft: i32,
  xOffset: u32,                        // first element of image n0 in x
  r0: u32,                             // first output row of the chunk
  rows: u32,                           // output rows in the chunk
  K: u32,                              // C · kh · kw
  total: u32,                          // images · K · rows invocations
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (index >= p.total) { return; }
  let oyc = index % p.rows;            // output row within the chunk
  let kRow = index / p.rows;           // image · K + k
  let k = kRow % p.K;
  let image = kRow / p.K;
  let kx = k % p.kw;
  let ky = (k / p.kw) % p.kh;
  let c = k / (p.kw * p.kh);
  let iy = i32(p.r0 + oyc) * p.sh + i32(ky) * p.dh - p.padTop;
  let rowOk = iy >= 0 && iy < i32(p.H);
  let xRow = p.xOffset + ((image * p.C + c) * p.H + u32(clamp(iy, 0, i32(p.H) - 1))) * p.W;
  let out = kRow * p.rows * p.OW + oyc * p.OW;
  var ix = i32(kx) * p.dw - p.padLeft;
  for (var ox = 0u; ox < p.OW; ox++) {
    let v = x[xRow + u32(clamp(ix, 0, i32(p.W) - 1))];
    cols[out + ox] = select(0.0, v, rowOk && ix >= 0 && ix < i32(p.W));
    ix += p.sw;
  }
}
