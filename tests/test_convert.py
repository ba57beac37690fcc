"""`mcucompile convert`: trained Keras models -> full-int8 .tflite, the float-vs-int8 report, the cache, the
convert-on-the-way path of compile/analyze/simulate, and the errors for inputs we cannot convert.

Converted models are checked against the references (TFLite Micro first) through api.simulate; the report's
figures are recomputed here independently (Keras float outputs vs TFLite Micro's int8 outputs)."""

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
from mcucompile.errors import McuCompileError, ModelFormatError, UnsupportedModelError
from mcucompile.frontend.calibration import CalibrationError, InputSpec, load_calibration
from mcucompile.frontend.keras_convert import ConvertOptions, cache_key, compare_arrays, layers_in_name, output_metrics
from mcucompile.frontend.tflite_reader import read_tflite

tf = need_module("tensorflow")
keras = need_module("keras")


@pytest.fixture(scope="module", autouse=True)
def cache(tmp_path_factory):
    d = tmp_path_factory.mktemp("convert_cache")
    old = os.environ.get("MCUCOMPILE_CACHE")
    os.environ["MCUCOMPILE_CACHE"] = str(d)
    yield d
    if old is None:
        os.environ.pop("MCUCOMPILE_CACHE", None)
    else:
        os.environ["MCUCOMPILE_CACHE"] = old


