"""Small float ONNX models built with onnx.helper (no download, no torch): the NCHW graphs PyTorch exports
look like, for tests/test_onnx_convert.py. Weights are seeded random; BatchNormalization statistics are
realistic so that folding them into the Conv matters."""

from __future__ import annotations

import numpy as np

OPSET = 17


class Builder:
    def __init__(self, seed: int = 0):
        import onnx  # noqa: F401
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.k = [], [], 0

    def name(self, op: str) -> str:
        self.k += 1
        return f"{op.lower()}_{self.k}"

    def const(self, a: np.ndarray, name: str | None = None) -> str:
        from onnx import numpy_helper
        n = name or f"c{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(a), n))
        return n

    def node(self, op: str, inputs: list[str], name: str | None = None, n_out: int = 1, **attrs) -> str:
        from onnx import helper
        name = name or self.name(op)
        outs = [f"{name}_out{j}" if j else f"{name}_out" for j in range(n_out)]
        self.nodes.append(helper.make_node(op, inputs, outs, name=name, **attrs))
        return outs[0]

    def conv(self, x: str, cin: int, cout: int, k: int = 3, stride: int = 1, group: int = 1, pad: int | None = None,
             bn: bool = False, name: str | None = None) -> str:
        w = self.rng.normal(0, np.sqrt(2.0 / (k * k * cin / group)), (cout, cin // group, k, k)).astype(np.float32)
        b = self.rng.normal(0, 0.05, cout).astype(np.float32)
        p = k // 2 if pad is None else pad
        y = self.node("Conv", [x, self.const(w), self.const(b)], name, kernel_shape=[k, k], strides=[stride, stride],
                      pads=[p, p, p, p], group=group)
        if bn:
            y = self.node("BatchNormalization", [y, self.const(self.rng.uniform(0.5, 1.5, cout).astype(np.float32)),
                                                 self.const(self.rng.normal(0, 0.1, cout).astype(np.float32)),
                                                 self.const(self.rng.normal(0, 0.2, cout).astype(np.float32)),
                                                 self.const(self.rng.uniform(0.5, 2, cout).astype(np.float32))],
                          epsilon=1e-5)
        return y

    def clip(self, x: str, lo: float = 0.0, hi: float = 6.0, name: str | None = None) -> str:
        return self.node("Clip", [x, self.const(np.float32(lo)), self.const(np.float32(hi))], name)

    def model(self, inputs: dict, outputs: list[str], path) -> None:
        import onnx
        from onnx import TensorProto, helper
        ins = [helper.make_tensor_value_info(n, TensorProto.FLOAT, s) for n, s in inputs.items()]
        outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, None) for o in outputs]
        g = helper.make_graph(self.nodes, "g", ins, outs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="mcucompile-tests")
        m.ir_version = 8
        m = onnx.shape_inference.infer_shapes(m)
        onnx.checker.check_model(m)
        onnx.save(m, str(path))


def classifier(path, h: int = 13, w: int = 17, classes: int = 5) -> None:
    """conv+BN+Clip(0,6), depthwise (group=C) + BN + ReLU6, residual Add, SE block (GlobalAveragePool, 1x1
    convs, Sigmoid, Mul), AveragePool, GlobalAveragePool, Flatten, Gemm, Softmax; NCHW 3x13x17."""
    b = Builder(1)
    x = b.clip(b.conv("input", 3, 8, 3, 2, bn=True, name="stem"), name="stem_relu6")
    d = b.clip(b.conv(x, 8, 8, 3, 1, group=8, bn=True, name="dw"), name="dw_relu6")
    p = b.conv(d, 8, 8, 1, bn=True, name="pw")
    x = b.node("Add", [x, p], "residual")
    s = b.node("GlobalAveragePool", [x], "se_pool")
    s = b.node("Relu", [b.conv(s, 8, 4, 1, name="se_reduce")], "se_relu")
    s = b.node("Sigmoid", [b.conv(s, 4, 8, 1, name="se_expand")], "se_gate")
    x = b.node("Mul", [x, s], "se_scale")
    x = b.node("AveragePool", [x], "avgpool", kernel_shape=[2, 2], strides=[2, 2])
    x = b.clip(b.conv(x, 8, 16, 3, bn=True, name="head"), name="head_relu6")
    x = b.node("Flatten", [b.node("GlobalAveragePool", [x], "gap")], "flatten", axis=1)
    wfc = b.rng.normal(0, 0.3, (classes, 16)).astype(np.float32)
    x = b.node("Gemm", [x, b.const(wfc), b.const(b.rng.normal(0, 0.1, classes).astype(np.float32))], "fc", transB=1)
    y = b.node("Softmax", [x], "softmax", axis=-1)
    b.model({"input": [1, 3, h, w]}, [y], path)


