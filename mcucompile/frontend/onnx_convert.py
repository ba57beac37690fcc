"""Float ONNX (opset 13+) -> a TensorFlow function in NHWC -> the full-int8 path of keras_convert.py.

Why our own translator and not onnx2tf: onnx2tf 1.29 pins tensorflow 2.19, numpy 1.26, ai-edge-litert 2.1
and ~30 helper packages (pip would downgrade the toolchain we test against), and its last release that
installs beside tensorflow 2.21 does not declare the packages it imports. The ops small vision models use
map one to one onto TensorFlow ops that the TFLite converter turns into int8 builtins, so a few hundred
lines give a conversion we control: weights transposed NCHW -> NHWC here, at build time, so the int8
model holds no layout TRANSPOSE except the one at its input (`input_layout` "nchw"), or none ("nhwc").

Everything below `check_onnx_file` runs in keras_convert's child process (onnx, onnxruntime and
TensorFlow imported there only). Layout rule: every rank-4 activation is held NHWC; other ranks as in ONNX;
a rank-4 ONNX output is delivered NHWC (the report compares onnxruntime's outputs transposed likewise).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np

from ..errors import ModelFormatError, UnsupportedModelError

ONNX_SUFFIXES = (".onnx",)
INPUT_LAYOUTS = ("nchw", "nhwc")
MIN_OPSET = 13
TO_NHWC, TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)
AXIS_NHWC = {0: 0, 1: 3, 2: 1, 3: 2}          # ONNX (NCHW) axis -> the axis of the NHWC tensor
QUANTISED_OPS = {"QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul", "ConvInteger",
                 "MatMulInteger", "DynamicQuantizeLinear", "QLinearAdd", "QLinearMul", "QGemm"}
PASS_THROUGH = {"Identity", "Dropout"}


def is_onnx_model(path) -> bool:
    return Path(path).suffix.lower() in ONNX_SUFFIXES


def check_onnx_file(path: Path) -> None:
    if path.is_dir():
        raise ModelFormatError(f"{path}: a folder, not an .onnx file")
    head = path.read_bytes()[:8]
    if head[4:8] == b"TFL3":
        raise ModelFormatError(f"{path}: already a TFLite model; give it to compile/analyze/simulate directly")
    if not head or head[0] != 0x08:          # field 1 (ir_version), varint: every ModelProto starts so
        raise ModelFormatError(f"{path}: not an ONNX model (no ModelProto header)")


def versions() -> dict:
    out = {}
    for dist in ("onnx", "onnxruntime"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = ""
    return out


# ---- child side (onnx, onnxruntime, TensorFlow) ------------------------------------------------------

def _scope(name: str) -> str:
    s = re.sub(r"[^A-Za-z0-9_.\-]", "_", name).lstrip("_.-") or "node"
    return s if s[0].isalnum() else "n" + s


@dataclass
class OnnxModel:
    path: Path
    proto: object
    input_layout: str
    specs: list                              # calibration.InputSpec per input, ONNX shapes (batch dropped)
    session: object
    layer_names: dict = field(default_factory=dict)     # name scope -> "Conv" (the node's op type)
    node_names: dict = field(default_factory=dict)      # name scope -> the ONNX node name
    fn: object = None
    module: object = None
    traced: object = None                    # the graph translated (after onnxruntime's basic rewrites)

    # inputs and outputs as the int8 model sees them
    def int8_inputs(self, xs: list) -> list:
        return [np.ascontiguousarray(x.transpose(TO_NHWC)) if x.ndim == 4 and self.input_layout == "nhwc" else x
                for x in xs]

    def float_outputs(self, xs: list) -> list:
        feed = {i.name: x.astype(np.float32) for i, x in zip(self.session.get_inputs(), xs)}
        outs = self.session.run(None, feed)
        return [o.transpose(TO_NHWC) if o.ndim == 4 else o for o in outs]

    def converter(self):
        import tensorflow as tf
        return tf.lite.TFLiteConverter.from_concrete_functions([self.fn], self.module)

    def load_calibration(self, path, samples, image_range) -> list:
        """Samples as the ONNX model takes them (NCHW); an NHWC array or an image folder is transposed."""
        from . import calibration as cal
        src = Path(path)
        nhwc = [cal.InputSpec(s.name, (s.shape[1], s.shape[2], s.shape[0]) if len(s.shape) == 3 else s.shape)
                for s in self.specs]
        if src.is_dir():
            data = cal.load_calibration(path, nhwc, samples, image_range)
            return [a.transpose(TO_NCHW) if a.ndim == 4 else a for a in data]
        try:
            return cal.load_calibration(path, self.specs, samples, image_range)
        except cal.CalibrationError as first:
            try:
                data = cal.load_calibration(path, nhwc, samples, image_range)
            except cal.CalibrationError:
                raise first from None
            return [np.ascontiguousarray(a.transpose(TO_NCHW)) if a.ndim == 4 else a for a in data]


def outputs_in_onnx_order(data: bytes) -> bytes:
    """The converter lists a function's outputs in the subgraph in its own order (output_1 before output_0):
    put them in the signature's order, which is ONNX's, so that the generated C's outputs are too."""
    import re as _re

    from tensorflow.lite.tools import flatbuffer_utils as fu
    m = fu.convert_bytearray_to_object(bytearray(data))
    if not m.signatureDefs or len(m.subgraphs[0].outputs) < 2:
        return data
    sig = {o.name.decode(): o.tensorIndex for o in m.signatureDefs[0].outputs}
    names = sorted(sig, key=lambda k: int(_re.fullmatch(r"output_(\d+)", k).group(1)))
    order = [sig[k] for k in names]
    if list(m.subgraphs[0].outputs) == order or sorted(order) != sorted(m.subgraphs[0].outputs):
        return data
    m.subgraphs[0].outputs = np.array(order, dtype=np.int32)
    return bytes(fu.convert_object_to_bytearray(m))


