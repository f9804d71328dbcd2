// The draw-a-digit page: start a backend, fetch the weights, compile, then classify the
// drawing while it is drawn. Training in the page lives in training.ts. When the GPU device is
// lost (backend.lost), the page says so, starts a new backend (WebGPU again if an adapter is
// there, else the CPU), compiles the model on it with the weights it holds, and carries on.
import * as nn from '../src/index';
import { buildLeNet, Classifier, fetchWeights, FEATURE_LAYERS, wasLost, WEIGHTS_URL } from './model';
import { createPad } from './pad';
import { normalise, toMnist } from './preprocess';
import { drawGrey, featureMaps, probabilityBars, summaryTable, type FeatureMapView } from './render';
import { setupTraining, type TrainingControl } from './training';

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.querySelector<T>(`[data-testid="${id}"]`)!;

// ---- Loading, with progress ----

const progress = $('progress');
function setProgress(fraction: number, text: string): void {
  progress.setAttribute('aria-valuenow', String(Math.round(fraction * 100)));
  progress.querySelector<HTMLElement>('.loading-bar span')!.style.width = `${fraction * 100}%`;
  progress.querySelector('.loading-text')!.textContent = text;
}

function describeBackend(backend: nn.Backend): string {
  if (backend.name === 'cpu') return `CPU · WebGPU unavailable: ${(backend.fallbackReason ?? 'not requested').replace(/^webgpu: /, '')}`;
  const info = (backend.device as { adapterInfo?: GPUAdapterInfo }).adapterInfo;
  const adapter = [info?.vendor, info?.architecture || info?.description].filter(Boolean).join(' ');
  return adapter ? `WebGPU · ${adapter}` : 'WebGPU';
}

const shippedNet = buildLeNet();

async function start(): Promise<{ backend: nn.Backend; classifier: Classifier }> {
  performance.mark('demo:script-start');
  setProgress(0.05, 'Starting the backend and fetching the trained weights…');
  // The device and the weights' download do not wait for each other.
  const [backend] = await Promise.all([
    nn.createBackend(),
    fetchWeights(WEIGHTS_URL, (f) => setProgress(0.05 + 0.55 * f, `Fetching the trained weights… ${Math.round(f * 100)}%`)).then((bytes) =>
      shippedNet.loadWeights(bytes),
    ),
  ]);
  performance.mark('demo:backend-and-weights');
  setProgress(0.65, backend.name === 'webgpu' ? 'Compiling the WebGPU pipelines…' : 'Preparing the CPU kernels…');
  const classifier = await Classifier.compile(shippedNet, backend);
  performance.mark('demo:compiled');
  setProgress(0.95, 'Warming up…');
  await classifier.classify(new Float32Array(28 * 28));
  setProgress(1, 'Ready');
  return { backend, classifier };
}

// ---- The page ----

const padWrap = document.querySelector<HTMLElement>('.pad-wrap')!;
const predictionEl = $('prediction');
const confidenceEl = document.querySelector<HTMLElement>('.confidence')!;
const timingEl = $('inference-time');
const inputCanvas = $<HTMLCanvasElement>('input');
const showBars = probabilityBars($('probabilities'));

let classifier: Classifier | null = null;
let shipped: Classifier | null = null;
let maps: FeatureMapView | null = null;
const recentMs: number[] = [];

/** The model the page classifies with: the shipped one, or one trained here. */
function useClassifier(next: Classifier, label: string): void {
  classifier = next;
  const name = $('model-name');
  name.textContent = label;
  name.classList.toggle('own', next !== shipped);
  maps?.showFilters(next.firstFilters());
  requestInference();
}

function showNothing(): void {
  predictionEl.textContent = '';
  confidenceEl.textContent = '';
  showBars(null);
  drawGrey(inputCanvas, null);
  maps?.show(null);
}

async function inferOnce(): Promise<void> {
  const image = pad.isEmpty ? null : toMnist(pad.ink());
  padWrap.classList.toggle('inked', !pad.isEmpty);
  if (!classifier || !image) return showNothing();
  drawGrey(inputCanvas, image);
  const result = await classifier.classify(normalise(image));
  const p = result.probabilities;
  const best = p.indexOf(Math.max(...p));
  predictionEl.textContent = String(best);
  confidenceEl.textContent = `${(p[best] * 100).toFixed(1)}% sure`;
  showBars(p);
  maps?.show(result.maps);
  recentMs.push(result.ms);
  if (recentMs.length > 30) recentMs.shift();
  const median = [...recentMs].sort((a, b) => a - b)[recentMs.length >> 1];
  timingEl.textContent = `${result.ms.toFixed(1)} ms this run · ${median.toFixed(1)} ms median`;
  timingEl.title = 'Input upload, the whole network, and reading back the probabilities and feature maps';
}

