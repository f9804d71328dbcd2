// im2col.wgsl — the columns of a convolution's GEMM, written out for the shared GEMM (one group).
//   x [N, C, H, W] -> cols [images][K, 4·quads] with K = C·kh·kw:
//   cols[i][(c·kh + ky)·kw + kx][j] = x[n0 + i, c, oy·sh − padTop + ky·dh, ox·sw − padLeft + kx·dw]
//   where (oy, ox) is output pixel p0 + j of the image; 0 where the tap falls in the padding and
//   for the columns past `count` (they pad the row to whole quads and are never stored by the GEMM).
// Then y[n0 + i][O, pixels p0 …] = w [O, K] · cols[i] is the convolution, on the GEMM's 16 × 16
// register blocks (conv2dGpu.ts). A chunk of images or of one image's pixels at a time keeps the
// scratch bounded.
//
// Who computes what: one invocation writes one vec4 of cols, 4 consecutive pixels of one row k;
// invocations are numbered quad fastest, so neighbours read neighbouring inputs. Workgroups of 64
// are spread over x and y (index = gid.x + gid.y·groups_x·64) when there are more than 65 535.

struct Params {
  C: u32, H: u32, W: u32,              // input channels and size
  OW: u32,                             // output row length
  kh: u32, kw: u32,
  sh: i32, sw: i32,                    // stride
  dh: i32, dw: i32,                    // dilation
  padTop: i32, padLeft: i32,
  xOffset: u32,                        // first element of image n0 in x
  p0: u32,                             // first output pixel of the chunk
  count: u32,                          // pixels in the chunk
  quads: u32,                          // ceil(count / 4): vec4s per row of cols
  K: u32,                              // C · kh · kw
  total: u32,                          // images · K · quads invocations
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<vec4f>;

var<private> plane: u32;     // offset of the (image, channel) plane in x
var<private> dy: i32;        // ky · dh − padTop
var<private> dx: i32;        // kx · dw − padLeft

// The tap's input under column j of the chunk, 0 in the padding or past the chunk.
fn tap(j: u32) -> f32 {
  let oy = (p.p0 + j) / p.OW;
  let ox = p.p0 + j - oy * p.OW;
  let iy = i32(oy) * p.sh + dy;
  let ix = i32(ox) * p.sw + dx;
  let inside = j < p.count && iy >= 0 && iy < i32(p.H) && ix >= 0 && ix < i32(p.W);
  let v = x[plane + u32(clamp(iy, 0, i32(p.H) - 1)) * p.W + u32(clamp(ix, 0, i32(p.W) - 1))];
  return select(0.0, v, inside);
}

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = gid.x + gid.y * groups.x * 64u;
  if (index >= p.total) { return; }
  let q = index % p.quads;
  let row = index / p.quads;           // image · K + k
  let k = row % p.K;
  let image = row / p.K;
  let kx = k % p.kw;
  let ky = (k / p.kw) % p.kh;
  let c = k / (p.kw * p.kh);
  plane = p.xOffset + (image * p.C + c) * p.H * p.W;
  dy = i32(ky) * p.dh - p.padTop;
  dx = i32(kx) * p.dw - p.padLeft;
  let j = 4u * q;
  cols[index] = vec4f(tap(j), tap(j + 1u), tap(j + 2u), tap(j + 3u));
}
