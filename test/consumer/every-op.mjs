// Runs every op of the public API through the built package, on the CPU backend and (when a
// GPUDevice from the `webgpu` package is available) on WebGPU with that device, and prints a
// JSON report: per op and backend, the output shapes and the largest difference from the CPU.
import * as nn from 'webgpu-nn';

const rand = (n, seed) => {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32) * 2 - 1);
};

/** Each case builds its inputs on backend `b` and returns the output tensors. */
function cases(b) {
  const t = (shape, seed = 1) => b.tensor(rand(shape.reduce((a, d) => a * d, 1), seed), shape);
  const img = () => t([2, 3, 9, 9], 2);
  const rec = (mode, G) => {
    const p = { weight_ih_l0: t([G * 4, 3], 3), weight_hh_l0: t([G * 4, 4], 4), bias_ih_l0: t([G * 4], 5), bias_hh_l0: t([G * 4], 6) };
    return b.ops[mode](t([5, 2, 3], 7), p, { hiddenSize: 4 });
  };
  const cell = { weightIh: t([16, 3], 8), weightHh: t([16, 4], 9), biasIh: t([16], 10), biasHh: t([16], 11) };
  const cell3 = { weightIh: t([12, 3], 8), weightHh: t([12, 4], 9) };
  return {
    conv2d: () => [b.ops.conv2d(img(), t([4, 3, 3, 3], 3), t([4], 4), { stride: 2, padding: 1 })],
    maxPool2d: () => [b.ops.maxPool2d(img(), { kernelSize: 3, stride: 2, ceilMode: true })],
    avgPool2d: () => [b.ops.avgPool2d(img(), { kernelSize: 2, padding: 1, countIncludePad: false })],
    globalAvgPool2d: () => [b.ops.globalAvgPool2d(img())],
    globalMaxPool2d: () => [b.ops.globalMaxPool2d(img())],
    adaptiveAvgPool2d: () => [b.ops.adaptiveAvgPool2d(img(), [4, 5])],
    linear: () => [b.ops.linear(t([3, 7]), t([5, 7], 2), t([5], 3))],
    matmul: () => [b.ops.matmul(t([2, 1, 3, 4]), t([5, 4, 6], 2))],
    relu: () => [b.ops.relu(img())],
    sigmoid: () => [b.ops.sigmoid(img())],
    tanh: () => [b.ops.tanh(img())],
    leakyRelu: () => [b.ops.leakyRelu(img(), { negativeSlope: 0.1 })],
    clip: () => [b.ops.clip(img(), { min: -0.5, max: 0.5 })],
    softmax: () => [b.ops.softmax(img(), { dim: 1 })],
    logSoftmax: () => [b.ops.logSoftmax(img())],
    add: () => [b.ops.add(img(), t([9], 5))],
    mul: () => [b.ops.mul(img(), t([3, 1, 1], 5))],
    concat: () => [b.ops.concat([img(), t([2, 1, 9, 9], 6)], { dim: 1 })],
    flatten: () => [b.ops.flatten(img())],
    reshape: () => [b.ops.reshape(img(), [6, -1])],
    permute: () => [b.ops.permute(img(), [0, 2, 3, 1])],
    dropout: () => [b.ops.dropout(img())],
    batchNorm2d: () => [b.ops.batchNorm2d(img(), { weight: t([3], 3), bias: t([3], 4), runningMean: t([3], 5), runningVar: b.tensor([1, 2, 3], [3]) })],
    localResponseNorm: () => [b.ops.localResponseNorm(img(), { size: 3 })],
    lstm: () => Object.values(rec('lstm', 4)),
    gru: () => Object.values(b.ops.gru(t([5, 2, 3], 7), { weight_ih_l0: t([12, 3], 3), weight_hh_l0: t([12, 4], 4) }, { hiddenSize: 4, bidirectional: false })),
    rnn: () => Object.values(b.ops.rnn(t([5, 2, 3], 7), { weight_ih_l0: t([4, 3], 3), weight_hh_l0: t([4, 4], 4) }, { hiddenSize: 4, nonlinearity: 'relu' })),
    lstmCell: () => Object.values(b.ops.lstmCell(t([2, 3], 1), t([2, 4], 2), t([2, 4], 3), cell)),
    gruCell: () => Object.values(b.ops.gruCell(t([2, 3], 1), t([2, 4], 2), cell3)),
    rnnCell: () => Object.values(b.ops.rnnCell(t([2, 3], 1), t([2, 4], 2), { weightIh: t([4, 3], 1), weightHh: t([4, 4], 2), nonlinearity: 'tanh' })),
  };
}

async function runAll(backend) {
  const out = {};
  for (const [name, run] of Object.entries(cases(backend))) {
    const tensors = run();
    out[name] = await Promise.all(tensors.map(async (y) => ({ shape: [...y.shape], data: Array.from(await y.data()) })));
  }
  return out;
}

const report = { ops: {}, backends: [] };
const cpu = await nn.createBackend('cpu');
const reference = await runAll(cpu);
report.backends.push(cpu.name);
for (const [name, outs] of Object.entries(reference)) report.ops[name] = { cpu: { shapes: outs.map((o) => o.shape), maxDiff: 0 } };

if (process.argv.includes('--webgpu')) {
  const { create } = await import('webgpu');
  const gpuObject = create([]);
  const adapter = await gpuObject.requestAdapter();
  const device = await adapter.requestDevice();
  const gpu = await nn.createBackend('webgpu', { device });
  report.backends.push(gpu.name);
  const results = await runAll(gpu);
  for (const [name, outs] of Object.entries(results)) {
    let maxDiff = 0;
    outs.forEach((o, i) => o.data.forEach((v, j) => (maxDiff = Math.max(maxDiff, Math.abs(v - reference[name][i].data[j])))));
    report.ops[name].webgpu = { shapes: outs.map((o) => o.shape), maxDiff };
  }
  gpu.dispose();
  // The device is ours: the backend must not have destroyed it.
  report.deviceStillUsable = (() => {
    try {
      device.createBuffer({ size: 16, usage: 0x08 }).destroy();
      return true;
    } catch {
      return false;
    }
  })();
  device.destroy();
}
console.log(JSON.stringify(report));
