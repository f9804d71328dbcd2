// recurrent_pack.wgsl — W_hh [G·H, H] (gate rows g·H + unit, k along each row) rearranged once per
// layer direction, before its steps, into the layout the step kernel (recurrent_step.wgsl) reads:
//   packed[(kq·H + unit)·G + g] = W_hh[g·H + unit, 4·kq … 4·kq + 3] (a vec4f; zeros past k = H)
// so that one invocation reads the G gates of its unit for four k with G vector loads, and the
// invocations of neighbouring units read neighbouring 16·G bytes (coalesced on a GPU).
// One invocation per packed vec4, 64 per workgroup, flat index x + y·groups_x·64.
//
// uniforms (H, G) : w_hh [G·H, H] -> packed [⌈H/4⌉, H, G] vec4f

struct Pack {
  H: u32,
  G: u32,
}

@group(0) @binding(0) var<uniform> u: Pack;
@group(0) @binding(1) var<storage, read> w_hh: array<f32>;
@group(0) @binding(2) var<storage, read_write> packed: array<vec4f>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  let H = u.H;
  let quads = (H + 3u) / 4u;
  if (i >= quads * H * u.G) { return; }
  let g = i % u.G;
  let unit = (i / u.G) % H;
  let k = (i / (u.G * H)) * 4u;
  let row = (g * H + unit) * H;
  let last = row + H - 1u;
  let v = vec4f(w_hh[min(row + k, last)], w_hh[min(row + k + 1u, last)], w_hh[min(row + k + 2u, last)], w_hh[min(row + k + 3u, last)]);
  packed[i] = select(vec4f(0.0), v, vec4u(k, k + 1u, k + 2u, k + 3u) < vec4u(H));
}