def smooth_images(n: int, h: int, w: int, c: int, seed: int) -> np.ndarray:
    """Synthetic images in [0, 1]: a few random low-frequency waves per channel (closer to photographs'
    statistics than white noise)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w] / max(h, w)
    out = np.zeros((n, h, w, c), np.float32)
    for i in range(n):
        for ch in range(c):
            f = sum(rng.uniform(0.2, 1) * np.sin(2 * np.pi * (rng.uniform(0, 3) * x + rng.uniform(0, 3) * y)
                                                  + rng.uniform(0, 6.3)) for _ in range(3))
            out[i, ..., ch] = f
    lo, hi = out.min(axis=(1, 2, 3), keepdims=True), out.max(axis=(1, 2, 3), keepdims=True)
    return (out - lo) / (hi - lo)


def _converted(tmp_path_factory, shared_models, name, shape, per_layer):
    d = tmp_path_factory.mktemp(name.split(".")[0])
    cal = d / "calibration.npy"
    np.save(cal, smooth_images(40, *shape, seed=1))
    t = time.perf_counter()
    r = api.convert(shared_models / name, d / "int8.tflite", ConvertOptions(calibration=str(cal), per_layer=per_layer))
    print(f"\n{name}: converted in {time.perf_counter() - t:.1f} s; report {json.dumps(r.report['outputs'])}")
    return r, np.load(cal)


@pytest.fixture(scope="module")
def vww(tmp_path_factory, shared_models):
    return _converted(tmp_path_factory, shared_models, "vww_96.h5", (96, 96, 3), per_layer=False)


@pytest.fixture(scope="module")
def resnet(tmp_path_factory, shared_models):
    return _converted(tmp_path_factory, shared_models, "pretrainedResnet.h5", (32, 32, 3), per_layer=True)


def _keras_float(path, x):
    from mcucompile.frontend.keras_convert import _load_keras
    return np.asarray(_load_keras(path, False)(x, training=False))


def _tflm_dequantised(tflite_path, x):
    from mcucompile.sim.reference import run_reference
    g = read_tflite(tflite_path)
    tin, tout = g.tensors[g.inputs[0]], g.tensors[g.outputs[0]]
    q = np.clip(np.round(x / tin.quant.scale[0]) + tin.quant.zero_point[0], -128, 127).astype(np.int8)
    ref = run_reference("tflm", tflite_path, [q[:, None]], 1)       # [N, 1, ...]: one batch-1 input each
    assert ref.outputs is not None, ref.error
    q = ref.outputs[0].reshape(len(x), *tout.shape[1:]).astype(np.float64)
    return (q - tout.quant.zero_point[0]) * tout.quant.scale[0]


# ---- the real trained models ----------------------------------------------------------------------

def _check_full_int8(path):
    g = read_tflite(path)
    assert [g.tensors[t].dtype for t in g.inputs + g.outputs] == ["int8", "int8"]
    convs = [op for op in g.ops if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED")]
    assert convs
    for op in convs:
        w, b = g.tensors[op.inputs[1]], g.tensors[op.inputs[2]]
        assert w.dtype == "int8" and b.dtype == "int32"
        if op.kind != "FULLY_CONNECTED":    # per-channel: one scale per output channel
            assert len(w.quant.scale) == w.shape[-1 if op.kind == "DEPTHWISE_CONV_2D" else 0] > 1
    for op in g.ops:
        assert all(g.tensors[t].dtype in ("int8", "int32") for t in op.inputs + op.outputs), op.kind
    return g


@pytest.mark.slow
def test_vww_matches_published_int8_model(vww, shared_models):
    r, _ = vww
    ours = _check_full_int8(r.tflite)
    pub = read_tflite(shared_models / "vww_96_int8.tflite")

    def signature(g):   # the published model keeps Flatten as a RESHAPE; ours folds it into the batch-1 FC
        return [(op.kind, g.tensors[op.outputs[0]].shape,
                 [g.tensors[t].shape for t in op.inputs[1:] if g.tensors[t].data is not None])
                for op in g.ops if op.kind != "RESHAPE"]

    assert signature(ours) == signature(pub)
    assert [ours.tensors[t].shape for t in ours.inputs + ours.outputs] == \
        [pub.tensors[t].shape for t in pub.inputs + pub.outputs]


@pytest.mark.slow
@pytest.mark.parametrize("which", ["vww", "resnet"])
def test_converted_model_is_bit_exact(which, request):
    r, _ = request.getfixturevalue(which)
    _check_full_int8(r.tflite)
    res = api.simulate(r.tflite, samples=3)
    tflm = res.comparisons[0]
    assert tflm.reference == "tflm" and tflm.available, tflm.error
    assert tflm.mismatches == 0, tflm
    assert res.ok, res.as_dict()


@pytest.mark.slow
@pytest.mark.parametrize("which,name", [("vww", "vww_96.h5"), ("resnet", "pretrainedResnet.h5")])
def test_report_matches_an_independent_measurement(which, name, request, shared_models):
    """The report's figures, recomputed: Keras float outputs vs TFLite Micro's int8 outputs on the held-out
    samples (the last ones of the calibration data). The report runs LiteRT's reference kernels, which
    round FULLY_CONNECTED once instead of twice: allow one output LSB."""
    r, data = request.getfixturevalue(which)
    rep = r.report
    assert rep["calibration_samples"] + rep["heldout_samples"] == len(data) and rep["heldout_samples"] == 8
    held = data[-rep["heldout_samples"]:]
    f = _keras_float(shared_models / name, held)
    q = _tflm_dequantised(r.tflite, held)
    (out,) = rep["outputs"]
    mine = output_metrics(f, q, "output_0")
    out_scale = read_tflite(r.tflite).tensors[read_tflite(r.tflite).outputs[0]].quant.scale[0]
    assert out["kind"] == mine["kind"] == "classifier"
    assert abs(out["mae"] - mine["mae"]) <= out_scale
    assert abs(out["top1_agreement"] - mine["top1_agreement"]) <= 1 / len(held)
    assert abs(out["cosine"] - mine["cosine"]) < 0.01
    assert mine["top1_agreement"] >= 0.75 and mine["cosine"] > 0.95    # int8 is close to float


@pytest.mark.slow
def test_per_layer_breakdown_names_keras_layers(resnet, shared_models):
    r, _ = resnet
    rows = r.report["per_layer"]
    from mcucompile.frontend.keras_convert import _load_keras
    model = _load_keras(shared_models / "pretrainedResnet.h5", False)
    layers = {l.name: type(l).__name__ for l in model.layers}
    assert rows and all(row["layer"] in layers and row["class"] == layers[row["layer"]] for row in rows)
    names = [row["layer"] for row in rows]
    assert names == sorted(names, key=[l.name for l in model.layers].index)       # in model order
    # every Add of the residual blocks shows up (fused with its ReLU), and the model output comes last
    adds = [row for row in rows if row["op"] == "ADD"]
    assert len(adds) == sum(1 for l in model.layers if type(l).__name__ == "Add")
    assert rows[-1]["layer"] == model.layers[-1].name and rows[-1]["op"] == "SOFTMAX"
    assert all(np.isfinite(row["snr_db"]) and -1 <= row["cosine"] <= 1 for row in rows)


@pytest.mark.slow
def test_cache_and_convert_on_the_way(vww, shared_models, tmp_path):
    r, _ = vww
    cal = str(tmp_path / "cal.npy")
    calib = smooth_images(40, 96, 96, 3, seed=1)
    np.save(cal, calib)                           # same content, other path: still a cache hit
    t = time.perf_counter()
    again = api.convert(shared_models / "vww_96.h5", None, ConvertOptions(calibration=cal))
    assert again.cached and time.perf_counter() - t < 2.0
    assert again.tflite.read_bytes() == r.tflite.read_bytes()
    res = CliRunner().invoke(main, ["compile", str(shared_models / "vww_96.h5"), "--calibration", cal,
                                    "-o", str(tmp_path / "build"), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["model"] == "vww_96" and "vww_96.h" in summary["files"]
    assert "converted" not in res.stderr              # served from the cache
    a = api.analyze(shared_models / "vww_96.h5", convert=ConvertOptions(calibration=cal))
    assert a.model == "vww_96" and a.peak_sram_bytes > 0
    # other options or other data, other key; per-layer is added to a cached entry, not a new key
    key = cache_key(shared_models / "vww_96.h5", ConvertOptions(calibration=cal))
    assert key != cache_key(shared_models / "vww_96.h5", ConvertOptions(calibration=cal, samples=20))
    assert key != cache_key(shared_models / "pretrainedResnet.h5", ConvertOptions(calibration=cal))
    assert key == cache_key(shared_models / "vww_96.h5", ConvertOptions(calibration=cal, per_layer=True))
    np.save(cal, calib[::-1])
    assert key != cache_key(shared_models / "vww_96.h5", ConvertOptions(calibration=cal))


# ---- a model trained here keeps its accuracy --------------------------------------------------------

def _band_task(n, seed):
    """12x12 grey images with one brighter horizontal band among three; the label is the band."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.uniform(0.0, 0.6, size=(n, 12, 12, 1)).astype(np.float32)
    for i, k in enumerate(y):
        x[i, 4 * k:4 * k + 4] += 0.35
    return np.clip(x, 0, 1), y


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    keras.utils.set_random_seed(0)
    d = tmp_path_factory.mktemp("trained")
    x, y = _band_task(1200, 0)
    model = keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Conv2D(8, 3, activation="relu"),
                              keras.layers.MaxPooling2D(), keras.layers.Conv2D(16, 3, activation="relu"),
                              keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(3, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x, y, epochs=6, batch_size=32, verbose=0)
    model.save(d / "bands.keras")
    return d, model


