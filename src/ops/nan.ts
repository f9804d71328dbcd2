// Shaders of ops that must keep NaN start with shaders/common/nan.wgsl (is_nan, nan_f32): see there why.
import nanWgsl from '../../shaders/common/nan.wgsl?raw';
import type { Shader } from './kernel.js';

/** A shader whose source starts with nan.wgsl, so it can call is_nan() and nan_f32(). */
export function withNanTest(label: string, code: string): Shader {
  // WGSL directives (`enable subgroups;`) must come before every declaration: keep them first.
  const directives = code.match(/^enable [^;]*;\n/gm) ?? [];
  const body = directives.reduce((rest, d) => rest.replace(d, ''), code);
  return { label, code: `${directives.join('')}${nanWgsl}\n${body}` };
}
