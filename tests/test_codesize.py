"""Flash by part: analyze --board reads the firmware's link map (kernel code per file, the model's code,
weights, the rest); without a toolchain it estimates, from boards/code_sizes.json, within 10% of the link map;
a firmware links only the kernel files of the variants it calls."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from conftest import ROOT, need_tools

from mcucompile import api
from mcucompile.boards import get_board
from mcucompile.boards.firmware import code_estimate
from mcucompile.kernels.conv import VARIANTS

BOARDS = ["nucleo-l4r5zi", "qemu-m55", "rpi-pico", "qemu-m7"]
MODELS = ["vww_96_int8", "person_detect", "kws_ref_model", "ad01_int8"]


@pytest.fixture(scope="module")
def sizes(shared_models):
    """(model, board) -> (Compiled, link-map CodeSize, estimated CodeSize); one cross-build each."""
    need_tools("arm-none-eabi-gcc", "make")
    from mcucompile import pipeline
    from mcucompile.sim.target import code_size
    out = {}
    for m in MODELS:
        for b in BOARDS:
            built = pipeline.run(shared_models / f"{m}.tflite", api.Options(), b)
            c, bd = built.compiled, get_board(b)
            out[(m, b)] = (c, code_size(c, bd), code_estimate(c, bd))
    return out


@pytest.mark.parametrize("board", BOARDS)
def test_estimate_within_ten_percent_of_the_link_map(sizes, board):
    for m in MODELS:
        _, real, est = sizes[(m, board)]
        assert real.source == "link map" and est.source == "estimate"
        assert real.kernel_total > 0
        assert abs(est.kernel_total - real.kernel_total) <= 0.10 * real.kernel_total, (m, board, est, real)
        for f, n in real.kernels.items():          # file by file too, where a file is more than 1 KB
            if n > 1024:
                assert abs(est.kernels.get(f, 0) - n) <= 0.10 * n, (m, board, f, est.kernels.get(f), n)


def test_firmware_links_only_the_called_variants(sizes):
    """The conv files in a firmware's link map are those of the variants its calls name, no other."""
    conv_files = {f for v in VARIANTS.values() for f in v.sources}
    for (m, b), (c, real, _) in sizes.items():
        called = {k.func for k in c.calls if k.func in VARIANTS}
        allowed = {f for v in called for f in VARIANTS[v].sources}
        linked = {f for f, n in real.kernels.items() if f in conv_files and n > 0}
        assert linked <= allowed, (m, b, linked - allowed)
        assert set(c.sources) & conv_files == allowed, (m, b)
        # the weights in flash are the compiled constants, the model's code is there
        assert real.weights >= sum(int(k.values.nbytes) if hasattr(k.values, "nbytes") else 0
                                   for k in c.consts) and real.model > 0


def test_analyze_reports_flash_by_part(shared_models):
    """analyze --board --json carries the link map's parts; the text output names them."""
    need_tools("arm-none-eabi-gcc", "make")
    model = str(shared_models / "kws_ref_model.tflite")
    p = subprocess.run([sys.executable, "-m", "mcucompile.cli", "analyze", model, "--board", "nucleo-l4r5zi",
                        "--json"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    code = json.loads(p.stdout)["code"]
    assert code["source"] == "link map"
    assert code["kernel_total"] == sum(code["kernels"].values()) > 0
    assert all(f.startswith("mcu_") and f.endswith(".c") for f in code["kernels"])
    p = subprocess.run([sys.executable, "-m", "mcucompile.cli", "analyze", model, "--board", "nucleo-l4r5zi"],
                       capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    assert f"kernel code {code['kernel_total']:,} B" in p.stdout and "flash (link map)" in p.stdout
    a = api.analyze(model, board="nucleo-l4r5zi", build=False)
    assert a.code["source"] == "estimate"


def test_optimise_size_picks_the_small_kernels(shared_models):
    """--optimise size on a DSP board: no pre-widened weights, no wide or DSP-pairs variant, less kernel code
    than --optimise speed on every shared model that has convs; on the M55 and the M0+ the same as speed."""
    need_tools("arm-none-eabi-gcc", "make")
    from mcucompile import pipeline
    from mcucompile.errors import McuCompileError
    from mcucompile.sim.target import code_size

    bd = get_board("nucleo-l4r5zi")
    for m in MODELS:
        speed = pipeline.run(shared_models / f"{m}.tflite", api.Options(), bd.name).compiled
        size = pipeline.run(shared_models / f"{m}.tflite", api.Options(optimise="size"), bd.name).compiled
        assert size.options.simd == "dsp-size" and speed.options.simd == "dsp"
        funcs = {k.func for k in size.calls if k.func in VARIANTS}
        assert all("wide" not in f and "im2col" not in f and "own" not in f for f in funcs), funcs
        assert all(not f.startswith("mcu_dwconv_groups_k") or "_small" in f for f in funcs), funcs
        assert not any(f == "wide_filter" for k in size.calls if k.params for f, _ in k.params.fields)
        if funcs:
            small, fast = code_size(size, bd), code_size(speed, bd)
            assert small.kernel_total < fast.kernel_total, m
            if m == "vww_96_int8":          # the 1x1 convs' all-zero rows stay out of flash (filter_live_rows)
                assert small.weights < fast.weights, (small.weights, fast.weights)
                assert any(f == "filter_live_rows" for k in size.calls if k.params for f, _ in k.params.fields)
        for other in ("qemu-m55", "rpi-pico"):
            a = pipeline.run(shared_models / f"{m}.tflite", api.Options(optimise="size"), other).compiled
            b = pipeline.run(shared_models / f"{m}.tflite", api.Options(), other).compiled
            assert [k.func for k in a.calls] == [k.func for k in b.calls], (m, other)
    with pytest.raises(McuCompileError, match="unknown --optimise 'tiny'"):
        api.analyze(shared_models / "hello_world_int8.tflite", api.Options(optimise="tiny"), board="qemu-m4")