// One inference at a time; drawing during a run asks for one more when it ends.
let wanted = false;
let running = false;
function requestInference(): void {
  wanted = true;
  if (running) return;
  running = true;
  // The end-to-end test waits for 'idle' after drawing.
  document.body.dataset.inference = 'running';
  void (async () => {
    try {
      while (wanted) {
        wanted = false;
        await inferOnce();
      }
    } catch (e) {
      // A run cut short by a lost device is not an error to show: recovery runs it again.
      if (!(classifier && (await wasLost(classifier.backend)))) showError(e);
    } finally {
      running = false;
      document.body.dataset.inference = 'idle';
    }
  })();
}

const pad = createPad($<HTMLCanvasElement>('pad'), () => requestInference());
$('clear').addEventListener('click', () => pad.clear());
// Escape, Backspace or Delete clear the pad too (unless typing somewhere).
document.addEventListener('keydown', (e) => {
  if (['Escape', 'Backspace', 'Delete'].includes(e.key) && !(e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement)) pad.clear();
});

function showError(e: unknown): void {
  console.error(e);
  setProgress(1, `Something went wrong: ${(e as Error).message ?? String(e)}`);
  progress.hidden = false;
}

// Students' view: the layer table beside the feature maps.
const studentsButton = $('students');
const summaryEl = $('summary');
studentsButton.addEventListener('click', () => {
  const on = studentsButton.getAttribute('aria-pressed') !== 'true';
  studentsButton.setAttribute('aria-pressed', String(on));
  document.body.classList.toggle('students', on);
  summaryEl.hidden = !on;
});
const summary = shippedNet.summary();
summaryTable(summaryEl, summary, FEATURE_LAYERS.map((f) => f.layer));
maps = featureMaps(
  $('feature-maps'),
  FEATURE_LAYERS,
  FEATURE_LAYERS.map((f) => summary.layers.find((l) => l.name === f.layer)!.outputShape.slice(1)),
);
showNothing();

function showBackend(backend: nn.Backend): void {
  const el = $('backend');
  el.textContent = describeBackend(backend);
  el.classList.toggle('gpu', backend.name === 'webgpu');
  el.classList.toggle('cpu', backend.name !== 'webgpu');
}

// ---- Device loss: a new backend, the model compiled again, no reload ----

const notice = $('notice');
let training: TrainingControl | null = null;
let recoveries = 0;

function say(text: string): void {
  notice.textContent = text;
  notice.hidden = false;
}

function watchForLoss(backend: nn.Backend): void {
  void backend.lost.then(async ({ reason, message }) => {
    const what = `The GPU device was lost (${[reason, message].filter(Boolean).join(': ')})`;
    document.body.dataset.recovery = 'recovering';
    $('backend').textContent = 'WebGPU · device lost';
    training?.lost('the GPU device was lost');
    say(`${what}. Starting a new backend and compiling the model again…`);
    try {
      const next = await nn.createBackend(); // WebGPU if an adapter is still there, else the CPU with the reason
      // The weights live in the model (loaded once from the file): compiling uploads them to the new backend.
      const compiled = await Classifier.compile(shippedNet, next);
      await compiled.classify(new Float32Array(28 * 28));
      backend.dispose(); // what the lost backend still held
      shipped = compiled;
      showBackend(next);
      watchForLoss(next);
      if (training) await training.rebind(next, compiled);
      else useClassifier(compiled, 'shipped weights');
      const where = next.name === 'webgpu' ? 'a new WebGPU device' : describeBackend(next);
      say(`${what}. Recovered on ${where}: the model was compiled again with its weights; carry on drawing.`);
      document.body.dataset.recovery = 'recovered';
      document.body.dataset.recoveries = String(++recoveries);
    } catch (e) {
      document.body.dataset.recovery = 'failed';
      showError(e);
    }
  });
}

start()
  .then(({ backend, classifier: compiled }) => {
    showBackend(backend);
    progress.hidden = true;
    // Time from navigation to ready, for the README's figure (the e2e test prints it).
    document.body.dataset.readyMs = performance.now().toFixed(0);
    shipped = compiled;
    useClassifier(shipped, 'shipped weights');
    training = setupTraining({ backend, shipped, onModel: useClassifier });
    watchForLoss(backend);
  })
  .catch(showError);