def segmenter(path, h: int = 13, w: int = 17, classes: int = 3) -> None:
    """An encoder-decoder: strided conv, nearest Resize (PyTorch's Upsample: asymmetric/floor), Concat with
    the skip, bilinear Resize (half_pixel), a 1x1 conv to per-pixel class scores; NCHW 3x13x17 (odd sizes:
    the down-sampled map is 7x9, the up-sampled 14x18, then resized back by sizes to 13x17)."""
    b = Builder(2)
    e = b.clip(b.conv("image", 3, 6, 3, bn=True, name="enc"), name="enc_relu6")
    d = b.node("Relu", [b.conv(e, 6, 8, 3, 2, bn=True, name="down")], "down_relu")
    u = b.node("Resize", [d, "", b.const(np.array([1, 1, 2, 2], np.float32))], "up_nearest", mode="nearest",
               coordinate_transformation_mode="asymmetric", nearest_mode="floor")
    u = b.node("Resize", [u, "", "", b.const(np.array([1, 8, h, w], np.int64))], "up_bilinear", mode="linear",
               coordinate_transformation_mode="half_pixel")
    x = b.node("Concat", [e, u], "skip_concat", axis=1)
    x = b.clip(b.conv(x, 14, 8, 3, bn=True, name="dec"), name="dec_relu6")
    y = b.conv(x, 8, classes, 1, name="classes")
    b.model({"image": [1, 3, h, w]}, [y], path)


def single(path, op: str, inputs: list, shape=(1, 3, 8, 8), **attrs) -> None:
    """input -> one node `op` (extra constant inputs given as arrays) -> output: for the error tests."""
    b = Builder(3)
    extra = [a if isinstance(a, str) else b.const(np.asarray(a)) for a in inputs]
    y = b.node(op, ["x", *extra], "the_node", **attrs)
    b.model({"x": list(shape)}, [y], path)


