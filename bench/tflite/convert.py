"""Converts a benchmark model to .tflite for LiteRT.js with TensorFlow's own converter.

    python bench/tflite/convert.py bench/.cache/<model> [more model folders]

Reads the folder the runner wrote (graph.json: the traced graph; params.bin: its float32
parameters; hash.txt), builds the same network as a tf.function with constant weights in NHWC
(convolution weights OIHW -> HWIO; the first dense layer after a flatten gets its columns
permuted from CHW to HWC order), keeps PyTorch's padding exact (SAME only where it gives the
same cells, else an explicit PAD before a VALID op), folds BatchNorm into the convolution, and
unrolls the LSTM into FULLY_CONNECTED / SLICE / SPLIT / LOGISTIC / TANH / MUL / ADD (a Keras
LSTM converts to a WHILE loop that LiteRT's WebGPU delegate cannot run). Writes model.tflite and
model.tflite.hash, then runs the file in TensorFlow's interpreter and prints its largest error
against the runner's float64 reference.

Needs tensorflow-cpu (pip install tensorflow-cpu, Python 3.11; 2.21 was used), in a virtual
environment outside the repository; `npm run bench` calls this script itself when BENCH_PYTHON
names that environment's python.
"""

import json
import math
import os
import sys
import warnings

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
warnings.filterwarnings("ignore")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

NHWC_AXIS = [0, 3, 1, 2]