@pytest.mark.slow
def test_trained_model_keeps_accuracy_through_our_c(trained, tmp_path):
    d, model = trained
    cal = tmp_path / "cal.npy"
    np.save(cal, _band_task(100, 1)[0])
    r = api.convert(d / "bands.keras", tmp_path / "bands.tflite", ConvertOptions(calibration=str(cal)))
    x, y = _band_task(300, 2)
    float_acc = float(np.mean(np.argmax(model.predict(x, verbose=0), -1) == y))
    assert float_acc >= 0.9, "the synthetic task should be learnt"
    g = read_tflite(r.tflite)
    tin = g.tensors[g.inputs[0]]
    q = np.clip(np.round(x / tin.quant.scale[0]) + tin.quant.zero_point[0], -128, 127).astype(np.int8)
    res = api.simulate(r.tflite, inputs=[q[:, None]], references=("tflm",), sanitize=False)
    assert res.ok, res.as_dict()                       # our C = TFLite Micro on all 300 inputs
    int8_acc = float(np.mean(np.argmax(res.outputs[0].reshape(300, -1), -1) == y))
    assert int8_acc >= float_acc - 0.02, (float_acc, int8_acc)


@pytest.mark.slow
def test_cli_convert_from_image_folder(trained, tmp_path):
    from PIL import Image
    d, _ = trained
    imgs = tmp_path / "images"
    imgs.mkdir()
    for k, img in enumerate(_band_task(30, 3)[0]):
        Image.fromarray((img[..., 0] * 255).astype(np.uint8)).resize((24, 24)).save(imgs / f"{k:03d}.png")
    out = tmp_path / "b.tflite"
    res = CliRunner().invoke(main, ["convert", str(d / "bands.keras"), "--calibration", str(imgs),
                                    "--samples", "25", "-o", str(out), "--json"])
    assert res.exit_code == 0, res.output
    rep = json.loads(res.stdout)
    assert rep["calibration_samples"] == 20 and rep["heldout_samples"] == 5 and out.exists()
    assert rep["outputs"][0]["kind"] == "classifier" and 0 <= rep["outputs"][0]["top1_agreement"] <= 1
    res = CliRunner().invoke(main, ["convert", str(d / "bands.keras"), "--calibration", str(imgs),
                                    "--samples", "25", "-o", str(out)])
    assert res.exit_code == 0 and "from the cache" in res.stdout and "top-1 agreement" in res.stdout


