// Type-checked by test/consumer.test.ts with moduleResolution NodeNext and skipLibCheck off:
// the published declarations must be usable as they are.
import * as nn from 'webgpu-nn';

const backend: nn.Backend = await nn.createBackend('cpu');
const x: nn.Tensor = backend.tensor(new Float32Array(784), [1, 1, 28, 28]);
const y: nn.Tensor = backend.ops.relu(backend.ops.conv2d(x, backend.zeros([6, 1, 5, 5]), null, { padding: 2 }));
const model = nn.models.lenet();
const summary: nn.ModelSummary = model.summary();
const session: nn.Session = await nn.compile(model, backend);
const out = await session.run(x);
const error: nn.NNError = new nn.ShapeError('typed');
console.log(y.shape, summary.totalParams, out instanceof nn.Tensor, error.name);
