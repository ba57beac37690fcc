"""Code generation: deterministic output, warning-free kernels for host and Cortex-M4, the generated
Makefile builds, output folders are never overwritten silently, CLI reports."""

import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT

from mcucompile import FIRMWARE_DIR
from mcucompile.api import compile_model, load, simulate
from mcucompile.codegen.generate import Options, compile_graph, render
from mcucompile.codegen.records import Act, PatchLoop, TileBuf, TileOffset
from mcucompile.errors import OutputFolderError

EXAMPLE = ROOT / "examples" / "tiny_cnn_int8.tflite"
WARN = ["-std=c99", "-O2", "-Wall", "-Wextra", "-Werror"]
ARM = ["arm-none-eabi-gcc", "-mcpu=cortex-m4", "-mthumb"]


def _need_arm():
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.fail("arm-none-eabi-gcc not found: install the Debian packages gcc-arm-none-eabi "
                    "libnewlib-arm-none-eabi (make test does this when run as root)")


def test_same_model_same_bytes(shared_models, tmp_path):
    a = compile_model(shared_models / "kws_ref_model.tflite", tmp_path / "a")
    b = compile_model(shared_models / "kws_ref_model.tflite", tmp_path / "b")
    assert a.files == b.files
    for name in a.files:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_pointers_are_records_until_rendered(shared_models):
    """Lowering (patch stages included) gives pointer records; only rendering turns them into C text."""
    g = load(shared_models / "vww_96_int8.tflite")
    c = compile_graph(g, Options(patch_mode="auto", io_in_arena=False))
    assert c.stages
    texts = [a for k in c.calls for a in k.args if isinstance(a, str)]
    assert texts and not any("arena" in a or "inputs[" in a or "outputs[" in a for a in texts)
    loops = [item for item in c.program if isinstance(item, PatchLoop)]
    args = [a for lp in loops for k in lp.calls for a in k.args]
    assert any(isinstance(a, TileBuf) for a in args) and any(isinstance(a, TileOffset) for a in args)
    assert Act(g.inputs[0]) in [a for k in c.calls for a in k.args]
    model_c = render(c)[f"{g.name}.c"]
    assert "(const int8_t *)inputs[0])" in model_c and "[t])" in model_c


def test_project_layout(shared_models, tmp_path):
    c = compile_model(shared_models / "vww_96_int8.tflite", tmp_path / "vww")
    out = tmp_path / "vww"
    for f in ("vww_96_int8.h", "vww_96_int8.c", "vww_96_int8_weights.c", "Makefile", "vww_96_int8_memory.json",
              "mcu_nn.h", "mcu_conv_rows.c", "mcu_dwconv_groups.c"):
        assert (out / f).exists(), f
    h = (out / "vww_96_int8.h").read_text()
    assert f"#define VWW_96_INT8_ARENA_SIZE {c.arena_bytes}" in h
    assert "int vww_96_int8_invoke(" in h
    w = (out / "vww_96_int8_weights.c").read_text()
    assert "const int8_t" in w and "aligned(16)" in w
    mm = json.loads((out / "vww_96_int8_memory.json").read_text())
    assert mm["arena_bytes"] == c.arena_bytes
    assert all(b["offset"] + b["size"] <= mm["arena_bytes"] for b in mm["buffers"])


@pytest.mark.parametrize("compiler", ["host", "arm"])
def test_firmware_warning_free(compiler, tmp_path):
    cc = ["gcc"] if compiler == "host" else ARM
    if compiler == "arm":
        _need_arm()
    sources = sorted(FIRMWARE_DIR.glob("*.c"))
    assert sources
    for src in sources:
        subprocess.run([*cc, *WARN, "-I", str(FIRMWARE_DIR), "-c", str(src), "-o", str(tmp_path / (src.stem + ".o"))],
                       check=True)


@pytest.mark.parametrize("compiler", ["host", "arm"])
def test_generated_makefile_builds(shared_models, compiler, tmp_path):
    if compiler == "arm":
        _need_arm()
    compile_model(shared_models / "pretrainedResnet_quant.tflite", tmp_path / "p")
    args = ["make", "-C", str(tmp_path / "p")]
    if compiler == "arm":
        args += ["CC=arm-none-eabi-gcc", "AR=arm-none-eabi-ar", "CFLAGS_EXTRA=-mcpu=cortex-m4 -mthumb"]
    subprocess.run(args, check=True, capture_output=True)
    assert (tmp_path / "p" / "libpretrainedresnet_quant.a").exists()