@pytest.mark.slow
def test_saved_model_folder(trained, tmp_path):
    _, model = trained
    model.export(tmp_path / "sm", format="tf_saved_model", verbose=False)     # dynamic batch
    cal = tmp_path / "cal.npy"
    np.save(cal, _band_task(40, 4)[0])
    res = api.simulate(tmp_path / "sm", samples=3, references=("tflm",), sanitize=False,
                       convert=ConvertOptions(calibration=str(cal)))
    assert res.ok, res.as_dict()
    r = api.convert(tmp_path / "sm", None, ConvertOptions(calibration=str(cal)))
    assert r.cached and r.report["outputs"][0]["kind"] == "classifier"
    g = read_tflite(r.tflite)
    assert [op.kind for op in g.ops if op.kind in ("SHAPE", "STRIDED_SLICE", "PACK")] == []   # batch fixed to 1


# ---- bad inputs ------------------------------------------------------------------------------------

def test_missing_and_foreign_files(tmp_path, shared_models):
    with pytest.raises(ModelFormatError, match="no such file"):
        api.convert(tmp_path / "missing.h5", options=ConvertOptions(random_calibration=True))
    (tmp_path / "junk.h5").write_bytes(b"not a model at all")
    with pytest.raises(ModelFormatError, match="not a Keras .h5 model"):
        api.convert(tmp_path / "junk.h5", options=ConvertOptions(random_calibration=True))
    with pytest.raises(ModelFormatError, match="already a TFLite model"):
        api.convert(shared_models / "vww_96_int8.tflite", options=ConvertOptions(random_calibration=True))
    with pytest.raises(McuCompileError, match="needs calibration data"):
        api.convert(shared_models / "vww_96.h5")
    res = CliRunner().invoke(main, ["compile", str(shared_models / "vww_96.h5"), "-o", str(tmp_path / "b")])
    assert res.exit_code == 2 and "--calibration" in res.stderr and "Traceback" not in res.output


def test_calibration_loading(tmp_path):
    spec = [InputSpec("x", (4, 4, 3))]
    np.save(tmp_path / "ok.npy", np.ones((5, 4, 4, 3), np.float32))
    assert load_calibration(tmp_path / "ok.npy", spec, samples=3)[0].shape == (3, 4, 4, 3)
    np.save(tmp_path / "one.npy", np.ones((4, 4, 3), np.float64))
    assert load_calibration(tmp_path / "one.npy", spec)[0].dtype == np.float32
    np.save(tmp_path / "bad.npy", np.ones((5, 4, 4, 1), np.float32))
    with pytest.raises(CalibrationError, match=r"fits neither \[4, 4, 3\]"):
        load_calibration(tmp_path / "bad.npy", spec)
    np.save(tmp_path / "int.npy", np.ones((5, 4, 4, 3), np.uint8))
    with pytest.raises(CalibrationError, match="integer array"):
        load_calibration(tmp_path / "int.npy", spec)
    np.savez(tmp_path / "two.npz", a=np.ones((2, 4)), b=np.ones((2, 4)))
    with pytest.raises(CalibrationError, match="no array for model input"):
        load_calibration(tmp_path / "two.npz", [InputSpec("x", (4,)), InputSpec("y", (4,))])
    (tmp_path / "empty").mkdir()
    with pytest.raises(CalibrationError, match="no images"):
        load_calibration(tmp_path / "empty", spec)


