"""QUANTIZE, DEQUANTIZE, PAD/PADV2, TRANSPOSE, CONCATENATION and MEAN: small int8 models made with
TensorFlow, compiled to C and compared bit-exactly with TFLite Micro through mcucompile.api.simulate;
plus compile-time arithmetic and the refusals TFLite Micro also makes (no TensorFlow needed)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
from conftest import need_module
from tfgen import int8_tflite, uniform_samples

from mcucompile.codegen.lowering import LowerCtx
from mcucompile.codegen.ops.misc import lower_concatenation
from mcucompile.codegen.ops.reduce import mean_multiplier
from mcucompile.errors import UnsupportedModelError
from mcucompile.ir import ConcatenationAttrs, Graph, Op, Quant, Tensor
from mcucompile.ir.quant import quantize_multiplier

# ---- compile-time arithmetic ---------------------------------------------------------------------


@pytest.mark.parametrize("n", [1, 2, 3, 7, 42, 4096, 100_000, 1 << 33])
def test_mean_multiplier_folds_one_over_n(n):
    m0, s0 = quantize_multiplier(0.3 / 0.01)
    m, s = mean_multiplier(0.3, 0.01, n)
    k = min(n.bit_length() - 1, 32, 31 + s0)
    assert (m, s) == ((m0 << k) // n, s0 - k)
    assert 0 < m < (1 << 31)


def test_mean_multiplier_clamps_shift_for_tiny_ratio():
    # in/out ratio ~2^-28 gives shift -27: floor(log2 n) = 12 is clamped to 31 + shift = 4
    m0, s0 = quantize_multiplier(2.0 ** -28 * 1.3)
    assert s0 == -27
    m, s = mean_multiplier(2.0 ** -28 * 1.3, 1.0, 4096)
    assert (m, s) == ((m0 << 4) // 4096, -31)


def _graph_concat(scales, zps, out_scale, out_zp):
    ts = [Tensor(k, f"in{k}", (1, 2, 3), "int8", Quant((s,), (z,))) for k, (s, z) in enumerate(zip(scales, zps))]
    n = len(ts)
    ts.append(Tensor(n, "out", (1, 2, 3 * n), "int8", Quant((out_scale,), (out_zp,))))
    op = Op(0, "CONCATENATION", tuple(range(n)), (n,), ConcatenationAttrs(-1, "NONE"))
    return Graph("g", tuple(ts), (op,), tuple(range(n)), (n,)), op


def _ctx(g):
    return LowerCtx(g)


def test_concat_lowering_copies_rows():
    g, op = _graph_concat([0.5, 0.5], [3, 3], 0.5, 3)
    calls = lower_concatenation(_ctx(g), op)
    fields = [dict(c.params.fields) for c in calls]
    assert [(f["outer"], f["out_row"], f["in_row"], f["out_col"], f["requant"]) for f in fields] == \
        [("2", "6", "3", "0", "0"), ("2", "6", "3", "3", "0")]


@pytest.mark.parametrize("scales,zps", [([0.5, 0.25], [3, 3]), ([0.5, 0.5], [3, 4])])
def test_concat_with_different_quantisation_is_refused_like_tflm(scales, zps):
    # TFLite Micro's ConcatenationPrepare requires every int8 input to be quantised like the output
    g, op = _graph_concat(scales, zps, 0.5, 3)
    with pytest.raises(UnsupportedModelError, match="equal quantisation"):
        lower_concatenation(_ctx(g), op)


# ---- models made with TensorFlow ----------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    fn: Callable                 # tf ops only (no variables), one argument per input
    shapes: tuple                # input shapes, batch included
    kinds: tuple                 # the op kinds the converted model must contain, in order
    ranges: tuple = ()           # calibration half-range per input (uniform), default 1.0
    float_io: bool = False


def _cases():
    import tensorflow as tf

    return [
        Case("pad_hw", lambda x: tf.pad(x, [[0, 0], [1, 2], [2, 1], [0, 0]]), ((1, 5, 6, 3),), ("PAD",)),
        Case("pad_rank3_all_dims", lambda x: tf.pad(x, [[1, 0], [0, 2], [3, 1]]), ((2, 3, 4),), ("PAD",)),
        Case("pad_channels", lambda x: tf.pad(x, [[0, 0], [0, 0], [0, 0], [2, 5]]), ((1, 3, 3, 4),), ("PAD",)),
        Case("padv2_value", lambda x: tf.pad(x, [[0, 0], [1, 0], [0, 3], [2, 1]], constant_values=0.7),
             ((1, 4, 5, 3),), ("PADV2",)),
        Case("transpose_nchw", lambda x: tf.transpose(x, [0, 3, 1, 2]), ((1, 4, 5, 3),), ("TRANSPOSE",)),
        Case("transpose_swap_hw", lambda x: tf.transpose(x, [0, 2, 1, 3]), ((1, 4, 5, 3),), ("TRANSPOSE",)),
        Case("transpose_rank2", lambda x: tf.transpose(x, [1, 0]), ((7, 9),), ("TRANSPOSE",)),
        Case("transpose_rank3", lambda x: tf.transpose(x, [2, 0, 1]), ((3, 4, 6),), ("TRANSPOSE",)),
        Case("transpose_rank5", lambda x: tf.transpose(x, [4, 2, 0, 3, 1]), ((2, 3, 4, 5, 2),), ("TRANSPOSE",)),
        Case("concat_axis1_three", lambda x, y: tf.concat([x, y, x], axis=1),
             ((1, 3, 4, 2), (1, 2, 4, 2)), ("CONCATENATION",), ranges=(1.0, 8.0)),
        Case("concat_axis2", lambda x, y: tf.concat([x, y], axis=2),
             ((1, 4, 5, 3), (1, 4, 2, 3)), ("CONCATENATION",), ranges=(1.0, 4.0)),
        # x feeds two concatenations whose other inputs have very different ranges: the converter can
        # give x only one scale, so it requantises it (QUANTIZE int8 -> int8) for one of them
        Case("concat_axis3_requantize", lambda x, y, z: (tf.concat([x, y], axis=3), tf.concat([x, z], axis=-1)),
             ((1, 3, 4, 2), (1, 3, 4, 5), (1, 3, 4, 3)), ("QUANTIZE", "CONCATENATION", "CONCATENATION"),
             ranges=(1.0, 8.0, 0.1)),
        Case("mean_hw_keepdims", lambda x: tf.reduce_mean(x, axis=[1, 2], keepdims=True), ((1, 6, 7, 5),),
             ("MEAN",)),
        Case("mean_hw", lambda x: tf.reduce_mean(x, axis=[1, 2]), ((1, 6, 7, 5),), ("MEAN",)),
        Case("mean_hw_large", lambda x: tf.reduce_mean(x, axis=[2, 1]), ((1, 48, 40, 3),), ("MEAN",)),
        Case("mean_last_axis", lambda x: tf.reduce_mean(x, axis=[-1]), ((1, 6, 7, 5),), ("MEAN",)),
        Case("mean_axis1", lambda x: tf.reduce_mean(x, axis=[1]), ((2, 5, 3),), ("MEAN",)),
        Case("mean_0_2_3_keepdims", lambda x: tf.reduce_mean(x, axis=[0, 2, 3], keepdims=True), ((1, 6, 7, 5),),
             ("MEAN",)),
        Case("mean_duplicate_axes", lambda x: tf.reduce_mean(x, axis=[2, -2]), ((2, 5, 6, 3),), ("MEAN",)),
        Case("mean_all", lambda x: tf.reduce_mean(x, axis=[0, 1, 2, 3]), ((1, 16, 16, 8),), ("MEAN",)),
        # float model input and output: QUANTIZE float -> int8 first, DEQUANTIZE int8 -> float last
        Case("float_io_pad_mean", lambda x: tf.reduce_mean(tf.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]), axis=[1]),
             ((1, 6, 7, 5),), ("QUANTIZE", "PAD", "MEAN", "DEQUANTIZE"), float_io=True),
    ]


CASE_IDS = ["pad_hw", "pad_rank3_all_dims", "pad_channels", "padv2_value", "transpose_nchw", "transpose_swap_hw",
            "transpose_rank2", "transpose_rank3", "transpose_rank5", "concat_axis1_three", "concat_axis2",
            "concat_axis3_requantize", "mean_hw_keepdims", "mean_hw", "mean_hw_large", "mean_last_axis",
            "mean_axis1", "mean_0_2_3_keepdims", "mean_duplicate_axes", "mean_all", "float_io_pad_mean"]


def _convert(case: Case, seed=0) -> bytes:
    ranges = case.ranges or (1.0,) * len(case.shapes)
    # uniform data: random int8 test inputs then cover the calibrated range without saturating MEAN
    representative = uniform_samples(case.shapes, [(-r, r) for r in ranges], 32, seed)
    return int8_tflite(case.fn, representative, specs=case.shapes, float_io=case.float_io)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    need_module("tensorflow")
    d = tmp_path_factory.mktemp("misc_models")
    cases = {c.id: c for c in _cases()}
    assert sorted(cases) == sorted(CASE_IDS)
    for case in cases.values():
        (d / f"{case.id}.tflite").write_bytes(_convert(case))
    return d, cases


@pytest.mark.slow
@pytest.mark.parametrize("case_id", CASE_IDS)
def test_bit_exact_vs_tflm(models, case_id):
    from mcucompile import api
    from mcucompile.frontend.tflite_reader import read_tflite

    d, cases = models
    case = cases[case_id]
    path = d / f"{case_id}.tflite"
    kinds = tuple(op.kind for op in read_tflite(path).ops)
    assert kinds == case.kinds, kinds
    result = api.simulate(str(path), samples=8, seed=0, references=("tflm",))
    tflm = result.comparisons[0]
    assert tflm.reference == "tflm" and tflm.available, tflm.error     # the oracle really ran
    assert result.mismatches == 0, tflm
    assert result.ok, result.as_dict()
    # the comparison is not vacuous: outputs are not all one value
    assert any(len(np.unique(o)) > 1 for o in result.outputs)
