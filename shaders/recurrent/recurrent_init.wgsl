// recurrent_init.wgsl — prepares the state scratch of the recurrent op (see recurrent_step.wgsl)
// before the first step: zeros for the states that have no h0/c0, and the sequence lengths
// written as f32 where the step kernel reads them (lowerings cannot upload data, so they come
// in this dispatch's uniform block, four per vec4).
// One invocation per element, 64 per workgroup, flat index x + y·groups_x·64:
// invocation i zeroes state[i] when i < zeroCount and writes length i when i < count.
//
// uniforms (zeroCount, lengthsAt, count, lengths [MAX_LENGTHS]) -> state [zeroCount], state[lengthsAt …] [count]

const MAX_LENGTH_VECS = 1024u;   // 4096 batch rows; recurrentGpu.ts checks it

struct Init {
  zeroCount: u32,
  lengthsAt: u32,
  count: u32,
  lengths: array<vec4u, MAX_LENGTH_VECS>,
}

@group(0) @binding(0) var<uniform> u: Init;
@group(0) @binding(1) var<storage, read_write> state: array<f32>;

@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = gid.x + gid.y * groups.x * 64u;
  if (i < u.zeroCount) { state[i] = 0.0; }
  if (i < u.count) { state[u.lengthsAt + i] = f32(u.lengths[i / 4u][i % 4u]); }
}
