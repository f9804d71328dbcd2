// npm run train:lenet — trains nn.models.lenet({ activation: 'relu', pooling: 'max' }) on the
// 60,000 MNIST training images (data/mnist) and writes weights/lenet-mnist.safetensors.
//   node scripts/train-lenet.mjs [--backend cpu|webgpu] [--epochs 20] [--batch 64] [--lr 0.001]
//                                [--decay 0.85] [--seed 2] [--resume] [--no-augment] [--out FILE]
// Adam, the learning rate × decay per epoch, random shifts of ±2 pixels; a progress line every 100
// steps (epoch, step, loss, accuracy, images/s) and the test accuracy after every epoch. Each
// epoch ends with a checkpoint (weights/lenet-mnist.checkpoint.*); --resume continues from it
// (the weights and the epoch count; Adam's moments start again from zero).
// Reads the built library (dist/): npm run train:lenet builds it first.
import { existsSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import * as nn from '../dist/webgpu-nn.js';
import { createBackend } from './nodeBackend.mjs';
import { evaluate, lenetModel, loadMnist, MNIST_MEAN, MNIST_STD, WEIGHTS } from './mnist.mjs';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const backendName = option('backend', 'cpu');
const epochs = Number(option('epochs', 20));
const batchSize = Number(option('batch', 64));
const baseLr = Number(option('lr', 0.001));
const decay = Number(option('decay', 0.85));
const seed = Number(option('seed', 2));
const OUT = option('out', WEIGHTS);
const augment = !args.includes('--no-augment');
const CHECKPOINT = OUT.replace(/\.safetensors$/, '.checkpoint.safetensors');
const CHECKPOINT_META = OUT.replace(/\.safetensors$/, '.checkpoint.json');

/** Shifts each image of the batch by up to ±2 pixels (background fill), in place. */
const BACKGROUND = (0 - MNIST_MEAN) / MNIST_STD;
function shift(x, count, rng) {
  const image = new Float32Array(784);
  for (let n = 0; n < count; n++) {
    const dy = Math.floor(rng.next() * 5) - 2;
    const dx = Math.floor(rng.next() * 5) - 2;
    const at = x.subarray(n * 784, (n + 1) * 784);
    image.set(at);
    for (let r = 0; r < 28; r++) {
      for (let c = 0; c < 28; c++) {
        const sr = r - dy;
        const sc = c - dx;
        at[r * 28 + c] = sr >= 0 && sr < 28 && sc >= 0 && sc < 28 ? image[sr * 28 + sc] : BACKGROUND;
      }
    }
  }
}

const train = loadMnist('train');
const test = loadMnist('test');
const model = lenetModel(nn);
model.seed = seed;
let firstEpoch = 1;
if (args.includes('--resume') && existsSync(CHECKPOINT_META)) {
  const meta = JSON.parse(readFileSync(CHECKPOINT_META, 'utf8'));
  await model.loadWeights(readFileSync(CHECKPOINT));
  firstEpoch = meta.epoch + 1;
  console.log(`resuming after epoch ${meta.epoch} (test accuracy then ${(meta.testAccuracy * 100).toFixed(2)}%)`);
}
const backend = await createBackend(backendName);
console.log(`training ${model.parameterCount().toLocaleString('en-US')} parameters on ${backend.name}, batch ${batchSize}, seed ${seed}, ${augment ? 'shifts ±2 px' : 'no augmentation'}`);
const trainer = await nn.compileTraining(model, backend, { loss: 'crossEntropy', optimizer: nn.optim.adam({ lr: baseLr }), batchSize, seed });
const started = Date.now();
mkdirSync(dirname(OUT), { recursive: true });
for (let epoch = firstEpoch; epoch <= epochs; epoch++) {
  const lr = baseLr * decay ** (epoch - 1);
  let last;
  await nn.train(model, train, {
    trainer,
    epochs: 1,
    batchSize,
    seed: seed * 1000 + epoch,
    learningRate: () => lr,
    augment: augment ? shift : undefined,
    onProgress: (p) => {
      last = p;
      if (p.step % 100 === 0 || p.step === p.steps) {
        console.log(`epoch ${epoch}/${epochs} step ${p.step}/${p.steps} loss ${p.loss.toFixed(4)} accuracy ${(p.accuracy * 100).toFixed(2)}% ${Math.round(p.examplesPerSecond)} images/s`);
      }
    },
  });
  const testAccuracy = await evaluate(nn, model, backend, test);
  const minutes = (Date.now() - started) / 60000;
  console.log(`epoch ${epoch}: lr ${lr.toExponential(2)}, train loss ${last.loss.toFixed(4)}, test accuracy ${(testAccuracy * 100).toFixed(2)}%, ${minutes.toFixed(1)} min so far`);
  writeFileSync(CHECKPOINT, model.saveWeights());
  writeFileSync(CHECKPOINT_META, JSON.stringify({ epoch, testAccuracy, lr, decay, backend: backend.name, batchSize, seed, augment }, null, 2) + '\n');
}
writeFileSync(OUT, model.saveWeights());
console.log(`wrote ${OUT}`);
trainer.dispose();
backend.dispose();
