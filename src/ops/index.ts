// The op table: every op of the API, bound to one runner (a backend or a graph tracer).
// backend.ops and the layers' forward functions are both this table, so eager calls and
// compiled graphs go through the same op definitions. Names and argument order are the public
// API of DESIGN.md; each entry only binds the runner to the op file's API function.
import type { Shape } from '../shape.js';
import * as act from './elementwise/activation.js';
import * as adaptive from './pool/adaptiveAvgPool2d.js';
import * as bn from './norm/batchNorm2d.js';
import * as binary from './elementwise/binary.js';
import * as cat from './shape/concat.js';
import * as conv from './conv/conv2d.js';
import * as globalPool from './pool/globalPool2d.js';
import * as linear from './gemm/linear.js';
import * as lrn from './norm/localResponseNorm.js';
import * as matmul from './gemm/matmul.js';
import type { OpRunner } from './op.js';
import * as slice from './shape/narrow.js';
import * as perm from './shape/permute.js';
import * as pool from './pool/pool2d.js';
import * as rec from './recurrent/recurrent.js';
import * as cell from './recurrent/recurrentCell.js';
import * as view from './shape/reshape.js';
import * as softmax from './norm/softmax.js';

type Shaped = { readonly shape: Shape };

export function makeOps<T extends Shaped>(r: OpRunner<T>) {
  return {
    // Convolution and pooling (NCHW)
    conv2d: (x: T, w: T, b: T | null = null, opts?: conv.Conv2dOptions) => conv.conv2d(r, x, w, b, opts),
    maxPool2d: (x: T, opts: pool.MaxPool2dOptions) => pool.maxPool2d(r, x, opts),
    avgPool2d: (x: T, opts: pool.AvgPool2dOptions) => pool.avgPool2d(r, x, opts),
    globalAvgPool2d: (x: T) => globalPool.globalAvgPool2d(r, x),
    globalMaxPool2d: (x: T) => globalPool.globalMaxPool2d(r, x),
    adaptiveAvgPool2d: (x: T, size: adaptive.AdaptiveAvgPool2dSize) => adaptive.adaptiveAvgPool2d(r, x, size),

    // Dense
    linear: (x: T, w: T, b: T | null = null) => linear.linear(r, x, w, b),
    matmul: (a: T, b: T) => matmul.matmul(r, a, b),

    // Activations
    relu: (x: T) => act.relu(r, x),
    sigmoid: (x: T) => act.sigmoid(r, x),
    tanh: (x: T) => act.tanh(r, x),
    leakyRelu: (x: T, opts?: act.LeakyReluOptions) => act.leakyRelu(r, x, opts),
    clip: (x: T, opts?: act.ClipOptions) => act.clip(r, x, opts),
    softmax: (x: T, opts?: softmax.SoftmaxOptions) => softmax.softmax(r, x, opts),
    logSoftmax: (x: T, opts?: softmax.SoftmaxOptions) => softmax.logSoftmax(r, x, opts),

    // Elementwise arithmetic (NumPy broadcasting)
    add: (a: T, b: T) => binary.add(r, a, b),
    mul: (a: T, b: T) => binary.mul(r, a, b),

    // Shape and layout
    concat: (xs: readonly T[], opts?: cat.ConcatOptions) => cat.concat(r, xs, opts),
    flatten: (x: T, opts?: view.FlattenOptions) => view.flatten(r, x, opts),
    reshape: (x: T, shape: readonly number[]) => view.reshape(r, x, shape),
    permute: (x: T, dims: readonly number[]) => perm.permute(r, x, dims),
    narrow: (x: T, dim: number, start: number, length: number) => slice.narrow(r, x, dim, start, length),
    select: (x: T, dim: number, index: number) => slice.select(r, x, dim, index),
    dropout: (x: T, opts?: view.DropoutOptions) => view.dropout(r, x, opts),

    // Normalisation
    batchNorm2d: (x: T, opts: bn.BatchNorm2dOptions<T>) => bn.batchNorm2d(r, x, opts),
    localResponseNorm: (x: T, opts: lrn.LocalResponseNormOptions) => lrn.localResponseNorm(r, x, opts),

    // Recurrent (PyTorch conventions; params keyed by PyTorch names)
    lstm: (x: T, params: Readonly<Record<string, T>>, opts: rec.LstmOptions<T>) => rec.lstm(r, x, params, opts),
    gru: (x: T, params: Readonly<Record<string, T>>, opts: rec.GruOptions<T>) => rec.gru(r, x, params, opts),
    rnn: (x: T, params: Readonly<Record<string, T>>, opts: rec.RnnOptions<T>) => rec.rnn(r, x, params, opts),
    lstmCell: (x: T, h: T, c: T, weights: cell.CellWeights<T>) => cell.lstmCell(r, x, h, c, weights),
    gruCell: (x: T, h: T, opts: cell.GruCellOptions<T>) => cell.gruCell(r, x, h, opts),
    rnnCell: (x: T, h: T, opts: cell.RnnCellOptions<T>) => cell.rnnCell(r, x, h, opts),
  };
}

export type Ops<T extends Shaped> = ReturnType<typeof makeOps<T>>;