def load_onnx(path: Path, input_layout: str):
    import onnx
    import onnxruntime as ort

    from .calibration import InputSpec
    try:
        proto = onnx.load(str(path))
        onnx.checker.check_model(proto)
    except Exception as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0][:300]
        raise ModelFormatError(f"{path}: cannot load as an ONNX model ({type(e).__name__}: {first})") from None
    opset = max((o.version for o in proto.opset_import if o.domain in ("", "ai.onnx")), default=0)
    if opset < MIN_OPSET:
        raise UnsupportedModelError(
            f"{path}: ONNX opset {opset}; mcucompile converts opset {MIN_OPSET} and later: re-export with "
            f"opset_version={MIN_OPSET} or more (or onnx.version_converter.convert_version)")
    quant = [n for n in proto.graph.node if n.op_type in QUANTISED_OPS]
    if quant:
        n = quant[0]
        raise UnsupportedModelError(
            f"{path}: already quantised ONNX (node {n.name!r} ({n.op_type}), {len(quant)} such node(s)): "
            f"mcucompile does not keep ONNX scales; give the float model and --calibration data, it quantises "
            f"to int8 itself")
    inits = {i.name for i in proto.graph.initializer}
    specs = []
    for i in proto.graph.input:
        if i.name in inits:
            continue
        dims = i.type.tensor_type.shape.dim
        shape = [d.dim_value if d.HasField("dim_value") else None for d in dims]
        if i.type.tensor_type.elem_type != onnx.TensorProto.FLOAT:
            raise UnsupportedModelError(f"{path}: input {i.name!r} is not float32; mcucompile converts float models")
        if any(d is None or d < 1 for d in shape[1:]) or not shape:
            raise UnsupportedModelError(
                f"{path}: input {i.name!r} has an unknown dimension {shape}; give the model a fixed input "
                f"shape (microcontroller models need static shapes)")
        specs.append(InputSpec(i.name, tuple(int(d) for d in shape[1:])))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    session = ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
    m = OnnxModel(path, proto, input_layout, specs, session)
    m.fn, m.module = _trace(m)
    return m


def _simplified(m: OnnxModel):
    """The graph at batch 1 after onnxruntime's basic rewrites (constant folding, so PyTorch's
    Shape/Gather/Concat -> Reshape chains become constant shapes; BatchNormalization folded into the Conv
    before it; Identity/Dropout removed); the original graph when they fail."""
    import onnx
    import onnxruntime as ort
    proto = onnx.ModelProto()
    proto.CopyFrom(m.proto)
    inits = {i.name for i in proto.graph.initializer}
    for i in proto.graph.input:
        dims = i.type.tensor_type.shape.dim
        if i.name not in inits and len(dims) and not dims[0].HasField("dim_value"):
            dims[0].dim_value = 1
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        so.optimized_model_filepath = str(Path(d) / "basic.onnx")
        try:
            ort.InferenceSession(proto.SerializeToString(), so, providers=["CPUExecutionProvider"])
            g = onnx.load(so.optimized_model_filepath)
        except Exception:
            return m.proto
    if any(n.domain not in ("", "ai.onnx") for n in g.graph.node):
        return m.proto
    return g


