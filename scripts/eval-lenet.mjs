// npm run eval:lenet — the accuracy of the committed weights (weights/lenet-mnist.safetensors, made
// by npm run train:lenet) on MNIST's 10,000 official test images, on the CPU.
//   node scripts/eval-lenet.mjs [--weights FILE]
// The last line ends with the accuracy, e.g. "… 99.31%".
import { readFileSync } from 'node:fs';
import * as nn from '../dist/webgpu-nn.js';
import { evaluate, lenetModel, loadMnist, WEIGHTS } from './mnist.mjs';

const i = process.argv.indexOf('--weights');
const file = i >= 0 ? process.argv[i + 1] : WEIGHTS;
const model = lenetModel(nn);
await model.loadWeights(readFileSync(file));
const backend = await nn.createBackend('cpu');
const test = loadMnist('test');
const started = Date.now();
const accuracy = await evaluate(nn, model, backend, test);
console.log(`lenet({ activation: 'relu', pooling: 'max' }) with ${file.split('/').slice(-2).join('/')}: ${test.count} MNIST test images in ${((Date.now() - started) / 1000).toFixed(1)} s`);
console.log(`test accuracy ${(accuracy * 100).toFixed(2)}%`);
