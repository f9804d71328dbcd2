// nn.importOnnx in a page in headless Chromium with the built dist/: the lazily loaded decoder
// chunk, protobufjs in the browser and the imported GRU on navigator.gpu give PyTorch's outputs.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pageResults, useBrowser } from '../browser/session';
import { expectClose } from '../helpers';

describe('importOnnx in the browser (headless Chromium, built dist/)', () => {
  const browser = useBrowser();

  it("imports a torch.onnx.export GRU + Linear and runs it on navigator.gpu with PyTorch's outputs at two shapes", async () => {
    const name = 'gru_2layer_bidirectional';
    const [result] = await pageResults<{ error?: string; backend: string; outputs: { shape: number[]; data: number[] }[] }>(browser, `test/onnx/browser/onnx.html?model=${name}`);
    expect(result.error).toBeUndefined();
    expect(result.backend).toBe('webgpu');
    const fixture = JSON.parse(readFileSync(path.join(__dirname, '..', 'data', 'onnx', 'torch', `${name}.json`), 'utf8')) as { runs: { output: { shape: number[]; data: number[] } }[] };
    expect(result.outputs.map((o) => o.shape)).toEqual(fixture.runs.map((r) => r.output.shape));
    fixture.runs.forEach((run, i) => expectClose(result.outputs[i].data, run.output.data, `${name} run ${i}`));
  });
});
