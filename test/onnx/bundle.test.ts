// The core bundle stays free of protobufjs: importOnnx loads the decoder chunk by dynamic import
// (needs `npm run build`, which `npm test` runs first).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const DIST = join(__dirname, '..', '..', 'dist');

describe('ONNX import in the built package', () => {
  it('keeps protobufjs out of the main chunk and imports LeNet through the lazy chunk', async () => {
    const main = readFileSync(join(DIST, 'webgpu-nn.js'), 'utf8');
    expect(main).not.toMatch(/protobufjs|@protobufjs|aspromise/);
    const chunk = /import\("\.\/(proto-[\w-]+\.js)"\)/.exec(main)?.[1];
    expect(chunk, 'a dynamic import of the decoder chunk').toBeDefined();
    expect(readFileSync(join(DIST, chunk!), 'utf8')).toMatch(/protobufjs/);

    const nn = await import(join(DIST, 'webgpu-nn.js'));
    const model = await nn.importOnnx(readFileSync(join(__dirname, '..', 'data', 'onnx', 'torch', 'lenet.onnx')));
    expect(model.summary().totalParams).toBe(61706);
  });
});