def resolve_pads(padding, shape, kernel, stride, dilation):
    if isinstance(padding, list):
        return padding
    assert padding == "same", padding
    pads = []
    for a in range(2):
        size = shape[2 + a]
        out = math.ceil(size / stride[a])
        total = max(0, (out - 1) * stride[a] + (kernel[a] - 1) * dilation[a] + 1 - size)
        pads.append((total // 2, total - total // 2))
    return [pads[0][0], pads[1][0], pads[0][1], pads[1][1]]


def same_pads(size, kernel, stride, dilation):
    """TensorFlow's SAME: output ceil(size / stride), the odd cell at the bottom/right."""
    out = math.ceil(size / stride)
    total = max(0, (out - 1) * stride + (kernel - 1) * dilation + 1 - size)
    return out, total // 2, total - total // 2


def window_padding(in_hw, out_hw, kernel, stride, dilation, pads):
    """'SAME' when TensorFlow's SAME covers exactly PyTorch's cells, else 'VALID' with explicit pads
    [top, left, bottom, right] (bottom/right grown for ceil mode so VALID gives PyTorch's size)."""
    top, left, bottom, right = pads
    need = []
    for a, (begin, end) in enumerate([(top, bottom), (left, right)]):
        end = max(end, (out_hw[a] - 1) * stride[a] + (kernel[a] - 1) * dilation[a] + 1 - in_hw[a] - begin)
        need.append((begin, end))
    if all(b == 0 and e == 0 for b, e in need):
        return "VALID", None
    same = [same_pads(in_hw[a], kernel[a], stride[a], dilation[a]) for a in range(2)]
    if all(same[a][0] == out_hw[a] and (same[a][1], same[a][2]) == need[a] for a in range(2)):
        return "SAME", None
    return "VALID", [[0, 0], list(need[0]), list(need[1]), [0, 0]]


def build(graph, params):
    values = graph["values"]

    def param(i):
        v = values[i]
        return params[v["offset"] : v["offset"] + v["length"]].reshape(v["shape"])

    def shape(i):
        return values[i]["shape"]

    readers = {}
    for n in graph["nodes"]:
        for i in n["inputs"]:
            if i is not None:
                readers[i] = readers.get(i, 0) + 1
    readers[graph["output"]["id"]] = readers.get(graph["output"]["id"], 0) + 1

    def sole_reader(i):
        if readers.get(i) != 1 or i == graph["output"]["id"]:
            return None
        return next(n for n in graph["nodes"] if i in n["inputs"])

    # how each value is laid out: 'nhwc', 'plain', or ('chw', [C, H, W]) after a flatten of an image
    layout = {graph["input"]["id"]: "nhwc" if len(graph["input"]["shape"]) == 4 else "plain"}
    # values known to be >= 0 (ReLU outputs): max pooling may pad them with 0 instead of -inf
    nonnegative = set()
    skipped = set()
    steps = []

    def activation_fn(act):
        if act is None:
            return lambda t: t
        k = act["kind"]
        if k == "relu":
            return tf.nn.relu
        if k == "sigmoid":
            return tf.math.sigmoid
        if k == "tanh":
            return tf.math.tanh
        raise ValueError(f"activation {k}")

    for idx, node in enumerate(graph["nodes"]):
        if idx in skipped:
            continue
        op, a, ins, out = node["op"], node["attrs"], node["inputs"], node["outputs"][0]
        x_id = ins[0]
        x_layout = layout.get(x_id)

        def fuse_activation(vid, act):
            if act is not None:
                return act, vid
            nxt = sole_reader(vid)
            if nxt is not None and nxt["op"] == "activation" and nxt["attrs"]["kind"] in ("relu", "sigmoid", "tanh"):
                skipped.add(graph["nodes"].index(nxt))
                return nxt["attrs"], nxt["outputs"][0]
            return None, vid

        if op == "conv2d":
            assert x_layout == "nhwc" and a["groups"] == 1, node["scope"]
            O, C, KH, KW = shape(ins[1])
            w = param(ins[1]).astype(np.float64)
            b = param(ins[2]).astype(np.float64) if ins[2] is not None else np.zeros(O)
            act = a.get("activation")
            out_id = out
            bn = None if act else sole_reader(out)
            if bn is not None and bn["op"] == "batchNorm2d":
                skipped.add(graph["nodes"].index(bn))
                _, gi, bi, mi, vi = bn["inputs"][:5]
                gamma = param(gi) if gi is not None else np.ones(O)
                beta = param(bi) if bi is not None else np.zeros(O)
                scale = gamma / np.sqrt(param(vi).astype(np.float64) + bn["attrs"]["eps"])
                w = w * scale[:, None, None, None]
                b = (b - param(mi)) * scale + beta
                out_id = bn["outputs"][0]
            act, out_id = fuse_activation(out_id, act)
            filt = tf.constant(np.transpose(w, (2, 3, 1, 0)).astype(np.float32))
            bias = tf.constant(b.astype(np.float32))
            stride, dilation = a["stride"], a["dilation"]
            pads = resolve_pads(a["padding"], shape(x_id), [KH, KW], stride, dilation)
            in_hw = shape(x_id)[2:]
            out_hw = values[out]["shape"][2:]
            mode, explicit = window_padding(in_hw, out_hw, [KH, KW], stride, dilation, pads)
            fn = activation_fn(act)

            def conv(env, x_id=x_id, out_id=out_id, filt=filt, bias=bias, stride=stride, dilation=dilation, mode=mode, explicit=explicit, fn=fn):
                x = env[x_id]
                if explicit is not None:
                    x = tf.pad(x, explicit)
                y = tf.nn.conv2d(x, filt, strides=[1, *stride, 1], padding=mode, dilations=[1, *dilation, 1])
                env[out_id] = fn(tf.nn.bias_add(y, bias))

            steps.append(conv)
            layout[out_id] = "nhwc"
            if act is not None and act["kind"] == "relu":
                nonnegative.add(out_id)
        elif op == "linear":
            O, I = shape(ins[1])
            assert len(shape(x_id)) == 2, node["scope"]
            w = param(ins[1])
            if isinstance(x_layout, tuple):
                C, H, W = x_layout[1]
                # column k of the HWC-ordered input is column c*H*W + hw of PyTorch's CHW order
                order = np.array([(k % C) * H * W + k // C for k in range(I)])
                w = w[:, order]
            wt = tf.constant(np.ascontiguousarray(w.T))
            bias = tf.constant(param(ins[2])) if ins[2] is not None else None
            act, out_id = fuse_activation(out, a.get("activation"))
            fn = activation_fn(act)

            def dense(env, x_id=x_id, out_id=out_id, wt=wt, bias=bias, fn=fn):
                y = tf.matmul(env[x_id], wt)
                env[out_id] = fn(y + bias if bias is not None else y)

            steps.append(dense)
            layout[out_id] = "plain"
            if act is not None and act["kind"] == "relu":
                nonnegative.add(out_id)
        elif op == "pool2d":
            kernel, stride, dilation = a["kernel"], a["stride"], a["dilation"]
            pads = resolve_pads(a["padding"], shape(x_id), kernel, stride, dilation)
            in_hw = shape(x_id)[2:]
            out_hw = values[out]["shape"][2:]
            mode, explicit = window_padding(in_hw, out_hw, kernel, stride, dilation, pads)
            is_max = a["mode"] == "max"
            assert dilation == [1, 1], node["scope"]
            if not is_max and (mode == "SAME" or explicit is not None):
                # TF's average pooling never counts padded cells; PyTorch's count_include_pad does.
                assert mode != "SAME" and a["countIncludePad"], node["scope"]
            fill = 0.0 if (not is_max or x_id in nonnegative) else -np.inf

            def pool(env, x_id=x_id, out=out, kernel=kernel, stride=stride, mode=mode, explicit=explicit, is_max=is_max, fill=fill):
                x = env[x_id]
                if explicit is not None:
                    x = tf.pad(x, explicit, constant_values=fill)
                f = tf.nn.max_pool2d if is_max else tf.nn.avg_pool2d
                env[out] = f(x, ksize=kernel, strides=stride, padding=mode)

            steps.append(pool)
            layout[out] = "nhwc"
            if x_id in nonnegative:
                nonnegative.add(out)
        elif op in ("globalPool2d", "adaptiveAvgPool2d"):
            H, W = shape(x_id)[2:]
            OH, OW = (1, 1) if op == "globalPool2d" else a["outputSize"]
            is_max = op == "globalPool2d" and a["mode"] == "max"
            if (OH, OW) == (H, W):
                steps.append(lambda env, x_id=x_id, out=out: env.__setitem__(out, env[x_id]))
            elif (OH, OW) == (1, 1):
                f = tf.reduce_max if is_max else tf.reduce_mean
                steps.append(lambda env, x_id=x_id, out=out, f=f: env.__setitem__(out, f(env[x_id], axis=[1, 2], keepdims=True)))
            else:
                assert H % OH == 0 and W % OW == 0, node["scope"]
                k = [H // OH, W // OW]
                steps.append(lambda env, x_id=x_id, out=out, k=k: env.__setitem__(out, tf.nn.avg_pool2d(env[x_id], k, k, "VALID")))
            layout[out] = "nhwc"
        elif op == "activation":
            fn = activation_fn(a)
            steps.append(lambda env, x_id=x_id, out=out, fn=fn: env.__setitem__(out, fn(env[x_id])))
            layout[out] = x_layout
            if a["kind"] == "relu":
                nonnegative.add(out)
        elif op == "binary":
            y_id = ins[1]
            assert layout.get(y_id) == x_layout and shape(x_id) == shape(y_id), node["scope"]
            f = tf.add if a["kind"] == "add" else tf.multiply
            steps.append(lambda env, x_id=x_id, y_id=y_id, out=out, f=f: env.__setitem__(out, f(env[x_id], env[y_id])))
            layout[out] = x_layout
        elif op == "concat":
            rank = len(shape(x_id))
            dim = a["dim"] + rank if a["dim"] < 0 else a["dim"]
            axis = NHWC_AXIS[dim] if x_layout == "nhwc" else dim
            ids = list(ins)
            steps.append(lambda env, ids=ids, out=out, axis=axis: env.__setitem__(out, tf.concat([env[i] for i in ids], axis)))
            layout[out] = x_layout
            if all(i in nonnegative for i in ids):
                nonnegative.add(out)
        elif op == "view":
            target = values[out]["shape"]
            if a["kind"] == "dropout":
                steps.append(lambda env, x_id=x_id, out=out: env.__setitem__(out, env[x_id]))
                layout[out] = x_layout
            else:
                steps.append(lambda env, x_id=x_id, out=out, target=target: env.__setitem__(out, tf.reshape(env[x_id], target)))
                if x_layout == "nhwc":
                    N, C, H, W = shape(x_id)
                    assert len(target) == 2 and target[0] == N, node["scope"]
                    layout[out] = "plain" if H * W == 1 else ("chw", [C, H, W])
                else:
                    layout[out] = "plain"
            if x_id in nonnegative:
                nonnegative.add(out)
        elif op == "recurrent":
            steps.append(lstm_step(node, shape, param, readers))
            for o in node["outputs"]:
                layout[o] = "plain"
        else:
            raise ValueError(f"op {op} ({node['scope']}) is not converted")

    in_shape = graph["input"]["shape"]
    tf_shape = [in_shape[0], in_shape[2], in_shape[3], in_shape[1]] if len(in_shape) == 4 else in_shape
    out_id = graph["output"]["id"]
    out_layout = layout[out_id]

    @tf.function(input_signature=[tf.TensorSpec(tf_shape, tf.float32)])
    def forward(x):
        env = {graph["input"]["id"]: x}
        for step in steps:
            step(env)
        y = env[out_id]
        return tf.transpose(y, [0, 3, 1, 2]) if out_layout == "nhwc" else y

    return forward, tf_shape


def lstm_step(node, shape, param, readers):
    a, ins = node["attrs"], node["inputs"]
    plain = a["mode"] == "lstm" and a["numLayers"] == 1 and not a["bidirectional"] and not a["batchFirst"] and a["clip"] is None and not a["hasH0"] and not a["hasC0"] and ins[7] is None
    assert plain, node["scope"]
    H = a["hiddenSize"]
    x_id = ins[0]
    T, N, I = shape(x_id)
    w_ih = tf.constant(np.ascontiguousarray(param(ins[3]).T))
    w_hh = tf.constant(np.ascontiguousarray(param(ins[4]).T))
    b = np.zeros(4 * H, np.float32)
    for i in (5, 6):
        if ins[i] is not None:
            b += param(ins[i])
    bias = tf.constant(b)
    y_id, h_id, c_id = node["outputs"]
    need_sequence = readers.get(y_id, 0) > 0

    def run(env):
        proj = tf.matmul(tf.reshape(env[x_id], [T * N, I]), w_ih) + bias
        h = tf.zeros([N, H])
        c = tf.zeros([N, H])
        hs = []
        for t in range(T):
            gates = tf.slice(proj, [t * N, 0], [N, 4 * H]) + tf.matmul(h, w_hh)
            i, f, g, o = tf.split(gates, 4, axis=1)
            c = tf.math.sigmoid(f) * c + tf.math.sigmoid(i) * tf.math.tanh(g)
            h = tf.math.sigmoid(o) * tf.math.tanh(c)
            hs.append(h)
        if need_sequence:
            env[y_id] = tf.stack(hs)
        env[h_id] = tf.reshape(h, [1, N, H])
        env[c_id] = tf.reshape(c, [1, N, H])

    return run


def convert(folder):
    with open(os.path.join(folder, "graph.json")) as f:
        graph = json.load(f)
    params = np.fromfile(os.path.join(folder, "params.bin"), dtype="<f4")
    with open(os.path.join(folder, "hash.txt")) as f:
        digest = f.read().strip()
    forward, tf_shape = build(graph, params)
    concrete = forward.get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], forward)
    flatbuffer = converter.convert()
    with open(os.path.join(folder, "model.tflite"), "wb") as f:
        f.write(flatbuffer)

    # Check the file against the runner's float64 reference with TensorFlow's interpreter.
    x = np.fromfile(os.path.join(folder, "input.bin"), dtype="<f4").reshape(graph["input"]["shape"])
    if len(tf_shape) == 4:
        x = np.ascontiguousarray(np.transpose(x, (0, 2, 3, 1)))
    interpreter = tf.lite.Interpreter(model_content=flatbuffer)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    y = interpreter.get_tensor(interpreter.get_output_details()[0]["index"]).reshape(-1)
    ref_file = os.path.join(folder, f"reference-{digest}.f64")
    note = ""
    if os.path.exists(ref_file):
        ref = np.fromfile(ref_file, dtype="<f8")
        err = float(np.max(np.abs(y.astype(np.float64) - ref)))
        tol = 1e-4 + 1e-3 * float(np.max(np.abs(ref)))
        note = f", interpreter max |err| {err:.2e} ({'ok' if err <= tol else 'BEYOND ' + format(tol, '.2e')})"
    with open(os.path.join(folder, "model.tflite.hash"), "w") as f:
        f.write(digest + "\n")
    print(f"{folder}: model.tflite {len(flatbuffer)} bytes{note}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    failed = []
    for folder in sys.argv[1:]:
        # One folder's failure leaves the others to convert (the runner waits for each in turn).
        try:
            convert(folder)
        except Exception as e:  # noqa: BLE001 - reported, then the exit status says so
            print(f"{folder}: conversion failed: {e}", file=sys.stderr)
            failed.append(folder)
    sys.exit(1 if failed else 0)
