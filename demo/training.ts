// "Train in your browser": a fresh LeNet (seeded default weights) trained with nn.train on the
// bundled MNIST slice, on the page's backend, with a live loss/accuracy plot; then the page
// classifies with it, and can go back to the shipped model. When the GPU device is lost, a run in
// progress stops with a message, and the page carries on with a new backend (rebind).
import * as nn from '../src/index';
import { buildLeNet, Classifier, wasLost } from './model';
import { loadSlice, normalisedImages, type MnistSlice } from './mnistSlice';
import { drawPlot, type PlotPoint } from './render';

const BATCH = 64;
/** Adam with a rate that gets LeNet past 90% on the slice within a few hundred steps. */
const optimizer = () => nn.optim.adam({ lr: 2e-3 });
/** Smoothing of the plotted batch loss and accuracy (exponential moving average). */
const SMOOTHING = 0.9;

export interface TrainingPanel {
  /** Where the page's classifier comes from: the shipped model or the one trained here. */
  readonly onModel: (classifier: Classifier, label: string) => void;
  readonly shipped: Classifier;
  readonly backend: nn.Backend;
}

/** What the page tells the panel when the device behind its backend is lost. */
export interface TrainingControl {
  /** The device was lost: a run in progress stops, showing `message`. */
  lost(message: string): void;
  /** Carry on with a new backend: `shipped` is compiled on it, and the model trained here is compiled on it again. */
  rebind(backend: nn.Backend, shipped: Classifier): Promise<void>;
}

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.querySelector<T>(`[data-testid="${id}"]`)!;

const describeTrainingBackend = (backend: nn.Backend) => (backend.name === 'webgpu' ? 'on WebGPU: one command buffer per step' : 'on the CPU');

