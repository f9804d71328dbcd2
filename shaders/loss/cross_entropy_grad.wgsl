// cross_entropy_grad.wgsl — dx[r, c] = (softmax(x[r])[c] − [c = labels_r]) · dloss / rows for
// logits x [rows, classes], class indices labels [rows] and the scalar dloss. One invocation per
// row, 64 per workgroup, workgroups spread over x and y past 65 535 (row = x + y·groups_x·64):
// a sweep for the max, one for the sum, one to write. No workgroup memory.

struct Params {
  rows: u32,
  classes: u32,
}

@group(0) @binding(0) var<uniform> p: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<f32>;
@group(0) @binding(3) var<storage, read> dloss: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let r = gid.x + gid.y * groups.x * 64u;
  if (r >= p.rows) { return; }
  let base = r * p.classes;
  var m = logits[base];
  for (var c = 1u; c < p.classes; c++) { m = max(m, logits[base + c]); }
  var e = 0.0;
  for (var c = 0u; c < p.classes; c++) { e += exp(logits[base + c] - m); }
  let scale = dloss[0] / f32(p.rows);
  let label = labels[r];
  for (var c = 0u; c < p.classes; c++) {
    let hit = select(0.0, 1.0, f32(c) == label);
    dx[base + c] = (exp(logits[base + c] - m) / e - hit) * scale;
  }
}
