"""`mcucompile convert model.onnx`: float ONNX models built here with onnx.helper (tests/onnx_models.py) ->
full-int8 .tflite through frontend/onnx_convert.py; every op int8, our C bit-exact against TFLite Micro on
the converted models, float (onnxruntime) vs int8 within stated bounds, --input-layout, the cache and
convert-on-the-way, and one-line errors for what we do not convert.

Bounds (smooth synthetic images, 40 calibration + 10 held-out samples, random weights), every output:
cosine >= 0.99; classifier (and zoo) top-1 agreement >= 0.9; segmenter per-pixel argmax agreement >= 0.95
and SNR >= 25 dB. Measured: SNR 33-45 dB, cosine >= 0.9997."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import need_module

from mcucompile import api
from mcucompile.cli import main
from mcucompile.codegen.generate import Options
from mcucompile.errors import ModelFormatError, UnsupportedModelError
from mcucompile.frontend.keras_convert import ConvertOptions, cache_key, output_metrics
from mcucompile.frontend.tflite_reader import read_tflite

onnx = need_module("onnx")
ort = need_module("onnxruntime")
need_module("tensorflow")
import onnx_models as om  # noqa: E402
from onnx_models import smooth_nchw  # noqa: E402

H, W = 13, 17


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    d = tmp_path_factory.mktemp("onnx_convert_cache")
    old = os.environ.get("MCUCOMPILE_CACHE")
    os.environ["MCUCOMPILE_CACHE"] = str(d)
    yield d
    if old is None:
        os.environ.pop("MCUCOMPILE_CACHE", None)
    else:
        os.environ["MCUCOMPILE_CACHE"] = old


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The two ONNX models, the calibration data (NCHW .npy, 50 samples: 40 + 10 held out) and the
    conversions: classifier and segmenter with the model's NCHW input, classifier with an NHWC input."""
    d = tmp_path_factory.mktemp("onnx_models")
    om.classifier(d / "classifier.onnx", H, W)
    om.segmenter(d / "segmenter.onnx", H, W)
    om.zoo(d / "zoo.onnx", 11, 15)
    data = smooth_nchw(50, 3, H, W, seed=1)
    np.save(d / "cal.npy", data)
    np.save(d / "cal_zoo.npy", smooth_nchw(50, 3, 11, 15, seed=2))
    conv = {}
    for key, name, layout in (("cls", "classifier", "nchw"), ("seg", "segmenter", "nchw"),
                              ("cls_nhwc", "classifier", "nhwc"), ("zoo", "zoo", "nchw")):
        t = time.perf_counter()
        cal = d / ("cal_zoo.npy" if name == "zoo" else "cal.npy")
        conv[key] = api.convert(d / f"{name}.onnx", d / f"{key}.tflite",
                                ConvertOptions(calibration=str(cal), input_layout=layout))
        print(f"\n{key}: converted in {time.perf_counter() - t:.1f} s; {json.dumps(conv[key].report['outputs'])}")
    return d, data, conv


def _ops(path):
    g = read_tflite(path)
    return g, [op.kind for op in g.ops]


