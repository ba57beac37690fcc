"""CONV_2D and DEPTHWISE_CONV_2D: single-op int8 models made with TensorFlow, compiled to C and compared
bit-exactly with TFLite Micro through the pipeline (mcucompile.api.simulate)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from conftest import need_module
from tfgen import int8_tflite, uniform_samples

from mcucompile.errors import UnsupportedModelError
from mcucompile.ir.geometry import compute_out_size, compute_padding

# ---- padding arithmetic (no TensorFlow needed) ------------------------------------------------

@pytest.mark.parametrize("padding,in_size,k,stride,dil,out", [
    ("SAME", 7, 3, 2, 1, 4), ("SAME", 8, 3, 2, 1, 4), ("SAME", 10, 5, 3, 1, 4),
    ("VALID", 7, 3, 2, 1, 3), ("VALID", 11, 3, 1, 2, 7), ("VALID", 10, 5, 3, 1, 2),
    ("SAME", 9, 3, 1, 2, 9), ("VALID", 1, 1, 1, 1, 1),
])
def test_out_size(padding, in_size, k, stride, dil, out):
    assert compute_out_size(padding, in_size, k, stride, dil) == out


@pytest.mark.parametrize("stride,dil,in_size,k,out,expected", [
    (1, 1, 5, 3, 5, (1, 1)),      # SAME 3x3 stride 1
    (2, 1, 8, 3, 4, (0, 1)),      # even input, stride 2: the extra row goes after
    (2, 1, 7, 3, 4, (1, 1)),
    (3, 1, 10, 5, 4, (2, 2)),
    (1, 2, 9, 3, 9, (2, 2)),      # dilation 2: effective kernel 5
    (2, 1, 6, 3, 2, (0, 0)),      # VALID output size: never negative padding
    (2, 1, 8, 4, 4, (1, 1)),
])
def test_padding(stride, dil, in_size, k, out, expected):
    assert compute_padding(stride, dil, in_size, k, out) == expected


# ---- single-op models ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    id: str
    kind: str                       # "conv" | "dw"
    in_shape: tuple
    kernel: object = 3
    strides: object = 1
    dilation: object = 1
    padding: str = "same"
    act: object = None              # None | "relu" | "relu6" | "n1to1"
    filters: int = 4                # conv only
    depth_multiplier: int = 1       # depthwise only
    bias: bool = True
    data_range: tuple = field(default=(-1.0, 3.0))


CASES = [
    Case("conv_1x1_valid", "conv", (8, 8, 3), kernel=1, padding="valid", filters=8),
    Case("conv_3x3_same_n1to1", "conv", (5, 5, 3), act="n1to1"),
    Case("conv_3x3_s2_same_relu_odd", "conv", (9, 7, 5), strides=2, act="relu", filters=6),
    Case("conv_5x5_s3_same_relu6", "conv", (10, 11, 4), kernel=5, strides=3, act="relu6", filters=5),
    Case("conv_5x5_s2_valid", "conv", (10, 11, 4), kernel=5, strides=2, padding="valid", filters=5),
    Case("conv_3x3_d2_same", "conv", (9, 9, 2), dilation=2, filters=3),
    Case("conv_3x5_s1x2_same_relu", "conv", (12, 10, 3), kernel=(3, 5), strides=(1, 2), act="relu"),
    Case("conv_3x3_d2x3_valid_relu6", "conv", (11, 11, 3), dilation=(2, 3), padding="valid", act="relu6"),
    Case("conv_nobias_negative_inputs", "conv", (6, 6, 3), bias=False, data_range=(-5.0, -1.0)),
    Case("dw_3x3_same", "dw", (8, 8, 4)),
    Case("dw_3x3_s2_valid_m2_relu6", "dw", (6, 7, 3), strides=2, padding="valid", act="relu6",
         depth_multiplier=2),
    Case("dw_5x5_s3_same_m2_relu", "dw", (9, 9, 3), kernel=5, strides=3, act="relu", depth_multiplier=2),
    Case("dw_3x3_d2_same_odd", "dw", (9, 10, 5), dilation=2),
    Case("dw_1x1_s2_valid_m3_n1to1", "dw", (7, 7, 2), kernel=1, strides=2, padding="valid", act="n1to1",
         depth_multiplier=3),
    Case("dw_5x5_s2_same_relu6", "dw", (13, 9, 6), kernel=5, strides=2, act="relu6"),
    Case("dw_nobias_s2_m2", "dw", (6, 6, 3), strides=2, depth_multiplier=2, bias=False,
         data_range=(0.5, 4.0)),
]


def _convert(keras_model, in_shape, data_range, seed=0) -> bytes:
    return int8_tflite(keras_model, uniform_samples([(1, *in_shape)], [data_range], 16, seed))


def _make_model(case: Case, seed=0) -> bytes:
    import keras

    keras.utils.set_random_seed(seed)
    inp = keras.Input(shape=case.in_shape, batch_size=1)
    act = None if case.act == "n1to1" else case.act
    if case.kind == "conv":
        layer = keras.layers.Conv2D(case.filters, case.kernel, strides=case.strides,
                                    dilation_rate=case.dilation, padding=case.padding, activation=act,
                                    use_bias=case.bias)
    else:
        layer = keras.layers.DepthwiseConv2D(case.kernel, strides=case.strides, dilation_rate=case.dilation,
                                             padding=case.padding, depth_multiplier=case.depth_multiplier,
                                             activation=act, use_bias=case.bias)
    y = layer(inp)
    if case.act == "n1to1":
        y = keras.ops.clip(y, -1.0, 1.0)     # the converter fuses this into RELU_N1_TO_1
    return _convert(keras.Model(inp, y), case.in_shape, case.data_range, seed)


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    need_module("tensorflow")
    d = tmp_path_factory.mktemp("conv_models")
    for case in CASES:
        (d / f"{case.id}.tflite").write_bytes(_make_model(case))
    return d


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_bit_exact_vs_tflm(model_dir, case):
    from mcucompile import api
    from mcucompile.frontend.tflite_reader import read_tflite

    path = model_dir / f"{case.id}.tflite"
    graph = read_tflite(path)
    kinds = [op.kind for op in graph.ops]
    assert kinds == ["CONV_2D" if case.kind == "conv" else "DEPTHWISE_CONV_2D"], kinds
    result = api.simulate(str(path), samples=4, seed=0)
    by_ref = {c.reference: c for c in result.comparisons}
    assert by_ref["tflm"].available, by_ref["tflm"].error      # the oracle really ran
    assert result.mismatches == 0, by_ref["tflm"]
    # LiteRT's reference kernels agree with TFLite Micro on conv and depthwise conv
    assert not by_ref["litert_ref"].available or by_ref["litert_ref"].mismatches == 0, by_ref["litert_ref"]
    assert result.ok, result.as_dict()


def test_grouped_conv_is_rejected():
    need_module("tensorflow")
    import keras

    from mcucompile.codegen.lowering import LowerCtx, load_all
    from mcucompile.codegen.registry import REGISTRY
    from mcucompile.frontend.tflite_reader import parse_tflite

    keras.utils.set_random_seed(0)
    inp = keras.Input(shape=(6, 6, 4), batch_size=1)
    model = keras.Model(inp, keras.layers.Conv2D(4, 3, groups=2, padding="same")(inp))
    graph = parse_tflite(_convert(model, (6, 6, 4), (-1.0, 1.0)))
    (op,) = [o for o in graph.ops if o.kind == "CONV_2D"]
    assert graph.tensors[op.inputs[1]].shape[-1] == 2       # the filter sees half the input channels
    load_all()
    ctx = LowerCtx(graph)
    with pytest.raises(UnsupportedModelError, match=rf"op {op.index}.*grouped"):
        REGISTRY["CONV_2D"].fn(ctx, op)