def _check_ops(nodes) -> None:
    for k, n in enumerate(nodes):
        if n.op_type not in OPS and n.op_type not in PASS_THROUGH and n.op_type != "Constant":
            raise UnsupportedModelError(
                f"ONNX node {n.name or n.op_type + '_' + str(k)!r} ({n.op_type}) has no int8 conversion in "
                f"mcucompile (supported: {', '.join(sorted(OPS))}); replace it in the model")


def _trace(m: OnnxModel):
    from onnx import numpy_helper
    proto = m.traced = _simplified(m)        # keeps the names of the nodes it does not rewrite
    consts = {i.name: numpy_helper.to_array(i) for i in proto.graph.initializer}
    nodes = list(proto.graph.node)
    _check_ops(nodes)
    import tensorflow as tf
    for k, n in enumerate(nodes):
        sc = _scope(n.name or f"{n.op_type}_{k}")
        m.layer_names.setdefault(sc, n.op_type)
        m.node_names.setdefault(sc, n.name or f"{n.op_type}_{k}")
    outputs = [o.name for o in proto.graph.output]
    nhwc_in = m.input_layout == "nhwc"

    def body(*args):
        env: dict = dict(consts)
        with tf.name_scope("onnx"):
            for s, a in zip(m.specs, args):
                env[s.name] = a if (len(s.shape) != 3 or nhwc_in) else tf.transpose(a, TO_NHWC)
            for k, n in enumerate(nodes):
                name = n.name or f"{n.op_type}_{k}"
                if n.op_type == "Constant":
                    env[n.output[0]] = numpy_helper.to_array(_attrs(n)["value"])
                    continue
                ins = [env[i] if i else None for i in n.input]
                if n.op_type in PASS_THROUGH:
                    env[n.output[0]] = ins[0]
                    continue
                with tf.name_scope(_scope(name)):
                    try:
                        out = OPS[n.op_type](_Node(n, name, ins, _attrs(n)))
                    except UnsupportedModelError:
                        raise
                    except Exception as e:
                        first = (str(e).strip().splitlines() or [""])[0][:200]
                        raise UnsupportedModelError(
                            f"ONNX node {name!r} ({n.op_type}): cannot be converted ({type(e).__name__}: "
                            f"{first})") from None
                outs = out if isinstance(out, (list, tuple)) else [out]
                for o, t in zip(n.output, outs):
                    env[o] = t
            res = {}
            for j, o in enumerate(outputs):
                t = env[o]
                res[f"output_{j}"] = tf.identity(tf.constant(t) if isinstance(t, np.ndarray) else t)
            return res

    specs = []
    for s in m.specs:
        shape = [1, s.shape[1], s.shape[2], s.shape[0]] if len(s.shape) == 3 and nhwc_in else [1, *s.shape]
        specs.append(tf.TensorSpec(shape, tf.float32, name=_scope(s.name)))
    module = tf.Module()
    module.f = tf.function(body, input_signature=specs, autograph=False)
    return module.f.get_concrete_function(), module


class _Node:
    def __init__(self, n, name, ins, attrs):
        self.n, self.name, self.ins, self.a = n, name, ins, attrs

    def refuse(self, why: str):
        raise UnsupportedModelError(f"ONNX node {self.name!r} ({self.n.op_type}): {why}")

    def const(self, k: int, what: str):
        v = self.ins[k] if k < len(self.ins) else None
        if v is not None and not isinstance(v, np.ndarray):
            self.refuse(f"{what} must be a constant (an initializer), not computed by the graph")
        return v


def _attrs(n) -> dict:
    from onnx import helper
    return {a.name: helper.get_attribute_value(a) for a in n.attribute}


def _tensor(x):
    import tensorflow as tf
    return tf.constant(x.astype(np.float32)) if isinstance(x, np.ndarray) else x


def _rank(x) -> int:
    return x.ndim if isinstance(x, np.ndarray) else len(x.shape)


def _to_onnx_layout(x):
    import tensorflow as tf
    return tf.transpose(x, TO_NCHW) if _rank(x) == 4 else x