def test_every_op_int8_weights_per_channel(built):
    _, _, conv = built
    for key, r in conv.items():
        g, kinds = _ops(r.tflite)
        assert {g.tensors[t].dtype for t in g.inputs + g.outputs} == {"int8"}, key
        for op in g.ops:
            assert all(g.tensors[t].dtype in ("int8", "int32") for t in op.inputs + op.outputs), (key, op.kind)
            if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
                w, b = g.tensors[op.inputs[1]], g.tensors[op.inputs[2]]
                assert op.inputs[2] >= 0 and w.dtype == "int8" and b.dtype == "int32", (key, op.kind)
                if op.kind != "FULLY_CONNECTED":
                    assert len(w.quant.scale) == w.shape[-1 if op.kind == "DEPTHWISE_CONV_2D" else 0] > 1
        # layouts: one TRANSPOSE (NCHW -> NHWC) right after the input, none with input_layout nhwc
        assert kinds.count("TRANSPOSE") == (0 if key.endswith("nhwc") else 1) + (key == "zoo") and \
            (key.endswith("nhwc") or kinds[0] == "TRANSPOSE")
    g, kinds = _ops(conv["cls"].tflite)
    assert list(g.tensors[g.inputs[0]].shape) == [1, 3, H, W]
    assert list(read_tflite(conv["cls_nhwc"].tflite).tensors[read_tflite(conv["cls_nhwc"].tflite).inputs[0]].shape) \
        == [1, H, W, 3]
    # BatchNormalization folded into the convs; ReLU6 fused; the SE block's Mul is the only MUL
    assert kinds == ["TRANSPOSE", "CONV_2D", "DEPTHWISE_CONV_2D", "CONV_2D", "ADD", "MEAN", "CONV_2D", "CONV_2D",
                     "LOGISTIC", "MUL", "AVERAGE_POOL_2D", "CONV_2D", "MEAN", "FULLY_CONNECTED", "SOFTMAX"]
    g, kinds = _ops(conv["seg"].tflite)
    assert kinds == ["TRANSPOSE", "CONV_2D", "CONV_2D", "RESIZE_NEAREST_NEIGHBOR", "RESIZE_BILINEAR",
                     "CONCATENATION", "CONV_2D", "CONV_2D"]
    assert list(g.tensors[g.outputs[0]].shape) == [1, H, W, 3]          # rank-4 outputs are NHWC
    # Pad folded into the conv after it, Div and Sub(const, x) into its bias and scales; Flatten of a 6x8 map
    # goes back to NCHW order (the one TRANSPOSE inside a model); MatMul + Add -> FULLY_CONNECTED
    g, kinds = _ops(conv["zoo"].tflite)
    assert kinds == ["TRANSPOSE", "CONV_2D", "HARD_SWISH", "MAX_POOL_2D", "LEAKY_RELU", "CONV_2D", "TANH",
                     "TRANSPOSE", "RESHAPE", "FULLY_CONNECTED", "MEAN", "FULLY_CONNECTED"]
    assert [list(g.tensors[t].shape) for t in g.outputs] == [[1, 4], [1, 6]]     # ONNX's output order


@pytest.mark.parametrize("key,layout", [("cls", "model"), ("cls", "nhwc"), ("seg", "model"), ("cls_nhwc", "model"),
                                        ("zoo", "model")])
def test_bit_exact_against_tflite_micro(built, key, layout):
    """Our C on the converted model vs TFLite Micro; compile --input-layout nhwc drops the input TRANSPOSE."""
    r = built[2][key]
    res = api.simulate(r.tflite, samples=3, references=("tflm",), options=Options(input_layout=layout))
    tflm = res.comparisons[0]
    assert tflm.reference == "tflm" and tflm.available, tflm.error
    assert tflm.mismatches == 0, tflm
    assert res.ok, res.as_dict()


def _ours_dequantised(path, x_nchw, nhwc_input=False):
    """Our C's int8 outputs (bit-exact with TFLite Micro, checked above) on float samples, dequantised."""
    g = read_tflite(path)
    tin = g.tensors[g.inputs[0]]
    x = x_nchw.transpose(0, 2, 3, 1) if nhwc_input else x_nchw
    q = np.clip(np.round(x / tin.quant.scale[0]) + tin.quant.zero_point[0], -128, 127).astype(np.int8)
    res = api.simulate(path, inputs=[q], references=())
    outs = []
    for t, o in zip(g.outputs, res.outputs):
        tout = g.tensors[t]
        out = o.reshape(len(x), *tout.shape[1:]).astype(np.float64)
        outs.append((out - tout.quant.zero_point[0]) * tout.quant.scale[0])
    return outs


def _onnx_float(path, x):
    s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    runs = [s.run(None, {s.get_inputs()[0].name: x[k:k + 1]}) for k in range(len(x))]
    ys = [np.concatenate([r[j] for r in runs]) for j in range(len(runs[0]))]
    return [y.transpose(0, 2, 3, 1) if y.ndim == 4 else y for y in ys]


@pytest.mark.parametrize("key,name", [("cls", "classifier"), ("seg", "segmenter"), ("cls_nhwc", "classifier"),
                                      ("zoo", "zoo")])