def test_metrics():
    f = np.array([[1.0, 2.0, 3.0], [0.5, 0.0, -1.0]])
    m = output_metrics(f, f + 0.1, "o")
    assert m["kind"] == "classifier" and m["top1_agreement"] == 1.0
    assert m["mae"] == pytest.approx(0.1)
    assert m["snr_db"] == pytest.approx(10 * np.log10(np.sum(f ** 2) / (6 * 0.01)))
    assert compare_arrays(f, -f)["cosine"] == pytest.approx(-1.0)
    seg = output_metrics(np.zeros((1, 2, 2, 3)) + [0, 1, 0], np.zeros((1, 2, 2, 3)) + [1, 0, 0], "s")
    assert seg["kind"] == "segmentation" and seg["pixel_argmax_agreement"] == 0.0


def test_layer_names_in_tensor_names():
    layers = {"conv2d": "Conv2D", "conv2d_1": "Conv2D", "activation": "Activation", "ln": "LayerNormalization"}
    name = "model_1/activation_1/Relu;model_1/conv2d_1/BiasAdd;model_1/conv2d_1_2/Squeeze"
    assert layers_in_name(name, layers) == ["activation", "conv2d", "conv2d_1"]
    assert layers_in_name("functional_1/ln_1/moments/mean", layers) == ["ln"]


def _save(tmp_path, name, body):
    keras.utils.set_random_seed(0)
    inp = keras.Input((8,))
    model = keras.Model(inp, keras.layers.Dense(3, name="head")(body(keras.layers.Dense(8, name="d0")(inp))))
    path = tmp_path / f"{name}.keras"
    model.save(path)
    return path


@pytest.mark.slow
def test_layer_without_int8_kernel_is_named(tmp_path):
    # LayerNormalization: the converter leaves a NEG in float between DEQUANTIZE/QUANTIZE
    path = _save(tmp_path, "ln", lambda x: keras.layers.LayerNormalization(name="norm")(x))
    with pytest.raises(UnsupportedModelError, match=r"layer 'norm' \(LayerNormalization\): NEG") as e:
        api.convert(path, options=ConvertOptions(random_calibration=True, samples=8))
    assert "float" in str(e.value)
    # erf: no TFLite builtin at all, the converter itself refuses
    path = _save(tmp_path, "erf", lambda x: keras.ops.erf(x))
    with pytest.raises(UnsupportedModelError, match="TensorFlow op Erf"):
        api.convert(path, options=ConvertOptions(random_calibration=True, samples=8))


@pytest.mark.slow
def test_converter_crash_is_reported(tmp_path):
    # TensorFlow 2.21's converter segfaults while calibrating an LSTM: one line, no traceback
    path = _save(tmp_path, "lstm", lambda x: keras.layers.LSTM(4)(keras.layers.Reshape((2, 4))(x)))
    res = CliRunner().invoke(main, ["convert", str(path), "--random-calibration", "--samples", "8",
                                    "-o", str(tmp_path / "l.tflite")])
    assert res.exit_code == 2 and "crashed" in res.stderr and "Traceback" not in res.output


@pytest.mark.slow
def test_not_a_model_archive(tmp_path):
    import zipfile
    with zipfile.ZipFile(tmp_path / "fake.keras", "w") as z:
        z.writestr("hello.txt", "hi")
    with pytest.raises(ModelFormatError, match="cannot load as a Keras model"):
        api.convert(tmp_path / "fake.keras", options=ConvertOptions(random_calibration=True))
