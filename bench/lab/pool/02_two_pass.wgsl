// Lab variant 02: global pooling and softmax statistics as two barrier-free passes, instead of a
// workgroup tree reduction (SwiftShader runs workgroup barriers very slowly).
//   partial: invocation (plane, c) folds x[plane, c], x[plane, c + chunks], … into s[plane, c]
//            (neighbouring invocations read neighbouring addresses)
//   combine:   invocation plane folds s[plane, 0 .. chunks) into y[plane]
// MODE 0 max, 1 avg.
override MODE: u32 = 1u;

struct Params {
  planes: u32,
  area: u32,
  chunks: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

fn fold(acc: f32, v: f32) -> f32 {
  if (MODE == 0u) { return max(acc, v); }
  return acc + v;
}

@compute @workgroup_size(256)
fn partial(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= p.planes * p.chunks) { return; }
  let plane = i / p.chunks;
  let c = i % p.chunks;
  let base = plane * p.area;
  var acc = x[base + c];
  for (var j = c + p.chunks; j < p.area; j += p.chunks) { acc = fold(acc, x[base + j]); }
  y[i] = acc;
}

@compute @workgroup_size(64)
fn combine(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let plane = gid.x + gid.y * groups.x * 64u;
  if (plane >= p.planes) { return; }
  let base = plane * p.chunks;
  var acc = x[base];
  for (var c = 1u; c < p.chunks; c++) { acc = fold(acc, x[base + c]); }
  y[plane] = select(acc, acc / f32(p.area), MODE == 1u);
}