def test_report_and_an_independent_measurement(built, key, name):
    """The report's figures (onnxruntime float vs LiteRT int8 on the 10 held-out samples) and the same
    figures recomputed: onnxruntime vs our C. Both within the bounds of the module docstring."""
    d, data, conv = built
    rep = conv[key].report
    assert rep["calibration_samples"] == 40 and rep["heldout_samples"] == 10
    held = (np.load(d / "cal_zoo.npy") if name == "zoo" else data)[-10:]
    g = read_tflite(conv[key].tflite)
    assert len(rep["outputs"]) == len(g.outputs) == (2 if name == "zoo" else 1)
    for j, (out, f, q) in enumerate(zip(rep["outputs"], _onnx_float(d / f"{name}.onnx", held),
                                        _ours_dequantised(conv[key].tflite, held, key.endswith("nhwc")))):
        mine = output_metrics(f, q, f"output_{j}")
        out_scale = g.tensors[g.outputs[j]].quant.scale[0]
        assert out["name"] == f"output_{j}"
        assert out["kind"] == mine["kind"] == ("segmentation" if name == "segmenter" else "classifier")
        assert abs(out["mae"] - mine["mae"]) <= out_scale
        assert abs(out["cosine"] - mine["cosine"]) < 0.01
        for m in (out, mine):
            assert m["cosine"] >= 0.99, m
            if name == "segmenter":
                assert m["pixel_argmax_agreement"] >= 0.95 and m["snr_db"] >= 25, m
            else:
                assert m["top1_agreement"] >= 0.9, m
    assert not [w for w in conv[key].warnings if "far from float" in w]


