// The page of scripts/bench-train-browser.mjs: LeNet training throughput on navigator.gpu and on
// the CPU backend (measure.js), reported in window.result.
import * as nn from '../../dist/webgpu-nn.js';
import { measureTraining } from './measure.js';

const params = new URLSearchParams(location.search);
const options = { batch: Number(params.get('batch') ?? 64), steps: Number(params.get('steps') ?? 20) };

try {
  const gpu = await nn.createBackend('webgpu');
  const info = gpu.device.adapterInfo;
  const results = [await measureTraining(nn, gpu, options), await measureTraining(nn, await nn.createBackend('cpu'), options)];
  window.result = { adapter: `${info?.vendor ?? ''} ${info?.architecture ?? ''} ${info?.description ?? ''}`.trim(), ...options, results };
} catch (e) {
  window.result = { error: String(e && e.stack ? e.stack : e) };
}
