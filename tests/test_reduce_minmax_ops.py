"""REDUCE_MAX and REDUCE_MIN (int8, constant axes, keep_dims), bit-exact with TFLite Micro and LiteRT.

TFLite Micro reduces the raw int8 codes (it requires equal input and output scales); we also require equal
zero points (the converter always makes both so) and refuse anything else.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_module
from tfgen import int8_tflite, uniform_samples
from tflite_builder import M, O, T, build

from mcucompile.codegen.lowering import LowerCtx
from mcucompile.codegen.ops.reduce import lower_reduce_max, lower_reduce_min
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir import Graph, Op, Quant, ReducerAttrs, Tensor


def _run(tmp_path, name, data, inputs=None, samples=3, board=None):
    from mcucompile import api
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    r = api.simulate(str(path), inputs=inputs, samples=samples, seed=1, references=("tflm", "litert_ref"),
                     board=board)
    for c in r.comparisons:
        assert c.available, c.error
        assert c.mismatches == 0, (name, c)
    assert r.ok
    return r


def _kinds(data: bytes) -> list[str]:
    from mcucompile.frontend.tflite_reader import parse_tflite
    return [op.kind for op in parse_tflite(data).ops]


CASES = [((1, 4, 5, 6), [1, 2], True), ((1, 4, 5, 6), [3], False), ((2, 3, 4), [0, 2], False),
         ((1, 4, 5, 6), [-1, 1], True), ((3, 7), [0, 1], False), ((2, 3, 4, 5, 6), [1, 3], True)]


@pytest.mark.parametrize("shape,axes,keep", CASES, ids=[f"{len(c[0])}d_{'_'.join(map(str, c[1]))}_{c[2]}"
                                                         for c in CASES])
def test_reduce_max_min_converted_bit_exact(tmp_path, shape, axes, keep):
    tf = need_module("tensorflow")

    def fn(x):
        return tf.reduce_max(x, axis=axes, keepdims=keep), tf.reduce_min(x, axis=axes, keepdims=keep)

    data = int8_tflite(fn, uniform_samples([shape], [(-2, 3)], 16, 0), specs=[shape])
    assert sorted(_kinds(data)) == ["REDUCE_MAX", "REDUCE_MIN"], _kinds(data)
    x = np.random.default_rng(2).integers(-128, 128, (3, *shape)).astype(np.int8)
    r = _run(tmp_path, "reduce_mm", data, inputs=[x])
    want = np.max(x, axis=tuple(a % len(shape) + 1 for a in axes), keepdims=keep)     # raw codes: one quantisation
    assert any(np.array_equal(np.asarray(o).reshape(want.shape), want) for o in r.outputs)


def _graph(kind, qx, qy):
    ts = (Tensor(0, "x", (2, 3), "int8", Quant((qx[0],), (qx[1],))),
          Tensor(1, "axes", (1,), "int32", None, np.array([1], np.int32)),
          Tensor(2, "y", (2,), "int8", Quant((qy[0],), (qy[1],))))
    op = Op(3, kind, (0, 1), (2,), ReducerAttrs(False))
    return Graph("g", ts, (op,), (0,), (2,)), op


@pytest.mark.parametrize("qy", [(0.2, 0), (0.1, 5)])
def test_reduce_minmax_refuses_a_rescale(qy):
    for kind, lower in (("REDUCE_MAX", lower_reduce_max), ("REDUCE_MIN", lower_reduce_min)):
        g, op = _graph(kind, (0.1, 0), qy)
        with pytest.raises(UnsupportedModelError, match=rf"^{kind} \(op 3\): input scale 0.1 zero point 0, output "
                                                        r"scale .* TFLite reduces the raw int8 codes, so both must "
                                                        "share one quantisation"):
            lower(LowerCtx(g), op)


def test_reduce_max_hand_built_extremes(tmp_path):
    """Codes at both ends (-128 only, 127 only) reduce to themselves: the kernel's initial values."""
    ts = [T((4, 64), "int8", [0.1], [3], name="x"), T((1,), "int32", data=np.array([1], np.int32), name="axes"),
          T((4,), "int8", [0.1], [3], name="mx"), T((4,), "int8", [0.1], [3], name="mn")]
    data = build(M(ts, [O("REDUCE_MAX", [0, 1], [2], options=("ReducerOptions", {"KeepDims": False})),
                        O("REDUCE_MIN", [0, 1], [3], options=("ReducerOptions", {"KeepDims": False}))], [0], [2, 3]))
    x = np.stack([np.full(64, -128), np.full(64, 127), np.arange(-128, 128, 4), np.arange(127, -129, -4)])
    r = _run(tmp_path, "reduce_ext", data, inputs=[x.astype(np.int8)[None]], samples=1)
    assert list(r.outputs[0][0]) == [-128, 127, 124, 127] and list(r.outputs[1][0]) == [-128, 127, -128, -125]
