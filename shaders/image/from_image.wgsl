// from_image.wgsl — an RGBA8 image (a texture the browser copied the source into) to one NCHW
// float32 sample: bilinear resize with half-pixel centres (PyTorch's align_corners=False,
// coordinates below 0 clamped to 0), then per channel y = (pixel · scale − mean) / std, pixel in
// 0..255. Grayscale (channels 1) is ITU-R 601 luma of RGB. One invocation per output pixel.
// The CPU reference is imageToFloat32 in src/backends/image.ts.

struct Params {
  in_size: vec2u,    // width, height of the source
  out_size: vec2u,   // width, height of the tensor
  channels: u32,     // 1, 3 or 4
  offset: u32,       // first element of this sample in y
  scale: f32,        // applied to pixel values 0..255
  _pad: u32,
  mean: vec4f,
  inv_std: vec4f,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var image: texture_2d<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn texel(x: u32, row: u32) -> vec4f {
  return textureLoad(image, vec2u(x, row), 0);
}

@compute @workgroup_size(8, 8)
fn main(@builtin(global_invocation_id) gid: vec3u) {
  if (gid.x >= p.out_size.x || gid.y >= p.out_size.y) { return; }
  let ratio = vec2f(p.in_size) / vec2f(p.out_size);
  let src = max((vec2f(gid.xy) + 0.5) * ratio - 0.5, vec2f(0.0));
  let lo = min(vec2u(floor(src)), p.in_size - 1u);
  let hi = min(lo + 1u, p.in_size - 1u);
  let t = src - vec2f(lo);
  let top = mix(texel(lo.x, lo.y), texel(hi.x, lo.y), t.x);
  let bottom = mix(texel(lo.x, hi.y), texel(hi.x, hi.y), t.x);
  // textureLoad of rgba8unorm gives pixel / 255.
  let rgba = mix(top, bottom, t.y) * 255.0;
  let plane = p.out_size.x * p.out_size.y;
  let at = p.offset + gid.y * p.out_size.x + gid.x;
  if (p.channels == 1u) {
    let luma = dot(rgba.rgb, vec3f(0.299, 0.587, 0.114));
    y[at] = (luma * p.scale - p.mean.x) * p.inv_std.x;
    return;
  }
  for (var c = 0u; c < p.channels; c++) {
    y[at + c * plane] = (rgba[c] * p.scale - p.mean[c]) * p.inv_std[c];
  }
}
