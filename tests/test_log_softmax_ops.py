"""LOG_SOFTMAX (int8, last axis; output scale 16/256, zero point 127), bit-exact with TFLite Micro and LiteRT."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import need_module
from tfgen import int8_tflite, uniform_samples
from tflite_builder import M, O, T, build

from mcucompile.codegen.lowering import LowerCtx
from mcucompile.codegen.ops.softmax import lower_log_softmax
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir import Graph, NoAttrs, Op, Quant, Tensor


def _run(tmp_path, name, data, inputs=None, samples=4, board=None, refs=("tflm", "litert_ref")):
    from mcucompile import api
    path = tmp_path / f"{name}.tflite"
    path.write_bytes(data)
    r = api.simulate(str(path), inputs=inputs, samples=samples, seed=1, references=refs, board=board)
    for c in r.comparisons:
        assert c.available, c.error
        assert c.mismatches == 0, (name, c)
    assert r.ok
    return r


@pytest.mark.parametrize("shape,rng", [((1, 10), (-4, 4)), ((2, 3, 17), (-10, 3)), ((1, 4, 4, 64), (-1, 1))])
def test_log_softmax_converted_bit_exact(tmp_path, shape, rng):
    tf = need_module("tensorflow")
    from mcucompile.frontend.tflite_reader import parse_tflite
    data = int8_tflite(lambda x: tf.nn.log_softmax(x, axis=-1), uniform_samples([shape], [rng], 16, 0),
                       specs=[shape])
    assert [op.kind for op in parse_tflite(data).ops] == ["LOG_SOFTMAX"]
    _run(tmp_path, "lsm", data)


@pytest.mark.parametrize("scale", [0.01, 0.05, 0.2, 1.0])
def test_log_softmax_hand_built_scales_and_rows(tmp_path, scale):
    """Rows of one value, one spike, ramps and random codes, at several input scales (diff_min cut-offs)."""
    depth = 32
    ts = [T((8, depth), "int8", [scale], [5], name="x"), T((8, depth), "int8", [16 / 256], [127], name="y")]
    data = build(M(ts, [O("LOG_SOFTMAX", [0], [1])], [0], [1]))
    rng = np.random.default_rng(9)
    x = rng.integers(-128, 128, (8, depth))
    x[0] = 7
    x[1] = -128
    x[1, 5] = 127
    x[2] = np.linspace(-128, 127, depth)
    x[3] = np.linspace(127, 100, depth)
    r = _run(tmp_path, "lsm_q", data, inputs=[x.astype(np.int8)[None]], samples=1, refs=("tflm",))
    row0 = r.outputs[0][0].reshape(8, depth)[0].astype(np.int32)       # log(1/32) = -3.47 -> 127 - 55.5
    assert (np.abs(row0 - (127 - 16 * np.log(depth))) <= 1).all()


def test_log_softmax_refuses_other_output_quantisation():
    ts = (Tensor(0, "x", (2, 8), "int8", Quant((0.1,), (0,))), Tensor(1, "y", (2, 8), "int8", Quant((0.1,), (0,))))
    op = Op(1, "LOG_SOFTMAX", (0,), (1,), NoAttrs())
    with pytest.raises(UnsupportedModelError, match=r"^LOG_SOFTMAX \(op 1\): the output must have scale 16/256 "
                                                    r"and zero point 127 \(TFLite requires it\), got scale 0.1 "
                                                    "zero point 0"):
        lower_log_softmax(LowerCtx(Graph("g", ts, (op,), (0,), (1,))), op)


def test_log_softmax_refuses_int16():
    ts = (Tensor(0, "x", (2, 8), "int16", Quant((0.1,), (0,))), Tensor(1, "y", (2, 8), "int16", Quant((0.1,), (0,))))
    op = Op(1, "LOG_SOFTMAX", (0,), (1,), NoAttrs())
    with pytest.raises(UnsupportedModelError, match=r"^LOG_SOFTMAX \(op 1\): int16 -> int16 is not supported "
                                                    r"\(quantised int8 only\)"):
        lower_log_softmax(LowerCtx(Graph("g", ts, (op,), (0,), (1,))), op)


def test_log_softmax_l2norm_reduce_cumsum_on_qemu_m4(tmp_path, qemu_toolchain):
    """The new row kernels on the Cortex-M4: LOG_SOFTMAX -> L2_NORMALIZATION, REDUCE_MAX and CUMSUM of x."""
    ts = [T((4, 16), "int8", [0.1], [-3], name="x"), T((4, 16), "int8", [16 / 256], [127], name="ls"),
          T((4, 16), "int8", [1 / 128], [0], name="l2"), T((1,), "int32", data=np.array([1], np.int32), name="ax"),
          T((4,), "int8", [0.1], [-3], name="mx"), T((), "int32", data=np.array(1, np.int32), name="cax"),
          T((4, 16), "int8", [0.4], [-20], name="cs")]
    ops = [O("LOG_SOFTMAX", [0], [1]), O("L2_NORMALIZATION", [1], [2]),
           O("REDUCE_MAX", [0, 3], [4], options=("ReducerOptions", {"KeepDims": False})),
           O("CUMSUM", [0, 5], [6], options=("CumsumOptions", {"Exclusive": False, "Reverse": True}))]
    data = build(M(ts, ops, [0], [2, 4, 6]))
    _run(tmp_path, "rows_m4", data, samples=2, board="qemu-m4", refs=("tflm",))
