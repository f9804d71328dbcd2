// torch.onnx.export models through nn.importOnnx on the CPU backend (see torchExports.ts).
import { cpu } from '../helpers';
import { runTorchExports } from './torchExports';

runTorchExports('cpu', () => cpu);