export function setupTraining(panel: TrainingPanel): TrainingControl {
  const { onModel } = panel;
  let { shipped, backend } = panel;
  const card = $('train-card');
  const trainButton = $<HTMLButtonElement>('train');
  const stopButton = $<HTMLButtonElement>('train-stop');
  const switchButton = $<HTMLButtonElement>('use-model');
  const stepsSelect = $<HTMLSelectElement>('train-steps');
  const plot = $<HTMLCanvasElement>('train-plot');
  const stat = (id: string, value: string) => ($(id).textContent = value);

  let slice: Promise<{ slice: MnistSlice; x: Float32Array; y: Float32Array; testX: Float32Array }> | null = null;
  let trained: { classifier: Classifier; label: string } | null = null;
  let usingTrained = false;
  let stopper: AbortController | null = null;
  let runs = 0;
  let points: PlotPoint[] = [];
  let steps = Number(stepsSelect.value);
  let losses: number[] = [];
  /** Set when the device is lost during a run: why the run stopped. */
  let lostMessage: string | null = null;

  $('train-backend').textContent = describeTrainingBackend(backend);
  trainButton.disabled = false;
  const redraw = () => drawPlot(plot, points, steps);
  new ResizeObserver(redraw).observe(plot);

  const show = (which: 'shipped' | 'trained') => {
    usingTrained = which === 'trained' && trained !== null;
    if (usingTrained) onModel(trained!.classifier, trained!.label);
    else onModel(shipped, 'shipped weights');
    switchButton.textContent = usingTrained ? 'Use the shipped model' : 'Use your model';
    switchButton.disabled = trained === null;
  };
  switchButton.addEventListener('click', () => show(usingTrained ? 'shipped' : 'trained'));
  stopButton.addEventListener('click', () => stopper?.abort());

  trainButton.addEventListener('click', async () => {
    trainButton.disabled = stepsSelect.disabled = true;
    stopButton.disabled = false;
    card.dataset.state = 'training';
    steps = Number(stepsSelect.value);
    points = [];
    redraw();
    for (const id of ['train-step', 'train-loss', 'train-accuracy', 'train-speed', 'train-heldout']) stat(id, '–');
    lostMessage = null;
    const runBackend = backend;
    try {
      slice ??= loadSlice().then((s) => ({ slice: s, x: normalisedImages(s.train), y: Float32Array.from(s.train.labels), testX: normalisedImages(s.test) }));
      stat('train-step', 'loading data…');
      const data = await slice;
      const model = buildLeNet(++runs);
      stat('train-step', 'compiling…');
      const trainer = await compileTrainer(model);
      const taken = await trainSteps(model, trainer, data, steps);
      if (lostMessage) throw new nn.DeviceLostError(lostMessage);
      await trainer.syncWeights();
      trainer.dispose();
      stat('train-heldout', 'measuring…');
      stat('train-heldout', `${(100 * (await heldOutAccuracy(model, backend, data.testX, data.slice.test.labels))).toFixed(1)}%`);
      const previous = trained;
      trained = { classifier: await Classifier.compile(model, backend), label: `your model · ${taken} steps` };
      show('trained');
      previous?.classifier.dispose();
      card.dataset.state = 'done';
    } catch (e) {
      if (lostMessage || e instanceof nn.DeviceLostError || (await wasLost(runBackend))) {
        // Not a bug to report: the run cannot go on without its device; the next one uses the new backend.
        stat('train-step', `stopped: ${lostMessage ?? 'the GPU device was lost'}`);
        card.dataset.state = 'stopped';
      } else {
        console.error(e);
        stat('train-step', `failed: ${(e as Error).message}`);
        card.dataset.state = 'failed';
      }
    } finally {
      trainButton.disabled = stepsSelect.disabled = false;
      stopButton.disabled = true;
      stopper = null;
    }
  });

  /**
   * The training step on the page's backend; where WebGPU lacks a kernel the step needs, on the
   * CPU instead, and the panel says so.
   */
  let cpu: nn.Backend | null = null;
  async function compileTrainer(model: nn.Sequential): Promise<nn.Trainer> {
    const options = { loss: 'crossEntropy', optimizer: optimizer(), batchSize: BATCH } as const;
    try {
      return await nn.compileTraining(model, backend, options);
    } catch (e) {
      if (backend.name === 'cpu' || !(e instanceof nn.UnsupportedError)) throw e;
      $('train-backend').textContent = `on the CPU: WebGPU cannot train it yet (${e.message})`;
      cpu ??= await nn.createBackend('cpu');
      return nn.compileTraining(model, cpu, options);
    }
  }

  /** nn.train for `total` steps (epochs of the slice, stopped after the last step); returns the steps taken. */
  async function trainSteps(model: nn.Sequential, trainer: nn.Trainer, data: { x: Float32Array; y: Float32Array }, total: number): Promise<number> {
    stopper = new AbortController();
    const perEpoch = Math.floor(data.y.length / BATCH);
    let taken = 0;
    // nn.train reports running means over the epoch; a step's own loss and accuracy follow from two of them.
    let previous = { loss: 0, accuracy: 0 };
    let smooth: PlotPoint | null = null;
    let frame = 0;
    const started = performance.now();
    try {
      await nn.train(model, data, {
        trainer,
        epochs: Math.ceil(total / perEpoch),
        batchSize: BATCH,
        seed: runs,
        signal: stopper.signal,
        onProgress: (p) => {
          const before = p.step === 1 ? { loss: 0, accuracy: 0 } : previous;
          const loss = p.loss * p.step - before.loss * (p.step - 1);
          const accuracy = p.accuracy * p.step - before.accuracy * (p.step - 1);
          previous = { loss: p.loss, accuracy: p.accuracy };
          taken++;
          smooth = smooth
            ? { step: taken, loss: SMOOTHING * smooth.loss + (1 - SMOOTHING) * loss, accuracy: SMOOTHING * smooth.accuracy + (1 - SMOOTHING) * accuracy }
            : { step: taken, loss, accuracy };
          points.push(smooth);
          recordLoss(taken, loss);
          stat('train-step', `${taken.toLocaleString('en-US')} / ${total.toLocaleString('en-US')}`);
          stat('train-loss', smooth.loss.toFixed(3));
          stat('train-accuracy', `${(smooth.accuracy * 100).toFixed(1)}%`);
          stat('train-speed', Math.round((taken * BATCH) / ((performance.now() - started) / 1000)).toLocaleString('en-US'));
          frame ||= requestAnimationFrame(() => {
            frame = 0;
            redraw();
          });
          if (taken >= total) stopper!.abort();
        },
      });
    } catch (e) {
      if (!stopper.signal.aborted) throw e;
    }
    redraw();
    return taken;
  }

  // The first and last ten steps' mean batch loss, for the end-to-end test ("the loss falls").
  function recordLoss(step: number, loss: number): void {
    if (step === 1) losses = [];
    losses.push(loss);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    card.dataset.firstLoss = mean(losses.slice(0, 10)).toFixed(4);
    card.dataset.lastLoss = mean(losses.slice(-10)).toFixed(4);
  }

  return {
    lost(message) {
      if (card.dataset.state !== 'training') return;
      lostMessage = message;
      stopper?.abort();
    },
    async rebind(next, nextShipped) {
      backend = next;
      shipped = nextShipped;
      $('train-backend').textContent = describeTrainingBackend(backend);
      // The trained weights live in the model (synced after training): compiled again, they carry over.
      if (trained) trained = { classifier: await Classifier.compile(trained.classifier.net, backend), label: trained.label };
      show(usingTrained ? 'trained' : 'shipped');
    },
  };
}

/** Fraction of the held-out digits the trained model gets right (one batch). */
async function heldOutAccuracy(model: nn.Sequential, backend: nn.Backend, x: Float32Array, labels: Uint8Array): Promise<number> {
  const session = await nn.compile(model, backend);
  try {
    const input = backend.tensor(x, [labels.length, 1, 28, 28]);
    const out = (await session.run(input)) as nn.Tensor;
    input.dispose();
    const logits = await out.data();
    out.dispose();
    let correct = 0;
    labels.forEach((label, i) => {
      const row = logits.subarray(i * 10, i * 10 + 10);
      if (row.indexOf(Math.max(...row)) === label) correct++;
    });
    return correct / labels.length;
  } finally {
    session.dispose();
  }
}
