"""MobileNetV2 built as ONNX (tests/onnx_models.py: the graph torch.onnx.export writes for torchvision's, the
one bench/convert.py converts at 0.35 x 144x144) at a small size: converted to full int8 with only the
builtins the Keras route gives (plus the input's TRANSPOSE), every Conv/BN/Clip folded into one CONV_2D or
DEPTHWISE_CONV_2D, our C bit-exact with TFLite Micro layer by layer and patch by patch, and the patch
search below layer by layer. Bound: cosine >= 0.99 on the logits (measured 0.999+)."""

from __future__ import annotations

import os

import numpy as np
import pytest
from conftest import need_module

from mcucompile import api
from mcucompile.codegen.generate import Options
from mcucompile.frontend.keras_convert import ConvertOptions

need_module("onnx")
need_module("onnxruntime")
need_module("tensorflow")
import onnx_models as om  # noqa: E402

SIZE = 48


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    d = tmp_path_factory.mktemp("onnx_mobilenet")
    old = os.environ.get("MCUCOMPILE_CACHE")
    os.environ["MCUCOMPILE_CACHE"] = str(d / "cache")
    try:
        om.mobilenet_v2(d / "mnv2.onnx", alpha=0.35, size=SIZE, classes=10)
        np.save(d / "cal.npy", om.smooth_nchw(30, 3, SIZE, SIZE, seed=3))
        yield api.convert(d / "mnv2.onnx", d / "mnv2.tflite", ConvertOptions(calibration=str(d / "cal.npy")))
    finally:
        if old is None:
            os.environ.pop("MCUCOMPILE_CACHE", None)
        else:
            os.environ["MCUCOMPILE_CACHE"] = old


def test_ops_like_the_keras_route(converted):
    import onnx
    src = onnx.load(str(converted.tflite.with_suffix(".onnx")))
    kinds = [n.op_type for n in src.graph.node]
    g = api.load(converted.tflite)
    got = [op.kind for op in g.ops]
    assert got.count("CONV_2D") + got.count("DEPTHWISE_CONV_2D") == kinds.count("Conv") == 52
    assert got.count("DEPTHWISE_CONV_2D") == 17 and got.count("ADD") == kinds.count("Add") == 10
    assert set(got) == {"TRANSPOSE", "CONV_2D", "DEPTHWISE_CONV_2D", "ADD", "MEAN", "FULLY_CONNECTED"}
    assert got[0] == "TRANSPOSE" and got.count("TRANSPOSE") == 1
    (m,) = converted.report["outputs"]
    assert m["shape"] == [1, 10] and m["cosine"] >= 0.99, m


@pytest.mark.parametrize("patch", [False, True], ids=["layer_by_layer", "patch_auto"])
def test_bit_exact_and_patch_plan(converted, patch):
    opts = Options(patch_mode="auto", io_in_arena=False) if patch else Options()
    a = api.analyze(converted.tflite, opts)
    if patch:
        assert a.patch is not None and a.peak_sram_bytes < a.layer_by_layer_peak_bytes
    res = api.simulate(converted.tflite, samples=3, references=("tflm",), options=opts)
    assert res.ok, res.as_dict()