def zoo(path, h: int = 11, w: int = 15) -> None:
    """The other translated ops, two outputs: HardSwish, MaxPool (SAME pads), LeakyRelu, Pad + unpadded Conv,
    Div and Sub with constants (Sub(const, x) too), Tanh, Transpose there and back, Flatten of a map with
    H*W > 1 (back to NCHW order: a TRANSPOSE) into Gemm; ReduceMean over H, W without keepdims, MatMul, Add."""
    b = Builder(4)
    x = b.node("HardSwish", [b.conv("input", 3, 8, 3, bn=True, name="c1")], "hswish")
    x = b.node("MaxPool", [x], "maxpool", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    x = b.node("LeakyRelu", [x], "lrelu", alpha=0.1)
    x = b.node("Pad", [x, b.const(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64))], "pad")
    x = b.conv(x, 8, 8, 3, pad=0, name="c2")
    x = b.node("Div", [x, b.const(np.float32(2.0))], "half")
    x = b.node("Sub", [b.const(b.rng.normal(0, 0.2, (8, 1, 1)).astype(np.float32)), x], "flip")
    x = b.node("Tanh", [x], "tanh")
    t = b.node("Transpose", [x], "to_nhwc", perm=[0, 2, 3, 1])
    x = b.node("Transpose", [t], "to_nchw", perm=[0, 3, 1, 2])
    f = b.node("Flatten", [x], "flatten", axis=1)
    n = 8 * ((h + 1) // 2) * ((w + 1) // 2)
    y1 = b.node("Gemm", [f, b.const(b.rng.normal(0, 0.1, (n, 4)).astype(np.float32)),
                         b.const(np.full(4, 0.1, np.float32))], "fc")
    m = b.node("ReduceMean", [x], "mean", axes=[2, 3], keepdims=0)
    m = b.node("MatMul", [m, b.const(b.rng.normal(0, 0.5, (8, 6)).astype(np.float32))], "proj")
    y2 = b.node("Add", [m, b.const(b.rng.normal(0, 0.1, 6).astype(np.float32))], "proj_bias")
    b.model({"input": [1, 3, h, w]}, [y1, y2], path)


def torch_flatten(path, h: int = 13, w: int = 17) -> None:
    """What torch.onnx.export writes for `x.view(x.size(0), -1)` with a dynamic batch ("N"): Shape, Gather,
    Unsqueeze, Concat computing the Reshape's shape (constant at batch 1: folded before translation)."""
    b = Builder(5)
    x = b.node("Relu", [b.conv("input", 3, 4, 3, name="c")], "r")
    s = b.node("Shape", [x], "shape")
    g = b.node("Gather", [s, b.const(np.array(0, np.int64))], "gather", axis=0)
    u = b.node("Unsqueeze", [g, b.const(np.array([0], np.int64))], "unsq")
    c = b.node("Concat", [u, b.const(np.array([-1], np.int64))], "cat", axis=0)
    y = b.node("Reshape", [x, c], "view")
    y = b.node("Gemm", [y, b.const(b.rng.normal(0, 0.1, (4 * h * w, 3)).astype(np.float32))], "fc")
    b.model({"input": ["N", 3, h, w]}, [y], path)


def smooth_nchw(n: int, c: int, h: int, w: int, seed: int) -> np.ndarray:
    """Synthetic images in [0, 1], NCHW: a few random low-frequency waves per channel."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    out = np.zeros((n, c, h, w), np.float32)
    for i in range(n):
        for ch in range(c):
            out[i, ch] = sum(rng.uniform(0.2, 1) * np.sin(2 * np.pi * (rng.uniform(0, 3) * x + rng.uniform(0, 3) * y)
                                                           + rng.uniform(0, 6.3)) for _ in range(3))
    lo, hi = out.min(axis=(1, 2, 3), keepdims=True), out.max(axis=(1, 2, 3), keepdims=True)
    return (out - lo) / (hi - lo)


def _divisible(v: float, d: int = 8) -> int:
    """Channel counts as keras.applications / torchvision round them (never more than 10% below v)."""
    n = max(d, int(v + d / 2) // d * d)
    return n + d if n < 0.9 * v else n


def mobilenet_v2(path, alpha: float = 0.35, size: int = 144, classes: int = 1000, seed: int = 0,
                 softmax: bool = False) -> None:
    """MobileNetV2 (width `alpha`) as torch.onnx.export writes torchvision's: NCHW 3 x size x size, stem
    conv 3x3/2 + BN + Clip(0,6); inverted residual blocks (1x1 expand + BN + ReLU6, depthwise 3x3 group=C
    with the block's stride and symmetric pads, 1x1 projection + BN, Add when the shape is kept); 1x1 conv to
    1280 + BN + ReLU6, GlobalAveragePool, Flatten, Gemm (logits, as bench/make_models.py's Keras
    one; `softmax`: then Softmax). The channel counts are keras.applications' (alpha 0.35: 16, 8, 8, 16, 24,
    32, 56, 112, then 1280). Random weights (seeded), realistic BN stats."""
    b = Builder(seed)
    c = _divisible(32 * alpha)
    x = b.clip(b.conv("input", 3, c, 3, 2, bn=True, name="stem"), name="stem_relu6")
    blocks = ((1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2),
              (6, 320, 1, 1))
    k = 0
    for t, ch, n, s in blocks:
        cout = _divisible(ch * alpha)
        for i in range(n):
            stride, hid, y = s if i == 0 else 1, c * t, x
            if t != 1:
                y = b.clip(b.conv(y, c, hid, 1, bn=True, name=f"b{k}_expand"), name=f"b{k}_expand_relu6")
            y = b.clip(b.conv(y, hid, hid, 3, stride, group=hid, bn=True, name=f"b{k}_dw"), name=f"b{k}_dw_relu6")
            y = b.conv(y, hid, cout, 1, bn=True, name=f"b{k}_project")
            x = b.node("Add", [x, y], f"b{k}_add") if stride == 1 and c == cout else y
            c, k = cout, k + 1
    x = b.clip(b.conv(x, c, 1280, 1, bn=True, name="head"), name="head_relu6")
    x = b.node("Flatten", [b.node("GlobalAveragePool", [x], "gap")], "flatten", axis=1)
    wfc = b.rng.normal(0, np.sqrt(1.0 / 1280), (classes, 1280)).astype(np.float32)
    x = b.node("Gemm", [x, b.const(wfc), b.const(np.zeros(classes, np.float32))], "fc", transB=1)
    y = b.node("Softmax", [x], "softmax", axis=-1) if softmax else x
    b.model({"input": [1, 3, size, size]}, [y], path)
