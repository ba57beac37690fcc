"""L2_NORMALIZATION (int8, over the last axis), bit-exact with TFLite Micro and LiteRT.

TFLite's int8 kernel ignores the input scale (a norm is scale-free) and writes the output in scale 1/128,
zero point 0 (the converter sets exactly that); other output quantisations are refused.
"""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_module
from tfgen import int8_tflite, uniform_samples
from tflite_builder import M, O, T, build

from mcucompile.codegen.lowering import LowerCtx
from mcucompile.codegen.ops.math_unary import lower_l2_normalization
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir import ElementwiseAttrs, Graph, Op, Quant, Tensor


def _run(tmp_path, name, data, inputs=None, samples=4, board=None):
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


@pytest.mark.parametrize("shape,rng", [((1, 16), (-1, 1)), ((1, 3, 4, 10), (-2, 5)), ((2, 5, 64), (0, 3))])
def test_l2_normalization_converted_bit_exact(tmp_path, shape, rng):
    tf = need_module("tensorflow")
    from mcucompile.frontend.tflite_reader import parse_tflite
    data = int8_tflite(lambda x: tf.math.l2_normalize(x, axis=-1), uniform_samples([shape], [rng], 16, 0),
                       specs=[shape])
    assert [op.kind for op in parse_tflite(data).ops] == ["L2_NORMALIZATION"]
    _run(tmp_path, "l2n", data)


@pytest.mark.parametrize("zp", [-128, 0, 127])
def test_l2_normalization_hand_built_edge_rows(tmp_path, zp):
    """Rows of the zero point only (sum 0), one code away (sum 1), extremes, and random ones."""
    depth = 40
    ts = [T((6, depth), "int8", [0.05], [zp], name="x"), T((6, depth), "int8", [1 / 128], [0], name="y")]
    data = build(M(ts, [O("L2_NORMALIZATION", [0], [1])], [0], [1]))
    rng = np.random.default_rng(4)
    x = np.full((6, depth), zp, np.int32)
    x[1, 3] = zp + (1 if zp < 127 else -1)
    x[2] = 127
    x[3] = -128
    x[4] = rng.integers(-128, 128, depth)
    x[5, ::2] = -128
    _run(tmp_path, "l2n_q", data, inputs=[x.astype(np.int8)[None]], samples=1)


def test_l2_normalization_refuses_other_output_quantisation():
    ts = (Tensor(0, "x", (2, 8), "int8", Quant((0.1,), (0,))), Tensor(1, "y", (2, 8), "int8", Quant((0.01,), (0,))))
    op = Op(1, "L2_NORMALIZATION", (0,), (1,), ElementwiseAttrs("NONE"))
    with pytest.raises(UnsupportedModelError, match=r"^L2_NORMALIZATION \(op 1\): the output must have scale 1/128 "
                                                    r"and zero point 0 \(TFLite Micro assumes it\), got scale 0.01 "
                                                    "zero point 0"):
        lower_l2_normalization(LowerCtx(Graph("g", ts, (op,), (0,), (1,))), op)


@pytest.mark.parametrize("x_shape,y_shape,act,message", [
    ((2, 8), (16,), "NONE", r"input \(2, 8\) and output \(16,\) must have one shape of rank 1 or more"),
    ((2, 8), (2, 8), "RELU", r"fused activation RELU is not supported \(TFLite Micro requires NONE\)"),
    ((1, 40000), (1, 40000), "NONE", r"the last axis has 40000 elements; above 33025 TFLite's int32 sum of squares "
                                     "can overflow")])
def test_l2_normalization_refusals(x_shape, y_shape, act, message):
    ts = (Tensor(0, "x", x_shape, "int8", Quant((0.1,), (0,))),
          Tensor(1, "y", y_shape, "int8", Quant((1 / 128,), (0,))))
    op = Op(1, "L2_NORMALIZATION", (0,), (1,), ElementwiseAttrs(act))
    with pytest.raises(UnsupportedModelError, match=r"^L2_NORMALIZATION \(op 1\): " + message):
        lower_l2_normalization(LowerCtx(Graph("g", ts, (op,), (0,), (1,))), op)
