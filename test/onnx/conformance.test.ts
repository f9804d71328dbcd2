// Every ONNX conformance case through nn.importOnnx → compile → run on the CPU backend, with the
// same criterion and refusals as the node-level cases (conformanceCases.ts).
import { runConformance } from '../conformanceCases';
import { cpu } from '../helpers';
import { runImported } from './importedCase';

runConformance('cpu', cpu, runImported, ' via importOnnx');
