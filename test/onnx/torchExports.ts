// Models exported by torch.onnx.export (test/data/onnx/torch, made by
// scripts/fixtures/make_onnx_fixtures.py with torch 1.13) through nn.importOnnx → compile → run,
// against the outputs PyTorch gave, for any backend. Each model runs at two input shapes (its
// dynamic axes), so the second run re-traces and re-plans.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/createBackend';
import { compile, importOnnx, Tensor } from '../../src/index';
import { decodeModel, encodeModel } from '../../src/io/onnx/proto';
import { expectClose } from '../helpers';
import { seededWeights } from './seededWeights';

const DATA = join(__dirname, '..', 'data', 'onnx', 'torch');

interface Record {
  shape: number[];
  data?: number[];
  /** Inputs given by the seeded formula instead of their elements. */
  seeded?: string;
}

export const TORCH_MODELS = [
  'lenet',
  'lstm_1layer',
  'lstm_2layer_bidirectional',
  'gru_1layer',
  'gru_2layer_bidirectional',
  'rnn_1layer',
  'rnn_2layer_bidirectional',
  'resnet18',
];

/** The .onnx bytes; resnet18's initializers are filled in from the seeded formula. */
export function torchModelBytes(name: string): Uint8Array {
  const bytes = readFileSync(join(DATA, `${name}.onnx`));
  if (name !== 'resnet18') return bytes;
  const proto = decodeModel(bytes);
  for (const init of proto.graph!.initializer!) {
    const values = seededWeights(init.name!, init.dims!);
    init.raw_data = new Uint8Array(values.buffer);
  }
  return encodeModel(proto);
}

function tensorData(r: Record): Float32Array {
  return r.seeded ? seededWeights(r.seeded, r.shape) : Float32Array.from(r.data!);
}

/**
 * `firstShapeOnly`: models run at their first input shape only (ResNet-18 on the software GPU
 * adapter, to keep the suite's time modest; the other models cover re-planning there).
 */
export function runTorchExports(backendName: string, backend: () => Backend | Promise<Backend>, firstShapeOnly: readonly string[] = []): void {
  describe(`torch.onnx.export models (${backendName})`, () => {
    let b!: Backend;
    beforeAll(async () => {
      b = await backend();
    });

    for (const name of TORCH_MODELS) {
      const shapes = firstShapeOnly.includes(name) ? 'its first input shape' : 'both input shapes';
      it(`${name} gives PyTorch's outputs at ${shapes}`, { timeout: 300_000 }, async () => {
        const fixture = JSON.parse(readFileSync(join(DATA, `${name}.json`), 'utf8')) as { runs: { input: Record; output: Record }[] };
        const model = await importOnnx(torchModelBytes(name));
        const session = await compile(model, b);
        try {
          for (const [i, run] of fixture.runs.slice(0, firstShapeOnly.includes(name) ? 1 : undefined).entries()) {
            const x = b.tensor(tensorData(run.input), run.input.shape);
            const y = (await session.run(x)) as Tensor;
            expect(y.shape, `${name} run ${i} shape`).toEqual(run.output.shape);
            expectClose(await y.data(), Float32Array.from(run.output.data!), `${name} run ${i}`);
            x.dispose();
            y.dispose();
          }
        } finally {
          session.dispose();
        }
      });
    }
  });
}
