// nan.wgsl — NaN tested by its bit pattern, prepended to the shaders of ops that would otherwise
// drop a NaN (max, min, clamp, exp, tanh, pow and comparisons are allowed to: WGSL lets an
// implementation assume floats are never NaN, so `v != v` may be folded to false, and SwiftShader
// does). PyTorch propagates NaN through every one of these ops; each kernel keeps it with one
// select per value, no branch.

/** All exponent bits set and a non-zero fraction. */
fn is_nan(v: f32) -> bool {
  return (bitcast<u32>(v) & 0x7fffffffu) > 0x7f800000u;
}

// A quiet NaN. WGSL has no literal for it and rejects a constant bitcast to one, so the bits sit in
// a private variable and are cast at run time.
var<private> NAN_BITS: u32 = 0x7fc00000u;

fn nan_f32() -> f32 {
  return bitcast<f32>(NAN_BITS);
}
