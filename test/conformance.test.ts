// The ONNX operator conformance cases on the CPU backend (the reference): see conformanceCases.ts
// and docs/conformance.md.
import { runConformance } from './conformanceCases';
import { cpu } from './helpers';

runConformance('cpu', cpu);