def test_refuses_foreign_folder(tmp_path):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("precious")
    with pytest.raises(OutputFolderError, match="not created by mcucompile"):
        compile_model(EXAMPLE, out)
    assert (out / "notes.txt").read_text() == "precious"
    assert [p.name for p in out.iterdir()] == ["notes.txt"]
    # --force adds our files and keeps the foreign one
    compile_model(EXAMPLE, out, force=True)
    assert (out / "notes.txt").read_text() == "precious"
    assert (out / "tiny_cnn_int8.c").exists()


def test_recompile_into_own_folder_replaces_it(tmp_path):
    out = tmp_path / "gen"
    compile_model(EXAMPLE, out)
    (out / "stale.c").write_text("left over")
    compile_model(EXAMPLE, out)
    assert not (out / "stale.c").exists()
    assert (out / "tiny_cnn_int8.c").exists()


def test_io_outside_arena_bit_exact(shared_models):
    r = simulate(shared_models / "kws_ref_model.tflite", samples=5, options=Options(io_in_arena=False))
    assert r.comparisons[0].available and r.comparisons[0].mismatches == 0
    assert r.ok
    # the input (49x10) and output (12) no longer take arena space
    r_in = simulate(shared_models / "kws_ref_model.tflite", samples=1, references=())
    assert r.arena_bytes <= r_in.arena_bytes


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "mcucompile.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=ROOT)


def test_cli_analyze_json(shared_models):
    r = _cli("analyze", shared_models / "vww_96_int8.tflite", "--json")
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    for key in ("peak_sram_bytes", "flash_weights_bytes", "macs", "layers"):
        assert key in d
    assert d["macs"] == sum(l["macs"] for l in d["layers"]) > 0
    assert max(l["live_bytes"] for l in d["layers"]) == d["lower_bound_bytes"] <= d["peak_sram_bytes"]
    conv = next(l for l in d["layers"] if l["op"] == "CONV_2D")
    assert set(conv) >= {"index", "op", "output_shape", "macs", "weight_bytes", "live_bytes"}


def test_cli_simulate_npy_roundtrip(tmp_path):
    import numpy as np
    x = np.random.default_rng(5).integers(-128, 128, size=(3, 1, 32, 32, 3), dtype=np.int8)
    np.save(tmp_path / "x.npy", x)
    r = _cli("simulate", EXAMPLE, "--input", tmp_path / "x.npy", "--output", tmp_path / "y.npy", "--json")
    assert r.returncode == 0, r.stdout + r.stderr
    d = json.loads(r.stdout)
    assert d["mismatches"] == 0 and d["samples"] == 3
    assert d["touched_bytes"] <= d["arena_bytes"]
    y = np.load(tmp_path / "y.npy")
    assert y.shape == (3, 1, 4) and y.dtype == np.int8
    assert d["compared_with"] == "tflm" and [c["reference"] for c in d["references"]] == ["tflm", "litert_ref"]
    # one sample shaped like the input works too
    np.save(tmp_path / "x1.npy", x[0])
    r = _cli("simulate", EXAMPLE, "--input", tmp_path / "x1.npy", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["samples"] == 1
    # and a batch in the Keras convention, [N, *shape[1:]]: the same outputs as [N, *shape]
    np.save(tmp_path / "xk.npy", x[:, 0])
    r = _cli("simulate", EXAMPLE, "--input", tmp_path / "xk.npy", "--output", tmp_path / "yk.npy", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["samples"] == 3
    assert np.array_equal(np.load(tmp_path / "yk.npy"), y)
    # asked for LiteRT only: judged against LiteRT, and said so
    r = _cli("simulate", EXAMPLE, "--input", tmp_path / "xk.npy", "--reference", "litert_ref", "--json")
    d = json.loads(r.stdout)
    assert r.returncode == 0 and d["compared_with"] == "litert_ref" and len(d["references"]) == 1


def test_cli_simulate_bad_input_shape(tmp_path):
    import numpy as np
    np.save(tmp_path / "x.npy", np.zeros((2, 5), dtype=np.int8))
    r = _cli("simulate", EXAMPLE, "--input", tmp_path / "x.npy")
    assert r.returncode == 2 and "neither" in r.stderr and "Traceback" not in r.stderr
