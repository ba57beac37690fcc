"""User-facing error messages not triggered elsewhere: each one raised by a test, checked to be one clear line,
and, through the CLI, printed without a traceback."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT
from tflite_builder import build, fc_model

from mcucompile.api import compile_model, write_project
from mcucompile.errors import ModelFormatError, OutputFolderError, UnsupportedModelError
from mcucompile.frontend.tflite_reader import parse_tflite


def _cli(*args, cwd=ROOT):
    return subprocess.run([sys.executable, "-m", "mcucompile.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=cwd)


def _one_line(e):
    msg = str(e.value)
    assert msg and "\n" not in msg
    return msg


# ---- reader: checks added while fuzzing ----------------------------------------------------------------

@pytest.mark.parametrize("scale,match", [(float("nan"), "scale nan is not a finite"),
                                         (float("inf"), "scale inf is not a finite"),
                                         (-0.5, "scale -0.5 is not a finite")])
def test_bad_scale(scale, match):
    m = fc_model()
    m.tensors[1].scale = [scale]
    with pytest.raises(ModelFormatError, match=match) as e:
        parse_tflite(build(m))
    _one_line(e)


def test_activation_scale_zero():
    m = fc_model()
    m.tensors[3].scale = [0.0]
    with pytest.raises(ModelFormatError, match="activation with quantisation scale 0"):
        parse_tflite(build(m))


def test_int8_zero_point_out_of_range():
    m = fc_model()
    m.tensors[0].zero_point = [200]
    with pytest.raises(ModelFormatError, match=r"int8 zero point 200 is outside \[-128, 127\]"):
        parse_tflite(build(m))


def test_int8_constant_without_quantisation():
    m = fc_model()
    m.tensors[1].scale = None
    with pytest.raises(ModelFormatError, match="int8 constants without quantisation parameters"):
        parse_tflite(build(m))


def test_too_few_inputs():
    m = fc_model()
    m.ops[0].inputs = [0]
    with pytest.raises(ModelFormatError, match=r"op 0 \(FULLY_CONNECTED\) has inputs \[0\].*at least 2 inputs"):
        parse_tflite(build(m))


def test_constant_model_output():
    m = fc_model()
    m.outputs = [1]
    with pytest.raises(ModelFormatError, match="model output tensor 1 is a constant"):
        parse_tflite(build(m))


def test_unsupported_fused_activation():
    m = fc_model()
    m.ops[0].fc_activation = 5     # SIGN_BIT
    with pytest.raises(UnsupportedModelError, match="fused activation SIGN_BIT is not supported"):
        parse_tflite(build(m))


def test_fc_bias_must_be_constant(tmp_path):
    m = fc_model()
    m.tensors[2].data = None       # the bias becomes an activation, produced by nobody: make it an input
    m.tensors[2].dtype = "int8"
    m.inputs = [0, 2]
    p = tmp_path / "m.tflite"
    p.write_bytes(build(m))
    with pytest.raises(UnsupportedModelError, match="bias must be a constant int32 tensor"):
        compile_model(p, tmp_path / "out")
    assert not (tmp_path / "out").exists()    # nothing half-written


# ---- output folders -------------------------------------------------------------------------------

def test_output_path_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(OutputFolderError, match="exists and is not a folder"):
        write_project(f, {"a.c": ""})


def test_force_keeps_foreign_files_and_marks_nothing_else(tmp_path):
    d = tmp_path / "proj"
    d.mkdir()
    (d / "mine.txt").write_text("keep")
    with pytest.raises(OutputFolderError, match="not empty and was not created by mcucompile.*--force"):
        write_project(d, {"a.c": "int a;\n"})
    write_project(d, {"a.c": "int a;\n"}, force=True)
    assert (d / "mine.txt").read_text() == "keep" and (d / "a.c").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".proj")]   # no temporary left behind


def test_failed_write_leaves_nothing(tmp_path, monkeypatch):
    d = tmp_path / "proj"

    def boom(self, *a, **k):
        raise OSError("disk full")
    import pathlib
    monkeypatch.setattr(pathlib.Path, "write_text", boom)
    with pytest.raises(OSError):
        write_project(d, {"a.c": "x"})
    monkeypatch.undo()
    assert not d.exists() and list(tmp_path.iterdir()) == []


# ---- CLI ------------------------------------------------------------------------------------------

def test_cli_bad_size():
    r = _cli("analyze", ROOT / "examples" / "tiny_cnn_int8.tflite", "--sram-limit", "lots")
    assert r.returncode == 2 and "is not a size" in r.stderr and "Traceback" not in r.stderr


def test_cli_simulate_bad_input_file(tmp_path):
    bad = tmp_path / "x.npy"
    bad.write_text("not numpy")
    r = _cli("simulate", ROOT / "examples" / "tiny_cnn_int8.tflite", "--input", bad, "--no-sanitize")
    assert r.returncode == 2 and "cannot read as .npy/.npz" in r.stderr and "Traceback" not in r.stderr


def test_cli_simulate_wrong_input_shape(tmp_path):
    bad = tmp_path / "x.npy"
    np.save(bad, np.zeros((3, 5), np.int8))
    r = _cli("simulate", ROOT / "examples" / "tiny_cnn_int8.tflite", "--input", bad, "--no-sanitize")
    assert r.returncode == 2 and "is neither" in r.stderr and "Traceback" not in r.stderr


def test_cli_unknown_board_in_report(tmp_path):
    r = _cli("report", ROOT / "examples" / "tiny_cnn_int8.tflite", "--board", "nope", "-o", tmp_path / "r.html")
    assert r.returncode == 2 and "unknown board 'nope'" in r.stderr and "Traceback" not in r.stderr


def test_cli_report_into_folder(tmp_path):
    r = _cli("report", ROOT / "examples" / "tiny_cnn_int8.tflite", "-o", tmp_path)
    assert r.returncode == 2 and "Traceback" not in r.stderr


def test_ops_lists_registry_with_constraints():
    from mcucompile.codegen.lowering import load_all
    from mcucompile.codegen.registry import REGISTRY
    load_all()
    r = _cli("ops", "--json")
    assert r.returncode == 0
    table = json.loads(r.stdout)
    assert [o["kind"] for o in table] == sorted(REGISTRY)
    conv = next(o for o in table if o["kind"] == "CONV_2D")
    assert "int8" in conv["dtypes"] and "4-D" in conv["ranks"] and conv["patchable"]
    assert next(o for o in table if o["kind"] == "RESHAPE")["alias"]


def test_every_command_has_quiet():
    from mcucompile.cli import main
    for name, cmd in main.commands.items():
        assert any("--quiet" in p.opts for p in cmd.params), name
