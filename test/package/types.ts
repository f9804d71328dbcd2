// Type-checked against the installed tarball by test/package.test.ts (TypeScript 5 and 7,
// strict, skipLibCheck off, no @webgpu/types in the tsconfig): what a consumer's editor sees.
import * as nn from 'webgpu-nn';

const backend = await nn.createBackend('cpu');
const x = backend.tensor(new Float32Array(784), [1, 1, 28, 28]);

// One input, one output: run() is typed as a Tensor, no cast.
const lenet = await nn.compile(nn.models.lenet(), backend);
const scores: nn.Tensor = await lenet.run(x);
console.log(scores.shape);

// A module whose forward returns a record: run() gives a record with those keys.
class TwoHeads extends nn.Module {
  readonly type = 'TwoHeads';
  forward(ctx: nn.ForwardContext, input: nn.SymbolicTensor) {
    return { logits: ctx.ops.relu(input), probs: ctx.ops.sigmoid(input) };
  }
}
const heads = await nn.compile(new TwoHeads(), backend);
const out = await heads.run(x);
const probs: nn.Tensor = out.probs;
console.log(probs.shape, out.logits.shape);
// @ts-expect-error a record of outputs is not a Tensor
const notOne: nn.Tensor = out;
// @ts-expect-error the model has no output 'other'
console.log(notOne, out.other);

// WebGPU's types are real types, never a silent `any`.
// @ts-expect-error a number is not a GPUDevice
await nn.createBackend('webgpu', { device: 42 });
const device: GPUDevice | undefined = undefined as GPUDevice | undefined;
if (device) await nn.createBackend('webgpu', { device });

// Errors are classes with their names.
const e: nn.NNError = new nn.ShapeError('typed');
console.log(e.name satisfies string);

// Internals stay out of the published types (stripInternal): tensors' storage, backends' graph
// hosting, sessions' plans. Each line fails (an unused @ts-expect-error) if one comes back.
// @ts-expect-error internal
console.log(x.storage, x.owner);
// @ts-expect-error internal
backend.runOp;
// @ts-expect-error internal
backend.prepareGraph;
// @ts-expect-error internal
lenet.backend;
// @ts-expect-error internal: tensors are made by a backend
new nn.Tensor();
