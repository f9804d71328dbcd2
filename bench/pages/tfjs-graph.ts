// The portable graph as TensorFlow.js ops, the way a TF.js user runs such a network: NHWC
// images (convolution weights OIHW → HWIO; the first dense layer after a flatten gets its
// columns permuted from CHW to HWC order), BatchNorm folded into the convolution before it and
// bias + activation fused (tf.fused.*), as TF.js's converter does. PyTorch's explicit padding is
// kept exactly: explicit conv padding, and −∞ / ceil-mode padding before 'valid' pooling.
// A training benchmark makes every weight a tf.variable and runs one step as a TF.js user does:
// tf.train.sgd(lr).minimize of tf.losses.softmaxCrossEntropy (the batch mean) on one-hot targets.
import type * as tfc from '@tensorflow/tfjs-core';
import { paramData, readerCounts, resolvePads, type BenchGraph, type BenchNode } from '../graph.js';
import type { Adapter } from './harness.js';
import { toNhwc } from './harness.js';

type TF = typeof tfc;
type T = tfc.Tensor;
type Pair = [number, number];
type Act = 'relu' | 'sigmoid' | 'linear' | 'elu' | 'relu6' | 'prelu' | 'leakyrelu';

interface Activation {
  kind: string;
  negativeSlope?: number;
  min?: number;
  max?: number;
}

/** NCHW axis → NHWC axis. */
const NHWC_AXIS = [0, 3, 1, 2];

export function createTfAdapter(tf: TF, backendName: 'webgpu' | 'cpu'): Adapter {
  let program: (x: T) => T;
  let inputShape: number[];
  let weights: T[] = [];
  let training: { optimizer: tfc.Optimizer; oneHot: T } | undefined;
  return {
    async init(files) {
      if (!(await tf.setBackend(backendName))) throw new Error(`tfjs: backend ${backendName} failed to initialise`);
      await tf.ready();
      const built = buildProgram(tf, files.graph, files.params, files.training !== undefined);
      if (files.training) {
        // tfjs-core registers no gradients by itself (the @tensorflow/tfjs package does): loaded
        // here, so that inference pages do not download them.
        await import('@tensorflow/tfjs-core/dist/register_all_gradients');
        const classes = files.graph.output.shape[1];
        training = { optimizer: tf.train.sgd(files.training.lr), oneHot: tf.oneHot(tf.tensor1d(files.training.targets, 'int32'), classes) };
      }
      program = built.run;
      weights = built.weights;
      const s = files.graph.input.shape;
      inputShape = s.length === 4 ? [s[0], s[2], s[3], s[1]] : [...s];
      // TF.js uploads lazily: put the weights on the GPU now, so the first inference does not time it.
      const backend = tf.backend() as unknown as { uploadToGPU?: (id: unknown) => void; device?: GPUDevice };
      if (backend.uploadToGPU && backend.device) {
        for (const w of weights) backend.uploadToGPU(w.dataId);
        await backend.device.queue.onSubmittedWorkDone();
      }
      return { backend: tf.getBackend() };
    },
    prepare: (input) => toNhwc(input, inputShapeNchw(inputShape)),
    async run(input) {
      const x = tf.tensor(input, inputShape);
      if (training) {
        const { optimizer, oneHot } = training;
        const loss = optimizer.minimize(() => tf.losses.softmaxCrossEntropy(oneHot, program(x)) as tfc.Scalar, true)!;
        const value = (await loss.data()) as Float32Array;
        x.dispose();
        loss.dispose();
        return value;
      }
      const y = tf.tidy(() => program(x));
      const out = (await y.data()) as Float32Array;
      x.dispose();
      y.dispose();
      return out;
    },
  };
}

const inputShapeNchw = (nhwc: number[]) => (nhwc.length === 4 ? [nhwc[0], nhwc[3], nhwc[1], nhwc[2]] : nhwc);

interface Built {
  run: (x: T) => T;
  weights: T[];
}