def test_cli_cache_and_convert_on_the_way(built, tmp_path):
    d, data, conv = built
    cal = tmp_path / "cal.npy"
    np.save(cal, data)                              # same content, other path: a cache hit
    t = time.perf_counter()
    res = CliRunner().invoke(main, ["convert", str(d / "classifier.onnx"), "--calibration", str(cal),
                                    "-o", str(tmp_path / "c.tflite"), "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert rep["cached"] and time.perf_counter() - t < 5
    assert (tmp_path / "c.tflite").read_bytes() == conv["cls"].tflite.read_bytes()
    assert rep["outputs"][0]["top1_agreement"] == conv["cls"].report["outputs"][0]["top1_agreement"]
    res = CliRunner().invoke(main, ["compile", str(d / "segmenter.onnx"), "--calibration", str(cal),
                                    "-o", str(tmp_path / "build"), "--input-layout", "nhwc", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["model"] == "segmenter" and "converted" not in res.stderr
    header = (tmp_path / "build" / "segmenter.h").read_text()
    assert "NHWC" in header or "nhwc" in header
    a = api.analyze(d / "classifier.onnx", convert=ConvertOptions(calibration=str(cal)))
    assert a.model == "classifier" and a.peak_sram_bytes > 0
    key = cache_key(d / "classifier.onnx", ConvertOptions(calibration=str(cal)))
    assert key != cache_key(d / "classifier.onnx", ConvertOptions(calibration=str(cal), input_layout="nhwc"))
    assert key != cache_key(d / "segmenter.onnx", ConvertOptions(calibration=str(cal)))


def test_per_layer_maps_onnx_nodes(built, tmp_path):
    """--per-layer: every ONNX node that owns an int8 tensor, by name and op type, with the nodes fused
    into it (Clip after Conv: one CONV_2D); BatchNormalization is folded before translation, no row."""
    d, _, conv = built
    res = CliRunner().invoke(main, ["convert", str(d / "classifier.onnx"), "--calibration", str(d / "cal.npy"),
                                    "--per-layer", "-o", str(tmp_path / "c.tflite")])
    assert res.exit_code == 0, res.output
    assert "stem_relu6 (+1 fused)" in res.stdout and "DEPTHWISE_CONV_2D" in res.stdout
    r = api.convert(d / "classifier.onnx", None, ConvertOptions(calibration=str(d / "cal.npy"), per_layer=True))
    assert r.cached and r.tflite.read_bytes() == conv["cls"].tflite.read_bytes()
    rows = {row["layer"]: row for row in r.report["per_layer"]}
    assert rows["stem_relu6"]["class"] == "Clip" and rows["stem_relu6"]["fused"] == ["stem"]
    assert rows["stem_relu6"]["op"] == "CONV_2D" and rows["stem_relu6"]["shape"] == [1, 7, 9, 8]   # NHWC
    assert (rows["se_gate"]["class"], rows["se_gate"]["op"]) == ("Sigmoid", "LOGISTIC")
    assert (rows["fc"]["class"], rows["fc"]["op"]) == ("Gemm", "FULLY_CONNECTED")
    assert {"dw_relu6", "residual", "se_scale", "avgpool", "gap", "softmax"} <= set(rows)
    assert all(row["cosine"] >= 0.99 for row in rows.values()), rows


@pytest.mark.slow
def test_nhwc_samples_and_image_folder(built, tmp_path):
    """Calibration samples NHWC (transposed for the NCHW model) or PNG images: the same int8 model (up to
    float rounding of the scales) as from the NCHW array when the data are the same."""
    from PIL import Image
    d, data, conv = built
    imgs = np.round(data.transpose(0, 2, 3, 1) * 255).astype(np.uint8)
    folder = tmp_path / "images"
    folder.mkdir()
    for k, im in enumerate(imgs):
        Image.fromarray(im).save(folder / f"{k:03d}.png")
    np.save(tmp_path / "nhwc.npy", imgs.astype(np.float32) / 255)
    a = api.convert(d / "classifier.onnx", None, ConvertOptions(calibration=str(folder)))
    b = api.convert(d / "classifier.onnx", None, ConvertOptions(calibration=str(tmp_path / "nhwc.npy")))
    ref = read_tflite(conv["cls"].tflite)
    for r in (a, b):
        g = read_tflite(r.tflite)
        assert [op.kind for op in g.ops] == [op.kind for op in ref.ops]
        assert g.tensors[g.inputs[0]].quant.scale[0] == pytest.approx(ref.tensors[ref.inputs[0]].quant.scale[0],
                                                                       rel=1e-3)
        assert r.report["outputs"][0]["cosine"] == pytest.approx(conv["cls"].report["outputs"][0]["cosine"], abs=1e-3)


def test_dynamic_batch_and_torch_flatten(built, tmp_path):
    """A dynamic batch ("N") is fixed to 1; the Shape/Gather/Concat chain of x.view(x.size(0), -1) is folded,
    the Flatten of a 13x17 map reads it in NCHW order (a TRANSPOSE before the RESHAPE)."""
    d = built[0]
    om.torch_flatten(tmp_path / "flat.onnx", H, W)
    r = api.convert(tmp_path / "flat.onnx", None, ConvertOptions(calibration=str(d / "cal.npy")))
    assert _ops(r.tflite)[1] == ["TRANSPOSE", "CONV_2D", "TRANSPOSE", "RESHAPE", "FULLY_CONNECTED"]
    assert r.report["outputs"][0]["cosine"] >= 0.99
    res = api.simulate(r.tflite, samples=3, references=("tflm",))
    assert res.comparisons[0].available and res.comparisons[0].mismatches == 0 and res.ok


# ---- what we do not convert: one line, naming the node and its op type -------------------------------------

def _refused(path, match, cls=UnsupportedModelError):
    with pytest.raises(cls, match=match) as e:
        api.convert(path, None, ConvertOptions(random_calibration=True, samples=6))
    assert "\n" not in str(e.value)
    return str(e.value)


def test_unsupported_ops_are_named(tmp_path):
    om.single(tmp_path / "erf.onnx", "Erf", [])
    msg = _refused(tmp_path / "erf.onnx", r"ONNX node 'the_node' \(Erf\) has no int8 conversion")
    assert "Conv" in msg and "Resize" in msg                                     # lists what is supported
    assert "has no int8 conversion in mcucompile" in msg and "replace it in the model" in msg
    om.single(tmp_path / "grouped.onnx", "Conv", [np.ones((4, 2, 3, 3), np.float32)], shape=(1, 4, 8, 8), group=2)
    _refused(tmp_path / "grouped.onnx", r"node 'the_node' \(Conv\): a grouped convolution \(group=2")
    # a node that fails inside the translation: named, one line (a Reshape to a shape of another size)
    om.single(tmp_path / "reshape.onnx", "Reshape", [np.array([1, 5, 7], np.int64)], shape=(1, 3, 8, 8))
    msg = _refused(tmp_path / "reshape.onnx", r"node 'the_node' \(Reshape\): cannot be converted")
    assert "cannot be converted (" in msg
    om.single(tmp_path / "cubic.onnx", "Resize", ["", np.array([1, 1, 2, 2], np.float32)], mode="cubic")
    _refused(tmp_path / "cubic.onnx", r"node 'the_node' \(Resize\): mode 'cubic'")
    om.single(tmp_path / "maxpool.onnx", "MaxPool", [], kernel_shape=[3, 3], strides=[2, 2], pads=[0, 0, 2, 2])
    _refused(tmp_path / "maxpool.onnx", r"node 'the_node' \(MaxPool\): pads \[0, 0, 2, 2\] are neither")


def test_op_left_in_float_is_refused_by_name(tmp_path):
    # Neg translates to TensorFlow's Neg, which the int8 converter leaves in float (NEG between DEQUANTIZE
    # and QUANTIZE): refused with the ONNX node's name and op type
    om.single(tmp_path / "neg.onnx", "Neg", [])
    msg = _refused(tmp_path / "neg.onnx", r"node 'the_node' \(Neg\): NEG")
    assert "would run in float" in msg


def test_quantised_and_old_onnx_are_refused(tmp_path):
    from onnx import TensorProto, helper
    b = om.Builder()
    q = b.node("QuantizeLinear", ["x", b.const(np.float32(0.02)), b.const(np.int8(0))], "quant")
    y = b.node("DequantizeLinear", [q, b.const(np.float32(0.02)), b.const(np.int8(0))], "dequant")
    b.model({"x": [1, 3, 8, 8]}, [y], tmp_path / "qdq.onnx")
    msg = _refused(tmp_path / "qdq.onnx", r"already quantised ONNX \(node 'quant' \(QuantizeLinear\), 2 such node")
    assert "mcucompile does not keep ONNX scales" in msg
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="r")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 11)]), tmp_path / "old.onnx")
    _refused(tmp_path / "old.onnx", "ONNX opset 11; mcucompile converts opset 13 and later")
    g = helper.make_graph([helper.make_node("Relu", ["x"], ["y"], name="r")], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 4, "H"])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4, "H"])])
    onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "dyn.onnx")
    _refused(tmp_path / "dyn.onnx", r"input 'x' has an unknown dimension")


