"""Reader: real models read into the IR; every kind of bad file gives a clear error, never a crash."""

import subprocess
import sys

import numpy as np
import pytest
from conftest import INT8_MODELS, ROOT
from tflite_builder import build, fc_model

from mcucompile.errors import ModelFormatError, UnsupportedModelError
from mcucompile.frontend.tflite_reader import parse_tflite, read_tflite


@pytest.mark.parametrize("name", INT8_MODELS)
def test_reads_shared_models(shared_models, name):
    g = read_tflite(shared_models / name)
    assert g.ops and g.inputs and g.outputs
    for op in g.ops:
        for t in op.outputs:
            assert not g.tensors[t].is_const
    # every weight tensor of a conv/fc is constant int8 with one scale per output channel or one in all
    for op in g.ops:
        if op.kind in ("CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED"):
            w = g.tensors[op.inputs[1]]
            assert w.is_const and w.dtype == "int8"
            assert len(w.quant.scale) in (1, w.shape[w.quant.axis])


def test_reading_does_not_import_tensorflow(shared_models):
    code = ("import sys; from mcucompile.api import analyze, load; "
            f"analyze({str(shared_models / 'vww_96_int8.tflite')!r}); "
            "assert 'tensorflow' not in sys.modules, 'tensorflow was imported'")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT)


def test_missing_file(tmp_path):
    with pytest.raises(ModelFormatError, match="no such file"):
        read_tflite(tmp_path / "nope.tflite")


def test_not_a_tflite_file(tmp_path):
    p = tmp_path / "x.tflite"
    p.write_text("hello, I am a text file")
    with pytest.raises(ModelFormatError, match="not a TFLite model"):
        read_tflite(p)


def test_keras_h5_points_to_convert(shared_models):
    with pytest.raises(ModelFormatError, match="mcucompile convert"):
        read_tflite(shared_models / "vww_96.h5")


@pytest.mark.parametrize("cut", [8, 100, 1000, 20000, -100])
def test_truncated(shared_models, cut):
    data = (shared_models / "kws_ref_model.tflite").read_bytes()[:cut]
    with pytest.raises((ModelFormatError, UnsupportedModelError)):
        parse_tflite(data)


def test_random_corruption_never_crashes(shared_models):
    data = bytearray((shared_models / "kws_ref_model.tflite").read_bytes())
    rng = np.random.default_rng(1)
    outcomes = {"ok": 0, "error": 0}
    for _ in range(150):
        d = bytearray(data)
        for pos in rng.integers(0, 4096, size=4):   # the flatbuffer's tables sit near the start
            d[pos] ^= 1 << int(rng.integers(0, 8))
        try:
            parse_tflite(bytes(d))
            outcomes["ok"] += 1
        except (ModelFormatError, UnsupportedModelError) as e:
            assert str(e)
            outcomes["error"] += 1
    assert outcomes["error"] > 0


def test_float_activations_rejected_with_convert_hint():
    with pytest.raises(UnsupportedModelError, match=r"only int8 activations.*mcucompile convert"):
        parse_tflite(build(fc_model(dtype="float32")))


def test_int16_activations_rejected():
    """int16 activations pass only between ops with a 16x8 form (INT16_KINDS); L2_NORMALIZATION has none."""
    m = fc_model(extra_ops=("L2_NORMALIZATION",))
    m.tensors[4].dtype = "int16"
    with pytest.raises(UnsupportedModelError, match="int16 activations .*which L2_NORMALIZATION cannot take"):
        parse_tflite(build(m))


def test_all_unsupported_ops_listed_with_index():
    with pytest.raises(UnsupportedModelError) as e:
        parse_tflite(build(fc_model(extra_ops=("RFFT2D", "HASHTABLE_LOOKUP", "NON_MAX_SUPPRESSION_V4"))))
    msg = str(e.value)
    assert "3 unsupported ops" in msg
    for frag in ("RFFT2D (op 1)", "HASHTABLE_LOOKUP (op 2)", "NON_MAX_SUPPRESSION_V4 (op 3)", "mcucompile ops"):
        assert frag in msg


def test_out_of_range_tensor_index():
    m = fc_model()
    m.ops[0].inputs[0] = 99
    with pytest.raises(ModelFormatError, match="refers to tensor 99"):
        parse_tflite(build(m))


def test_out_of_range_opcode_index():
    m = fc_model()
    m.opcode_override = {0: 7}
    with pytest.raises(ModelFormatError, match="operator code 7"):
        parse_tflite(build(m))


def test_cycle_is_an_error():
    # op0: t0 -> t3 reading t4; op1 (later) writes t4 from t3: a cycle
    m = fc_model(extra_ops=("RESHAPE",))
    m.ops[0].inputs[0] = 4
    m.inputs = [0]
    with pytest.raises(ModelFormatError, match="before it is written"):
        parse_tflite(build(m))


def test_weights_buffer_size_mismatch():
    m = fc_model()
    m.tensors[1].data = m.tensors[1].data.ravel()[:5]
    with pytest.raises(ModelFormatError, match="buffer holds 5 bytes"):
        parse_tflite(build(m))


def test_dynamic_shape_rejected():
    m = fc_model()
    m.tensors[0].shape = (-1, 8)
    with pytest.raises(UnsupportedModelError, match="dynamic shape"):
        parse_tflite(build(m))


def test_cli_error_has_no_traceback(tmp_path):
    p = tmp_path / "bad.tflite"
    p.write_bytes(b"\x00" * 64)
    r = subprocess.run([sys.executable, "-m", "mcucompile.cli", "analyze", str(p)], capture_output=True,
                       text=True, cwd=ROOT)
    assert r.returncode == 2
    assert "error:" in r.stderr and "Traceback" not in r.stderr
