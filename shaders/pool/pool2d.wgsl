// pool2d.wgsl — max, average and adaptive-average pooling, and global pooling as a reduction.
//   x [N, C, H, W] -> y [N, C, OH, OW]   (global pooling: any rank, viewed as [N·C planes, 1, H·W...])
//
// main: one invocation per output element, 256 per workgroup, workgroups spread over x and y
//   past 65 535 (flat index = x + y·groups_x·256). Along each axis an output's window is a first
//   input position `start` and taps k at start + k·dilation:
//     MODE 0 (max) and 1 (avg): start = o·stride − padBegin, k in [0, kernel), clipped to the real
//       input [0, size) for the reduction, and to the padded input [−padBegin, size + padEnd) for
//       countIncludePad's divisor (ceil mode's overhang past the padding never counts).
//     MODE 2 (adaptive avg): PyTorch's bin [floor(o·size/out), ceil((o+1)·size/out)), dilation 1.
//   Global pooling of a small plane is this entry point with the window = the whole plane.
// reduce_plane: global pooling of a large plane, one workgroup of REDUCE_WG per (n, c) plane (MODE 0
//   max, 1 avg): each invocation folds the elements lid, lid + REDUCE_WG, … (neighbours read
//   neighbours), then a tree reduction over the REDUCE_WG partial results in workgroup memory.
// Nothing else sits in workgroup memory; no tiling (each input is read by ≤ kernel area outputs).

override MODE: u32 = 0u;                 // 0 max, 1 avg, 2 adaptive avg
override COUNT_INCLUDE_PAD: bool = true; // avg: divide by the padded cells under the window
override REDUCE_WG: u32 = 64u;           // reduce_plane's workgroup size, a power of two

struct Params {
  total: u32,        // outputs (main) or planes (reduce_plane)
  in_h: u32,
  in_w: u32,
  out_h: u32,
  out_w: u32,
  kernel_h: i32,
  kernel_w: i32,
  stride_h: i32,
  stride_w: i32,
  dilation_h: i32,
  dilation_w: i32,
  pad_top: i32,
  pad_left: i32,
  pad_bottom: i32,
  pad_right: i32,
  // The result of a window without input cells, as the CPU kernel gives it: −∞ for max and NaN
  // (0/0) for avg. Passed in, because WGSL has no literal for either.
  empty: f32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

/** One axis of a window: taps k in [first, end) at positions start + k·dilation; `padded` taps lie in the padded input. */
struct Taps {
  start: i32,
  dilation: i32,
  first: i32,
  end: i32,
  padded: i32,
}

/** The taps k ≥ 0 with k·dilation < span: ceil(span / dilation), 0 when span ≤ 0. */
fn taps_below(span: i32, dilation: i32) -> i32 {
  return select(0, (span + dilation - 1) / dilation, span > 0);
}

fn axis_taps(o: i32, size: i32, out: i32, kernel: i32, stride: i32, dilation: i32, pad_begin: i32, pad_end: i32) -> Taps {
  if (MODE == 2u) {
    let lo = (o * size) / out;
    let hi = ((o + 1) * size + out - 1) / out;
    return Taps(lo, 1, 0, hi - lo, hi - lo);
  }
  let start = o * stride - pad_begin;
  let first = taps_below(-start, dilation); // the first tap at a position ≥ 0
  let end = max(first, min(kernel, taps_below(size - start, dilation)));
  // start ≥ −pad_begin, so every tap from 0 lies past the padded input's beginning.
  let padded = min(kernel, taps_below(size + pad_end - start, dilation));
  return Taps(start, dilation, first, end, padded);
}

/** max that lets NaN through, as the CPU kernel (PyTorch) does (is_nan from nan.wgsl). */
fn max_nan(a: f32, b: f32) -> f32 {
  return select(a, b, b > a || is_nan(b));
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.total) { return; }
  let ox = i % p.out_w;
  let oy = (i / p.out_w) % p.out_h;
  let plane = i / (p.out_w * p.out_h);
  let rows = axis_taps(i32(oy), i32(p.in_h), i32(p.out_h), p.kernel_h, p.stride_h, p.dilation_h, p.pad_top, p.pad_bottom);
  let cols = axis_taps(i32(ox), i32(p.in_w), i32(p.out_w), p.kernel_w, p.stride_w, p.dilation_w, p.pad_left, p.pad_right);
  let base = plane * p.in_h * p.in_w;

  var acc = select(0.0, p.empty, MODE == 0u);
  for (var ky = rows.first; ky < rows.end; ky++) {
    let row = base + u32(rows.start + ky * rows.dilation) * p.in_w;
    for (var kx = cols.first; kx < cols.end; kx++) {
      let v = x[row + u32(cols.start + kx * cols.dilation)];
      if (MODE == 0u) { acc = max_nan(acc, v); } else { acc += v; }
    }
  }
  if (MODE != 0u) {
    let real = (rows.end - rows.first) * (cols.end - cols.first);
    let divisor = select(real, rows.padded * cols.padded, COUNT_INCLUDE_PAD && MODE == 1u);
    acc = select(acc / f32(divisor), p.empty, divisor == 0);
  }
  y[i] = acc;
}

var<workgroup> partial: array<f32, REDUCE_WG>;

@compute @workgroup_size(REDUCE_WG)
fn reduce_plane(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let plane = wid.x + wid.y * groups.x; // uniform across the workgroup, so the return keeps barriers uniform
  if (plane >= p.total) { return; }
  let area = p.in_h * p.in_w;
  let base = plane * area;
  var acc = select(0.0, p.empty, MODE == 0u);
  for (var j = lid; j < area; j += REDUCE_WG) {
    let v = x[base + j];
    if (MODE == 0u) { acc = max_nan(acc, v); } else { acc += v; }
  }
  partial[lid] = acc;
  workgroupBarrier();
  for (var half = REDUCE_WG / 2u; half > 0u; half >>= 1u) {
    if (lid < half) {
      let other = partial[lid + half];
      partial[lid] = select(partial[lid] + other, max_nan(partial[lid], other), MODE == 0u);
    }
    workgroupBarrier();
  }
  if (lid == 0u) {
    y[plane] = select(partial[0] / f32(area), partial[0], MODE == 0u);
  }
}
