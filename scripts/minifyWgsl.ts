// WGSL as the library ships it: comments, indentation and blank lines removed (the library
// build applies this to every shader; see vite.config.ts). Only whitespace between tokens and
// comments go: a removed block comment leaves a space, every line break between code stays,
// so no two tokens can merge and the shader means exactly what its source says. WGSL has no
// string literals, so `//` and `/*` always start comments; block comments nest.
export function minifyWgsl(source: string): string {
  let code = '';
  let depth = 0; // of nested block comments
  for (let i = 0; i < source.length; ) {
    const two = source.slice(i, i + 2);
    if (depth > 0) {
      if (two === '/*') depth++;
      else if (two === '*/') depth--;
      i += two === '/*' || two === '*/' ? 2 : 1;
      if (depth === 0) code += ' ';
    } else if (two === '//') {
      while (i < source.length && source[i] !== '\n' && source[i] !== '\r') i++;
    } else if (two === '/*') {
      depth = 1;
      i += 2;
    } else {
      code += source[i++];
    }
  }
  if (depth > 0) throw new Error('minifyWgsl: a block comment is not closed');
  return code
    .split(/\r?\n|\r/)
    .map((line) => line.replace(/[ \t]+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}