function buildProgram(tf: TF, graph: BenchGraph, params: Float32Array, trainable: boolean): Built {
  const readers = readerCounts(graph);
  const weights: T[] = [];
  const keep = (t: T) => {
    const w = trainable ? tf.variable(t) : t;
    if (w !== t) t.dispose();
    weights.push(w);
    return w;
  };
  const param = (id: number) => paramData(graph, params, id);
  const shapeOf = (id: number | null) => graph.values[id!].shape;
  // How each value is laid out in TF.js: 'nhwc' for images, 'plain' otherwise, or the CHW shape
  // of an NHWC image that was flattened (its elements are in HWC order).
  const layout = new Map<number, 'nhwc' | 'plain' | { chw: number[] }>();
  layout.set(graph.input.id, graph.input.shape.length === 4 ? 'nhwc' : 'plain');
  const soleReader = (id: number) => {
    if (readers.get(id) !== 1 || id === graph.output.id) return undefined;
    return graph.nodes.find((n) => n.inputs.includes(id));
  };

  type Step = (env: Map<number, T>) => void;
  const steps: Step[] = [];
  const skipped = new Set<BenchNode>();

  for (const node of graph.nodes) {
    if (skipped.has(node)) continue;
    const a = node.attrs;
    const out = node.outputs[0];
    const [xId] = node.inputs as number[];
    const xLayout = layout.get(xId);
    // A following relu/sigmoid (the only reader of `id`) folds into conv and linear as TF.js's fused ops.
    const fuseActivation = (id: number, act: Activation | undefined): { act: Activation | undefined; outId: number } => {
      if (act) return { act, outId: id };
      const next = soleReader(id);
      if (next?.op === 'activation' && ['relu', 'sigmoid'].includes((next.attrs as unknown as Activation).kind)) {
        skipped.add(next);
        return { act: next.attrs as unknown as Activation, outId: next.outputs[0] };
      }
      return { act: undefined, outId: id };
    };
    switch (node.op) {
      case 'conv2d': {
        if (xLayout !== 'nhwc') throw new Error(`tfjs: conv2d on a non-image value (${node.scope})`);
        if (a.groups !== 1) throw new Error(`tfjs: grouped convolution (${node.scope}) is not written`);
        const [O, C, KH, KW] = shapeOf(node.inputs[1]);
        let w = Float32Array.from(param(node.inputs[1]!));
        let b = node.inputs[2] !== null ? Float32Array.from(param(node.inputs[2]!)) : new Float32Array(O);
        let outId = out;
        let act = a.activation as Activation | undefined;
        // BatchNorm right after (the conv's only reader): fold it, as TF.js's converter does.
        const bnNode = act ? undefined : soleReader(out);
        if (bnNode?.op === 'batchNorm2d') {
          skipped.add(bnNode);
          const [, gi, bi, mi, vi] = bnNode.inputs;
          const eps = bnNode.attrs.eps as number;
          for (let o = 0; o < O; o++) {
            const scale = (gi !== null ? param(gi)[o] : 1) / Math.sqrt(param(vi!)[o] + eps);
            for (let k = 0; k < C * KH * KW; k++) w[o * C * KH * KW + k] *= scale;
            b[o] = (b[o] - param(mi!)[o]) * scale + (bi !== null ? param(bi)[o] : 0);
          }
          outId = bnNode.outputs[0];
        }
        const fused = fuseActivation(outId, act);
        outId = fused.outId;
        act = fused.act;
        // OIHW → HWIO
        const hwio = new Float32Array(w.length);
        for (let o = 0; o < O; o++) for (let c = 0; c < C; c++) for (let ky = 0; ky < KH; ky++) for (let kx = 0; kx < KW; kx++) hwio[((ky * KW + kx) * C + c) * O + o] = w[((o * C + c) * KH + ky) * KW + kx];
        w = hwio;
        const filter = keep(tf.tensor4d(w, [KH, KW, C, O]));
        const bias = keep(tf.tensor1d(b));
        const stride = a.stride as Pair;
        const dilation = a.dilation as Pair;
        const [pt, pl, pb, pr] = resolvePads(a.padding, shapeOf(xId), [KH, KW], stride, dilation);
        const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [pt, pb], [pl, pr], [0, 0]];
        const activation = tfActivation(act, node.scope);
        steps.push((env) => {
          env.set(outId, tf.fused.conv2d({ x: env.get(xId) as tfc.Tensor4D, filter: filter as tfc.Tensor4D, strides: stride, pad, dilations: dilation, bias, activation }));
        });
        layout.set(outId, 'nhwc');
        break;
      }
      case 'linear': {
        const [O, I] = shapeOf(node.inputs[1]);
        if (shapeOf(xId).length !== 2) throw new Error(`tfjs: linear on rank ${shapeOf(xId).length} (${node.scope})`);
        const w = param(node.inputs[1]!);
        // W [O, I] → [I, O]; after a flattened NHWC image, row k of the HWC order is column chw(k).
        const chw = typeof xLayout === 'object' ? xLayout.chw : null;
        const wt = new Float32Array(I * O);
        for (let k = 0; k < I; k++) {
          let src = k;
          if (chw) {
            const [C, H, W] = chw;
            const c = k % C;
            const hw = Math.floor(k / C);
            src = c * H * W + hw;
          }
          for (let o = 0; o < O; o++) wt[k * O + o] = w[o * I + src];
        }
        const wTensor = keep(tf.tensor2d(wt, [I, O]));
        const bias = node.inputs[2] !== null ? keep(tf.tensor1d(param(node.inputs[2]!))) : undefined;
        const fused = fuseActivation(out, a.activation as Activation | undefined);
        const activation = tfActivation(fused.act, node.scope);
        steps.push((env) => {
          env.set(fused.outId, tf.fused.matMul({ a: env.get(xId)!, b: wTensor, bias, activation }));
        });
        layout.set(fused.outId, 'plain');
        break;
      }
      case 'pool2d': {
        const kernel = a.kernel as Pair;
        const stride = a.stride as Pair;
        const dilation = a.dilation as Pair;
        const [, , H, W] = shapeOf(xId);
        const [, , OH, OW] = shapeOf(out);
        const [pt, pl, pb0, pr0] = resolvePads(a.padding, shapeOf(xId), kernel, stride, dilation);
        // Ceil mode: pad the bottom/right so that 'valid' pooling gives PyTorch's output size.
        const pb = Math.max(pb0, (OH - 1) * stride[0] + (kernel[0] - 1) * dilation[0] + 1 - H - pt);
        const pr = Math.max(pr0, (OW - 1) * stride[1] + (kernel[1] - 1) * dilation[1] + 1 - W - pl);
        const padded = pt + pl + pb + pr > 0;
        const max = a.mode === 'max';
        if (!max && padded && !(a.countIncludePad && pb === pb0 && pr === pr0)) throw new Error(`tfjs: average pooling with padding that is not counted (${node.scope})`);
        const pads: [number, number][] = [[0, 0], [pt, pb], [pl, pr], [0, 0]];
        steps.push((env) => {
          let x = env.get(xId) as tfc.Tensor4D;
          if (padded) x = tf.pad(x, pads, max ? -Infinity : 0);
          const dilated = dilation[0] !== 1 || dilation[1] !== 1;
          env.set(
            out,
            dilated
              ? tf.pool(x, kernel, max ? 'max' : 'avg', 'valid', dilation, stride)
              : max
                ? tf.maxPool(x, kernel, stride, 'valid')
                : tf.avgPool(x, kernel, stride, 'valid'),
          );
        });
        layout.set(out, 'nhwc');
        break;
      }
      case 'globalPool2d':
        steps.push((env) => env.set(out, a.mode === 'max' ? tf.max(env.get(xId)!, [1, 2], true) : tf.mean(env.get(xId)!, [1, 2], true)));
        layout.set(out, 'nhwc');
        break;
      case 'adaptiveAvgPool2d': {
        const [, , H, W] = shapeOf(xId);
        const [OH, OW] = a.outputSize as Pair;
        if (OH === 1 && OW === 1) steps.push((env) => env.set(out, tf.mean(env.get(xId)!, [1, 2], true)));
        else if (H === OH && W === OW) steps.push((env) => env.set(out, env.get(xId)!));
        else if (H % OH === 0 && W % OW === 0) steps.push((env) => env.set(out, tf.avgPool(env.get(xId) as tfc.Tensor4D, [H / OH, W / OW], [H / OH, W / OW], 'valid')));
        else throw new Error(`tfjs: adaptive pooling with uneven bins (${node.scope})`);
        layout.set(out, 'nhwc');
        break;
      }
      case 'activation': {
        const act = a as unknown as Activation;
        steps.push((env) => env.set(out, applyActivation(tf, env.get(xId)!, act)));
        layout.set(out, xLayout!);
        break;
      }
      case 'binary': {
        const [, yId] = node.inputs as number[];
        if (layout.get(yId) !== xLayout || shapeOf(xId).join() !== shapeOf(yId).join()) throw new Error(`tfjs: broadcasting ${node.attrs.kind} is not written (${node.scope})`);
        steps.push((env) => env.set(out, a.kind === 'add' ? tf.add(env.get(xId)!, env.get(yId)!) : tf.mul(env.get(xId)!, env.get(yId)!)));
        layout.set(out, xLayout!);
        break;
      }
      case 'concat': {
        const ids = node.inputs as number[];
        const rank = shapeOf(ids[0]).length;
        const dim = (a.dim as number) < 0 ? (a.dim as number) + rank : (a.dim as number);
        const axis = xLayout === 'nhwc' ? NHWC_AXIS[dim] : dim;
        steps.push((env) => env.set(out, tf.concat(ids.map((id) => env.get(id)!), axis)));
        layout.set(out, xLayout!);
        break;
      }
      case 'view': {
        const target = [...shapeOf(out)];
        if (a.kind === 'dropout') {
          steps.push((env) => env.set(out, env.get(xId)!));
          layout.set(out, xLayout!);
        } else if (xLayout === 'nhwc') {
          const [N, C, H, W] = shapeOf(xId);
          if (target.length !== 2 || target[0] !== N) throw new Error(`tfjs: reshape of an image other than a flatten (${node.scope})`);
          steps.push((env) => env.set(out, tf.reshape(env.get(xId)!, target)));
          layout.set(out, H * W === 1 ? 'plain' : { chw: [C, H, W] });
        } else {
          steps.push((env) => env.set(out, tf.reshape(env.get(xId)!, target)));
          layout.set(out, 'plain');
        }
        break;
      }
      case 'batchNorm2d': {
        const [, gi, bi, mi, vi] = node.inputs;
        const C = shapeOf(xId)[1];
        const eps = a.eps as number;
        const scale = new Float32Array(C);
        const shift = new Float32Array(C);
        for (let c = 0; c < C; c++) {
          scale[c] = (gi !== null ? param(gi)[c] : 1) / Math.sqrt(param(vi!)[c] + eps);
          shift[c] = (bi !== null ? param(bi)[c] : 0) - param(mi!)[c] * scale[c];
        }
        if (xLayout !== 'nhwc') throw new Error(`tfjs: batchNorm2d on a non-image value (${node.scope})`);
        const s = keep(tf.tensor1d(scale));
        const t = keep(tf.tensor1d(shift));
        steps.push((env) => env.set(out, tf.add(tf.mul(env.get(xId)!, s), t)));
        layout.set(out, 'nhwc');
        break;
      }
      case 'softmax': {
        const rank = shapeOf(xId).length;
        const dim = (a.dim as number) < 0 ? (a.dim as number) + rank : (a.dim as number);
        if (dim !== rank - 1 || xLayout === 'nhwc') throw new Error(`tfjs: softmax over an inner axis (${node.scope})`);
        steps.push((env) => env.set(out, tf.softmax(env.get(xId)!)));
        layout.set(out, 'plain');
        break;
      }
      case 'recurrent':
        steps.push(lstmStep(tf, graph, node, param, keep, readers));
        for (const o of node.outputs) layout.set(o, 'plain');
        break;
      default:
        throw new Error(`tfjs: op ${node.op} (${node.scope}) is not written`);
    }
  }

  const outLayout = layout.get(graph.output.id);
  return {
    weights,
    run: (x) => {
      const env = new Map<number, T>([[graph.input.id, x]]);
      for (const step of steps) step(env);
      const y = env.get(graph.output.id)!;
      return outLayout === 'nhwc' ? tf.transpose(y, [0, 3, 1, 2]) : y;
    },
  };
}