def test_files_that_are_not_onnx(tmp_path, built):
    (tmp_path / "text.onnx").write_text("hello")
    _refused(tmp_path / "text.onnx", "not an ONNX model", ModelFormatError)
    (tmp_path / "fake.onnx").write_bytes(built[2]["cls"].tflite.read_bytes())
    _refused(tmp_path / "fake.onnx", "already a TFLite model", ModelFormatError)
    (tmp_path / "bad.onnx").write_bytes(b"\x08\x07\x12\x03abc\xff\xff")
    _refused(tmp_path / "bad.onnx", "cannot load as an ONNX model", ModelFormatError)
    (tmp_path / "dir.onnx").mkdir()
    _refused(tmp_path / "dir.onnx", "a folder, not an .onnx file", ModelFormatError)
    with pytest.raises(Exception, match="unknown input layout 'nwhc'"):
        api.convert(built[0] / "classifier.onnx", None, ConvertOptions(random_calibration=True, input_layout="nwhc"))


def test_parent_never_imports_the_converters(built):
    """compile/analyze of an .onnx (served from the cache here) runs without tensorflow, onnx, onnxruntime,
    keras or torch in the compiler's process: they live in the conversion's child process only."""
    import subprocess
    import sys
    from pathlib import Path
    d = built[0]
    code = ("import sys; from mcucompile.api import analyze, ConvertOptions; "
            f"a = analyze({str(d / 'classifier.onnx')!r}, convert=ConvertOptions(calibration={str(d / 'cal.npy')!r})); "
            "assert a.peak_sram_bytes > 0; "
            "bad = [m for m in ('tensorflow', 'onnx', 'onnxruntime', 'keras', 'torch') if m in sys.modules]; "
            "assert not bad, bad")
    root = Path(__file__).resolve().parents[1]
    env = dict(os.environ, PYTHONPATH=str(root) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    subprocess.run([sys.executable, "-c", code], check=True, cwd=root, env=env)