def _from_onnx_layout(x):
    import tensorflow as tf
    return tf.transpose(x, TO_NHWC) if _rank(x) == 4 else x


def _padding(nd: _Node, x, kernel, strides, dilations):
    """'SAME' / 'VALID' when ONNX's pads are TensorFlow's, else explicit [[top, bottom], [left, right]]."""
    h, w = int(x.shape[1]), int(x.shape[2])
    auto = nd.a.get("auto_pad", b"NOTSET")
    auto = auto.decode() if isinstance(auto, bytes) else auto
    if auto == "VALID":
        return "VALID"
    same = []
    for n, k, s, d in ((h, kernel[0], strides[0], dilations[0]), (w, kernel[1], strides[1], dilations[1])):
        ke = (k - 1) * d + 1
        total = max((-(-n // s) - 1) * s + ke - n, 0)
        same.append((total // 2, total - total // 2))
    if auto == "SAME_UPPER":
        return "SAME"
    if auto == "SAME_LOWER":
        return [[b, a] for a, b in same]
    p = list(nd.a.get("pads", [0, 0, 0, 0]))
    pads = [(p[0], p[2]), (p[1], p[3])]
    if all(a == 0 and b == 0 for a, b in pads):
        return "VALID"
    if pads == same:
        return "SAME"
    return [list(a) for a in pads]


def _conv(nd: _Node):
    import tensorflow as tf
    x = nd.ins[0]
    w = nd.const(1, "the weight")
    b = nd.const(2, "the bias")
    if w is None or w.ndim != 4 or _rank(x) != 4:
        nd.refuse("only 2-D convolutions (rank-4 input and weight) are converted")
    group = int(nd.a.get("group", 1))
    strides = list(nd.a.get("strides", [1, 1]))
    dil = list(nd.a.get("dilations", [1, 1]))
    pad = _padding(nd, x, w.shape[2:], strides, dil)
    if not isinstance(pad, str):
        x = tf.pad(x, [[0, 0], pad[0], pad[1], [0, 0]])
        pad = "VALID"
    cin = int(x.shape[3])
    if group == 1:
        y = tf.nn.conv2d(x, w.transpose(2, 3, 1, 0).astype(np.float32), [1, *strides, 1], pad, dilations=dil)
    elif group == cin and w.shape[1] == 1:
        k = w.reshape(cin, w.shape[0] // cin, *w.shape[2:]).transpose(2, 3, 0, 1).astype(np.float32)
        if strides[0] != strides[1] or (dil != [1, 1] and strides != [1, 1]):
            nd.refuse(f"a depthwise convolution with strides {strides} and dilations {dil} (TensorFlow needs "
                      f"equal strides, and stride 1 when dilated)")
        y = tf.nn.depthwise_conv2d(x, k, [1, *strides, 1], pad, dilations=dil)
    else:
        nd.refuse(f"a grouped convolution (group={group}, {cin} input channels) is neither a full nor a "
                  f"depthwise convolution")
    return y if b is None else tf.nn.bias_add(y, b.astype(np.float32))


def _batchnorm(nd: _Node):
    x = nd.ins[0]
    scale, bias, mean, var = (nd.const(k, "the statistics") for k in range(1, 5))
    s = scale / np.sqrt(var + nd.a.get("epsilon", 1e-5))
    shift = bias - mean * s
    return x * _bcast(s.reshape(1, -1, 1, 1), x) + _bcast(shift.reshape(1, -1, 1, 1), x)


def _bcast(c: np.ndarray, other):
    """An ONNX (NCHW) constant operand, laid out to broadcast against `other` (NHWC when rank 4)."""
    c = c.astype(np.float32)
    if _rank(other) == 4 and c.ndim >= 1 and c.size > 1:
        c = c.reshape((1,) * (4 - c.ndim) + c.shape).transpose(TO_NHWC)
    return c


def _binary(f):
    def op(nd: _Node):
        a, b = nd.ins[:2]
        if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
            return f(a, b)
        ra, rb = _rank(a), _rank(b)
        if isinstance(a, np.ndarray):              # a tf constant: numpy's operators would take over
            a = _tensor(_bcast(a, b))
        elif isinstance(b, np.ndarray):
            b = _tensor(_bcast(b, a))
        elif ra != rb and 4 in (ra, rb):           # mixed layouts: do it in ONNX's layout
            return _from_onnx_layout(f(_to_onnx_layout(a), _to_onnx_layout(b)))
        return f(a, b)
    return op


def _sub(nd: _Node):
    """a - b; with a constant `a`, b * -1 + a: TensorFlow 2.21's converter drops the negation of `0 - b`
    (int8 output = b), and NEG has no int8 kernel."""
    a, b = nd.ins[:2]
    if isinstance(a, np.ndarray) and not isinstance(b, np.ndarray):
        y = b * np.float32(-1.0)
        return y if not np.any(a) else y + _tensor(_bcast(a, b))
    return _binary(lambda u, v: u - v)(nd)


def _clip(nd: _Node):
    import tensorflow as tf
    lo, hi = nd.const(1, "min"), nd.const(2, "max")
    lo = float(lo) if lo is not None else -np.inf
    hi = float(hi) if hi is not None else np.inf
    x = nd.ins[0]
    if lo == 0 and hi == 6:
        return tf.nn.relu6(x)
    if lo == 0 and hi == np.inf:
        return tf.nn.relu(x)
    return tf.clip_by_value(x, lo if lo > -np.inf else -3.4e38, hi if hi < np.inf else 3.4e38)


def _pool(kind):
    def op(nd: _Node):
        import tensorflow as tf
        x = nd.ins[0]
        k = list(nd.a["kernel_shape"])
        strides = list(nd.a.get("strides", [1, 1]))
        if _rank(x) != 4 or len(k) != 2:
            nd.refuse("only 2-D pooling is converted")
        if nd.a.get("ceil_mode", 0):
            h, w = int(x.shape[1]), int(x.shape[2])
            p = list(nd.a.get("pads", [0, 0, 0, 0]))
            for n, kk, s, a, b in ((h, k[0], strides[0], p[0], p[2]), (w, k[1], strides[1], p[1], p[3])):
                if (n + a + b - kk) % s:
                    nd.refuse("ceil_mode=1 where it changes the output size")
        pad = _padding(nd, x, k, strides, list(nd.a.get("dilations", [1, 1])))
        if not isinstance(pad, str):
            nd.refuse(f"pads {list(nd.a.get('pads'))} are neither none nor TensorFlow's SAME padding")
        if kind == "avg" and pad == "SAME" and nd.a.get("count_include_pad", 0):
            nd.refuse("count_include_pad=1 with padding (TFLite averages over the valid cells only)")
        f = tf.nn.avg_pool2d if kind == "avg" else tf.nn.max_pool2d
        return f(x, k, [1, *strides, 1], pad)
    return op


def _global_avg(nd: _Node):
    import tensorflow as tf
    return tf.reduce_mean(nd.ins[0], axis=[1, 2], keepdims=True)


def _axis(x, a: int) -> int:
    r = _rank(x)
    a = a % r
    return AXIS_NHWC[a] if r == 4 else a


def _reduce_mean(nd: _Node):
    import tensorflow as tf
    x = nd.ins[0]
    axes = nd.a.get("axes")
    if axes is None and len(nd.ins) > 1:
        axes = nd.const(1, "axes")
    axes = [int(a) for a in np.asarray(axes).reshape(-1)] if axes is not None else list(range(_rank(x)))
    keep = bool(nd.a.get("keepdims", 1))
    r = _rank(x)
    if r == 4 and not keep and sorted(a % 4 for a in axes) != [2, 3]:
        return tf.reduce_mean(_to_onnx_layout(x), axis=axes, keepdims=False)
    return tf.reduce_mean(x, axis=[_axis(x, a) for a in axes], keepdims=keep)


def _flat(x):
    """A rank-4 NHWC activation in ONNX's (NCHW) element order: free when H = W = 1."""
    if _rank(x) == 4 and not (int(x.shape[1]) == 1 and int(x.shape[2]) == 1):
        return _to_onnx_layout(x)
    if _rank(x) == 4:
        import tensorflow as tf
        return tf.reshape(x, [int(x.shape[0]), int(x.shape[3]), 1, 1])
    return x


def _reshape_to(x, shape):
    import tensorflow as tf
    if isinstance(x, np.ndarray):
        return x.reshape(shape)
    y = tf.reshape(_flat(x), shape)
    return _from_onnx_layout(y)


def _reshape(nd: _Node):
    x = nd.ins[0]
    shape = [int(s) for s in nd.const(1, "the shape")]
    logical = [int(d) for d in (np.asarray(x.shape) if _rank(x) != 4 else
                                np.asarray(x.shape)[list(TO_NCHW)])]
    shape = [logical[k] if s == 0 and not nd.a.get("allowzero", 0) else s for k, s in enumerate(shape)]
    return _reshape_to(x, shape)


def _flatten(nd: _Node):
    x = nd.ins[0]
    dims = [int(d) for d in x.shape]
    if _rank(x) == 4:
        dims = [dims[k] for k in TO_NCHW]           # ONNX's dims
    a = int(nd.a.get("axis", 1)) % max(len(dims), 1)
    return _reshape_to(x, [int(np.prod(dims[:a])), int(np.prod(dims[a:]))])


def _gemm(nd: _Node):
    import tensorflow as tf
    a, b = nd.ins[0], nd.ins[1]
    if nd.a.get("transA", 0) or _rank(a) != 2:
        nd.refuse("transA=1 or an input of rank other than 2")
    if isinstance(b, np.ndarray):
        w = (b.T if nd.a.get("transB", 0) else b) * float(nd.a.get("alpha", 1.0))
        y = tf.matmul(a, w.astype(np.float32))
    else:
        y = float(nd.a.get("alpha", 1.0)) * tf.matmul(a, b, transpose_b=bool(nd.a.get("transB", 0)))
    c = nd.ins[2] if len(nd.ins) > 2 else None
    if c is not None:
        c = c * float(nd.a.get("beta", 1.0))
        y = y + (c.astype(np.float32) if isinstance(c, np.ndarray) else c)
    return y


def _matmul(nd: _Node):
    import tensorflow as tf
    a, b = nd.ins[:2]
    if isinstance(b, np.ndarray) and _rank(a) == 2:
        return tf.matmul(a, b.astype(np.float32))
    return _from_onnx_layout(tf.matmul(_to_onnx_layout(_tensor(a)), _to_onnx_layout(_tensor(b))))


def _concat(nd: _Node):
    import tensorflow as tf
    xs = [x for x in nd.ins if x is not None]
    if all(isinstance(x, np.ndarray) for x in xs):              # shape arithmetic: stays a constant
        return np.concatenate(xs, axis=int(nd.a["axis"]))
    xs = [_tensor(x.transpose(TO_NHWC) if isinstance(x, np.ndarray) and x.ndim == 4 else x) for x in xs]
    return tf.concat(xs, axis=_axis(xs[0], int(nd.a["axis"])))


def _resize(nd: _Node):
    import tensorflow as tf
    x = nd.ins[0]
    if _rank(x) != 4:
        nd.refuse("only rank-4 (image) resizing is converted")
    scales = nd.const(2, "the scales")
    sizes = nd.const(3, "the sizes")
    h, w = int(x.shape[1]), int(x.shape[2])
    if sizes is not None and sizes.size:
        oh, ow = int(sizes[2]), int(sizes[3])
        if int(sizes[0]) != int(x.shape[0]) or int(sizes[1]) != int(x.shape[3]):
            nd.refuse("resizing the batch or channel dimension")
    elif scales is not None and scales.size:
        if scales[0] != 1 or scales[1] != 1:
            nd.refuse("resizing the batch or channel dimension")
        oh, ow = int(np.floor(h * scales[2])), int(np.floor(w * scales[3]))
    else:
        nd.refuse("neither scales nor sizes given")
    dec = (lambda v: v.decode() if isinstance(v, bytes) else v)
    mode = dec(nd.a.get("mode", "nearest"))
    ctm = dec(nd.a.get("coordinate_transformation_mode", "half_pixel"))
    nearest = dec(nd.a.get("nearest_mode", "round_prefer_floor"))
    if ctm == "pytorch_half_pixel" and oh > 1 and ow > 1:
        ctm = "half_pixel"
    size = tf.constant([oh, ow], tf.int32)
    if mode == "nearest" and ctm == "asymmetric" and nearest == "floor":
        return tf.raw_ops.ResizeNearestNeighbor(images=x, size=size, align_corners=False, half_pixel_centers=False)
    if mode == "nearest" and ctm == "align_corners" and nearest == "round_prefer_ceil":
        return tf.raw_ops.ResizeNearestNeighbor(images=x, size=size, align_corners=True, half_pixel_centers=False)
    if mode == "linear" and ctm == "half_pixel":
        return tf.raw_ops.ResizeBilinear(images=x, size=size, align_corners=False, half_pixel_centers=True)
    if mode == "linear" and ctm == "align_corners":
        return tf.raw_ops.ResizeBilinear(images=x, size=size, align_corners=True, half_pixel_centers=False)
    if mode == "linear" and ctm == "asymmetric":
        return tf.raw_ops.ResizeBilinear(images=x, size=size, align_corners=False, half_pixel_centers=False)
    nd.refuse(f"mode {mode!r} with coordinate_transformation_mode {ctm!r}"
              + (f" and nearest_mode {nearest!r}" if mode == "nearest" else "")
              + " (converted: nearest asymmetric floor, nearest align_corners round_prefer_ceil, linear "
                "half_pixel / align_corners / asymmetric)")


def _softmax(nd: _Node):
    import tensorflow as tf
    x = nd.ins[0]
    return tf.nn.softmax(x, axis=_axis(x, int(nd.a.get("axis", -1))))


def _pad(nd: _Node):
    import tensorflow as tf
    x = nd.ins[0]
    p = [int(v) for v in nd.const(1, "the pads")]
    mode = nd.a.get("mode", b"constant")
    v = nd.const(2, "the pad value")
    if (mode.decode() if isinstance(mode, bytes) else mode) != "constant" or (v is not None and float(v) != 0):
        nd.refuse("only zero padding (mode constant, value 0) is converted")
    r = _rank(x)
    pairs = [[p[k], p[k + r]] for k in range(r)]
    if r == 4:
        pairs = [pairs[k] for k in TO_NHWC]
    return tf.pad(x, pairs)


def _unary(f):
    return lambda nd: f(nd.ins[0])


def _transpose(nd: _Node):
    import tensorflow as tf
    x = nd.ins[0]
    perm = list(nd.a.get("perm", reversed(range(_rank(x)))))
    return _from_onnx_layout(tf.transpose(_to_onnx_layout(x), perm))


def _squeeze_like(kind):
    def op(nd: _Node):
        x = nd.ins[0]
        axes = nd.a.get("axes")
        if axes is None and len(nd.ins) > 1:
            axes = nd.const(1, "axes")
        dims = list(int(d) for d in (x.shape if _rank(x) != 4 else np.asarray(x.shape)[list(TO_NCHW)]))
        axes = [int(a) for a in np.asarray(axes).reshape(-1)] if axes is not None else \
            [k for k, d in enumerate(dims) if d == 1]
        if kind == "squeeze":
            axes = [a % len(dims) for a in axes]
            shape = [d for k, d in enumerate(dims) if k not in axes]
        else:
            r = len(dims) + len(axes)
            axes = sorted(a % r for a in axes)
            shape, it = [], iter(dims)
            for k in range(r):
                shape.append(1 if k in axes else next(it))
        return _reshape_to(x, shape)
    return op


def _hard_sigmoid(nd: _Node):
    """max(0, min(1, alpha x + beta)) = relu6(6 alpha x + 6 beta) / 6; x * this with alpha 1/6, beta 1/2 (how
    onnxruntime spells HardSwish) is what the TFLite converter turns into HARD_SWISH."""
    a, b = 6 * float(nd.a.get("alpha", 0.2)), 6 * float(nd.a.get("beta", 0.5))
    x = nd.ins[0]
    return _tf("relu6")((x if abs(a - 1) < 1e-6 else x * a) + b) * (1.0 / 6.0)


def _tf(name):
    def f(*a, **k):
        import tensorflow as tf
        return getattr(tf.nn if hasattr(tf.nn, name) else tf.math, name)(*a, **k)
    return f


OPS = {
    "Conv": _conv, "BatchNormalization": _batchnorm,
    "Relu": _unary(_tf("relu")), "Clip": _clip, "Sigmoid": _unary(_tf("sigmoid")), "Tanh": _unary(_tf("tanh")),
    "LeakyRelu": lambda nd: _tf("leaky_relu")(nd.ins[0], alpha=float(nd.a.get("alpha", 0.01))),
    "HardSwish": _unary(lambda x: x * _tf("relu6")(x + 3.0) * (1.0 / 6.0)), "HardSigmoid": _hard_sigmoid,
    "Neg": _unary(lambda x: -x),              # translated faithfully; TFLite leaves it float: refused by name
    "Add": _binary(lambda a, b: a + b), "Sub": _sub, "Mul": _binary(lambda a, b: a * b),
    "Div": _binary(lambda a, b: a / b),
    "AveragePool": _pool("avg"), "MaxPool": _pool("max"), "GlobalAveragePool": _global_avg,
    "ReduceMean": _reduce_mean, "Flatten": _flatten, "Reshape": _reshape, "Gemm": _gemm, "MatMul": _matmul,
    "Concat": _concat, "Resize": _resize, "Softmax": _softmax, "Pad": _pad, "Transpose": _transpose,
    "Squeeze": _squeeze_like("squeeze"), "Unsqueeze": _squeeze_like("unsqueeze"),
}


def per_layer(src, held, data: bytes, warnings: list) -> list[dict]:
    """Each ONNX node's float output (onnxruntime, every node output made a graph output) vs the int8
    tensor that carries its name scope (the TFLite tensor names list the scopes of the ops fused into them:
    'onnx/stem_relu6/Relu6;onnx/stem/BiasAdd;...': the last node in graph order owns the tensor, the others
    are "fused"). Nodes without such a tensor (folded away, or inside a fused op) have no row."""
    import onnx
    import onnxruntime as ort

    from .int8_model import _Int8Runner, _raw_ops, layers_in_name
    from .metrics import compare_arrays, dequantize
    m: OnnxModel = src.model
    nodes = list(m.traced.graph.node)
    scope_of = {k: _scope(n.name or f"{n.op_type}_{k}") for k, n in enumerate(nodes)}
    order = {sc: k for k, sc in scope_of.items()}
    run = _Int8Runner(data, src.specs, preserve=True)
    det = {d["name"]: d for d in run.it.get_tensor_details()}
    owners: dict[int, tuple] = {}                # node index -> (tensor index, tflite op, fused node indices)
    for op, _ins, _outs, onames in _raw_ops(data):
        for tname in onames:
            idx = sorted(order[s] for s in layers_in_name(tname, m.layer_names, exact_first=True) if s in order)
            if idx and tname in det:
                owners[idx[-1]] = (det[tname]["index"], op, idx[:-1])
    produced = {o: k for k, n in enumerate(nodes) for o in n.output}
    op_of = {t: op for op, _i, _o, onames in _raw_ops(data) for t in onames}
    for o, d in zip(m.traced.graph.output, run.outputs):     # outputs carry the signature's names
        k = produced.get(o.name)
        if k is not None:
            owners[k] = (d["index"], op_of.get(d["name"], owners.get(k, (0, "?"))[1]), owners.get(k, (0, 0, []))[2])
    if not owners:
        warnings.append("per-layer breakdown: no int8 tensor carries an ONNX node's name")
        return []
    probe = onnx.ModelProto()
    probe.CopyFrom(m.traced)
    have = {o.name for o in probe.graph.output}
    for k in sorted(owners):
        if nodes[k].output[0] not in have:
            probe.graph.output.append(onnx.ValueInfoProto(name=nodes[k].output[0]))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(probe.SerializeToString(), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    by_index = {d["index"]: d for d in run.it.get_tensor_details()}
    fl: dict[int, list] = {k: [] for k in owners}
    qs: dict[int, list] = {k: [] for k in owners}
    for j in range(len(held[0])):
        xs = [a[j:j + 1] for a in held]
        outs = dict(zip(names, sess.run(None, {i.name: x for i, x in zip(sess.get_inputs(), xs)})))
        run(m.int8_inputs(xs))
        for k, (t, _op, _f) in owners.items():
            f = outs[nodes[k].output[0]]
            fl[k].append(f.transpose(TO_NHWC) if f.ndim == 4 else f)
            qs[k].append(dequantize(run.it.get_tensor(t), by_index[t]))
    rows = []
    for k in sorted(owners):
        f = np.stack([a.reshape(-1) for a in fl[k]])
        q = np.stack([a.reshape(-1) for a in qs[k]])
        if f.shape != q.shape:
            continue
        n = nodes[k]
        row = {"layer": m.node_names.get(scope_of[k], n.name), "class": n.op_type, "op": owners[k][1],
               "shape": list(fl[k][0].shape), "fused": [m.node_names.get(scope_of[c], "?") for c in owners[k][2]],
               **compare_arrays(f, q)}
        row.pop("float_range")
        rows.append(row)
    return rows