function tfActivation(act: Activation | undefined, scope: string): Act {
  if (!act) return 'linear';
  if (act.kind === 'relu' || act.kind === 'sigmoid') return act.kind;
  throw new Error(`tfjs: fused activation ${act.kind} (${scope}) is not written`);
}

function applyActivation(tf: TF, x: T, act: Activation): T {
  switch (act.kind) {
    case 'relu':
      return tf.relu(x);
    case 'sigmoid':
      return tf.sigmoid(x);
    case 'tanh':
      return tf.tanh(x);
    case 'leakyRelu':
      return tf.leakyRelu(x, act.negativeSlope);
    case 'clip':
      return tf.clipByValue(x, act.min!, act.max!);
  }
  throw new Error(`tfjs: activation ${act.kind} is not written`);
}

/** One LSTM layer as TF.js ops: the input projection for all steps in one matMul, then per step
 *  the recurrent matMul, the gates (PyTorch order i, f, g, o) and the state update. */
function lstmStep(tf: TF, graph: BenchGraph, node: BenchNode, param: (id: number) => Float32Array, keep: (t: T) => T, readers: Map<number, number>) {
  const a = node.attrs;
  const plain = a.mode === 'lstm' && a.numLayers === 1 && !a.bidirectional && !a.batchFirst && a.clip === null && !a.hasH0 && !a.hasC0 && node.inputs[7] === null;
  if (!plain) throw new Error(`tfjs: only a one-layer unidirectional LSTM is written (${node.scope})`);
  const H = a.hiddenSize as number;
  const [xId] = node.inputs as number[];
  const [T, N, I] = graph.values[xId].shape;
  const transpose = (w: Float32Array, rows: number, cols: number) => {
    const t = new Float32Array(w.length);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = w[r * cols + c];
    return t;
  };
  const wIh = keep(tf.tensor2d(transpose(param(node.inputs[3]!), 4 * H, I), [I, 4 * H]));
  const wHh = keep(tf.tensor2d(transpose(param(node.inputs[4]!), 4 * H, H), [H, 4 * H]));
  const b = new Float32Array(4 * H);
  for (const i of [5, 6]) if (node.inputs[i] !== null) param(node.inputs[i]!).forEach((v, k) => (b[k] += v));
  const bias = keep(tf.tensor1d(b));
  const [yId, hId, cId] = node.outputs;
  const needSequence = (readers.get(yId) ?? 0) > 0;
  return (env: Map<number, T>) => {
    const proj = tf.fused.matMul({ a: tf.reshape(env.get(xId)!, [T * N, I]), b: wIh, bias });
    let h: T = tf.zeros([N, H]);
    let c: T = tf.zeros([N, H]);
    const hs: T[] = [];
    for (let t = 0; t < T; t++) {
      const gates = tf.add(tf.slice(proj, [t * N, 0], [N, 4 * H]), tf.matMul(h, wHh));
      const [i, f, g, o] = tf.split(gates, 4, 1);
      c = tf.add(tf.mul(tf.sigmoid(f), c), tf.mul(tf.sigmoid(i), tf.tanh(g)));
      h = tf.mul(tf.sigmoid(o), tf.tanh(c));
      if (needSequence) hs.push(h);
    }
    if (needSequence) env.set(yId, tf.stack(hs));
    env.set(hId, tf.reshape(h, [1, N, H]));
    env.set(cId, tf.reshape(c, [1, N, H]));
  };
}
