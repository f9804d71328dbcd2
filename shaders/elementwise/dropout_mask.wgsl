// dropout_mask.wgsl — y[i] = keep(i) ? x[i]·scale : 0, where keep(i) compares a hash of the
// index, the training step (clock[0]) and the seed, as a 24-bit uniform draw in [0, 1), with p
// (the same hash as src/ops/elementwise/dropoutMask.ts). One invocation per element, 256 per
// workgroup, workgroups spread over x and y (index = x + y·groups_x·256).

struct Params {
  count: u32,
  seed: u32,
  p: f32,
  scale: f32,  // 1 / (1 − p)
}

@group(0) @binding(0) var<uniform> u: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> clock: array<f32>; // [step, lr]
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

// Chris Wellons' lowbias32.
fn hash(v: u32) -> u32 {
  var h = v;
  h ^= h >> 16u;
  h *= 0x7feb352du;
  h ^= h >> 15u;
  h *= 0x846ca68bu;
  h ^= h >> 16u;
  return h;
}

@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 256u;
  if (i >= u.count) { return; }
  let h = hash(i ^ hash(u32(clock[0]) ^ hash(u.seed)));
  let draw = f32(h >> 8u) / 16777216.0;
  y[i] = select(0.0, x[i] * u.scale, draw >= u.p);
}
