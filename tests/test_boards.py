"""Board table, generated firmware projects (warning-free builds for every board), fit check, flash."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import need_tools
from tflite_builder import build, fc_model

from mcucompile import FIRMWARE_DIR, api
from mcucompile.boards import BOARDS_FILE, UnknownBoardError, boards, get_board, qemu_boards
from mcucompile.boards.firmware import FitError, fit_check, render_firmware
from mcucompile.cli import main
from mcucompile.codegen.generate import compile_graph, render
from mcucompile.sim.target import ToolMissingError, elf_size, require_tools

ISSUE_BOARDS = ["qemu-m4", "qemu-m7", "qemu-m55", "stm32f746g-disco", "nucleo-f767zi", "nucleo-h743zi",
                "nucleo-l4r5zi", "nrf52840dk", "rpi-pico"]


@pytest.fixture(scope="module")
def arm_gcc():
    need_tools("arm-none-eabi-gcc", "make")


# ---- the table -----------------------------------------------------------------------------------

def test_table_has_the_boards_and_sane_memory():
    assert [b.name for b in boards()] == ISSUE_BOARDS
    for b in boards():
        assert b.sram.length > 0 and b.flash.length > 0
        assert b.sram.end <= b.flash.origin or b.flash.end <= b.sram.origin, f"{b.name}: regions overlap"
        if b.is_qemu:
            assert b.console == "semihosting" and b.pyocd_target is None
        else:
            assert b.console == "uart" and b.pyocd_target and b.probe
    assert {b.name: b.qemu_machine for b in qemu_boards()} == {
        "qemu-m4": "mps2-an386", "qemu-m7": "mps2-an500", "qemu-m55": "mps3-an547"}
    pico = get_board("rpi-pico")
    assert pico.core == "cortex-m0plus" and not pico.dsp and not pico.has_fpu
    assert "-mfloat-abi=soft" in pico.cflags and not any(f.startswith("-mfpu") for f in pico.cflags)
    assert "-mfpu=fpv4-sp-d16" in get_board("qemu-m4").cflags
    with pytest.raises(UnknownBoardError, match="known boards: qemu-m4"):
        get_board("arduino-uno")


def test_boards_command_lists_core_fpu_sram_flash():
    r = CliRunner().invoke(main, ["boards"])
    assert r.exit_code == 0, r.output
    for b in boards():
        line = next(l for l in r.output.splitlines() if l.startswith(b.name + " "))
        assert b.core in line and f"{b.sram.length // 1024} KiB" in line and f"{b.flash.length // 1024} KiB" in line
        assert f"{b.clock_hz / 1e6:g} MHz" in line
    assert re.search(r"rpi-pico\s+cortex-m0plus\s+none\s+no", r.output)


def test_boards_json_is_the_table():
    r = CliRunner().invoke(main, ["boards", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    raw = {d["name"]: d for d in json.loads(BOARDS_FILE.read_text())["boards"]}
    assert [d["name"] for d in doc] == list(raw)
    for d in doc:
        src = raw[d["name"]]
        assert d["core"] == src["core"] and d["dsp"] == src["dsp"]
        assert d["sram"]["bytes"] == int(src["sram"]["length"], 16)
        assert d["flash"]["bytes"] == int(src["flash"]["length"], 16)
        assert d["sram"]["origin"] == int(src["sram"]["origin"], 16)
        assert d["flash"]["origin"] == int(src["flash"]["origin"], 16)
        assert d["qemu_machine"] == src.get("qemu_machine") and d["pyocd_target"] == src.get("pyocd_target")
        assert f"-mcpu={src['cpu']}" in d["cflags"]
        assert d["clock_hz"] == src["clock_hz"] and d["flash_wait_states"] == src.get("flash_wait_states", 0)
    pico = next(d for d in doc if d["name"] == "rpi-pico")
    assert pico["boot2"] == "rp2040-03h" and pico["uf2_family"] == "0xe48bff56" and pico["fpu"] == "none"


# ---- generated projects build warning-free for every board ---------------------------------------

_KERNEL_COMPILES: dict[tuple[str, ...], list[str]] = {}


def _kernel_compile_errors(cflags: list[str], out: Path) -> list[str]:
    """Every firmware/*.c compiled with -Werror for `cflags`: the files with a failure or any stderr output.
    Once per set of flags (boards of one core share them: qemu-m7, nucleo-f767zi and nucleo-h743zi)."""
    key = tuple(cflags)
    if key not in _KERNEL_COMPILES:
        errors = []
        for src in sorted(FIRMWARE_DIR.glob("*.c")):
            p = subprocess.run(["arm-none-eabi-gcc", "-std=c99", "-O2", "-Wall", "-Wextra", "-Werror", *cflags,
                                "-c", str(src), "-o", str(out / (src.stem + ".o"))], capture_output=True, text=True)
            if p.returncode != 0 or p.stderr != "":
                errors.append(f"{src.name} (exit {p.returncode}):\n{p.stderr}")
        _KERNEL_COMPILES[key] = errors
    return _KERNEL_COMPILES[key]


@pytest.mark.parametrize("board", ISSUE_BOARDS)
def test_every_kernel_compiles_warning_free_for_the_core(board, arm_gcc, tmp_path):
    errors = _kernel_compile_errors(get_board(board).cflags, tmp_path)
    assert not errors, f"for {board}:\n" + "\n".join(errors)


@pytest.mark.parametrize("board", ISSUE_BOARDS)
def test_project_builds_warning_free_and_fits(board, arm_gcc, shared_models, tmp_path):
    """pretrainedResnet uses five kernel families (conv, add, pool, fc, softmax)."""
    b = get_board(board)
    out = tmp_path / "fw"
    c = api.compile_model(shared_models / "pretrainedResnet_quant.tflite", out, board=board)
    p = subprocess.run(["make", "-C", str(out)], capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "warning:" not in (p.stdout + p.stderr), p.stdout + p.stderr
    assert f"-mcpu={b.cpu}" in p.stdout and "-Werror" in p.stdout
    size = elf_size(out / f"{c.graph.name}.elf")
    fit = fit_check(c, b)
    # arm-none-eabi-size confirms the fit check: actual use within the board and within the estimate
    # (the fit check leaves out the reserved start of flash, the rpi-pico's 256-byte boot2 block)
    assert size["flash"] - b.flash_reserved <= fit.flash_needed <= b.flash.length - b.flash_reserved
    assert fit.weights < size["text"]
    assert c.arena_bytes + fit.stack <= size["sram"] <= fit.sram_needed <= b.sram.length
    ld = (out / f"fw_{board.replace('-', '_')}.ld").read_text()
    assert f"ORIGIN = 0x{b.sram.origin:08X}" in ld
    assert f"ORIGIN = 0x{b.flash.origin + b.flash_reserved:08X}" in ld
    assert (out / "CMakeLists.txt").exists() and (out / "fw_startup.c").exists()


def test_cmake_build(arm_gcc, shared_models, tmp_path):
    if shutil.which("cmake") is None:
        pytest.fail("cmake is not installed (Debian package cmake)")
    out = tmp_path / "fw"
    api.compile_model(shared_models / "micro_speech_quantized.tflite", out, board="nucleo-h743zi")
    for cmd in (["cmake", "-S", str(out), "-B", str(out / "cb")], ["cmake", "--build", str(out / "cb")]):
        p = subprocess.run(cmd, capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr
    assert "warning:" not in p.stdout + p.stderr
    assert (out / "cb" / "micro_speech_quantized.elf").exists()


def test_firmware_embeds_the_given_test_inputs(shared_models):
    g = api.load(shared_models / "hello_world_int8.tflite")
    c = compile_graph(g)
    render(c)
    x = np.array([[[-7]], [[42]]], dtype=np.int8)
    files = render_firmware(c, get_board("nrf52840dk"), [x])
    data = files["fw_test_data.c"]
    assert "-7" in data and "42" in data and "FW_TEST_SAMPLES 2u" in files["fw_test_data.h"]
    assert "board_uart_write" in files["fw_board.c"] and "bkpt 0xAB" not in files["fw_board.c"]
    assert "bkpt 0xAB" in render_firmware(c, get_board("qemu-m4"), [x])["fw_board.c"]


# ---- fit check -----------------------------------------------------------------------------------

def _model(tmp_path: Path, n_in: int, n_out: int) -> Path:
    p = tmp_path / f"fc_{n_in}x{n_out}.tflite"
    p.write_bytes(build(fc_model(n_in=n_in, n_out=n_out)))
    return p


def test_fit_check_sram_overflow(tmp_path):
    model = _model(tmp_path, 300_000, 1)          # a 300,000-byte input lives in the arena
    g = api.load(model)
    c = compile_graph(g)
    b = get_board("nrf52840dk")
    f = fit_check(c, b)
    assert f.arena >= 300_000 and f.sram_needed > b.sram.length
    with pytest.raises(FitError) as e:
        api.compile_model(model, tmp_path / "out", board="nrf52840dk")
    msg = str(e.value)
    assert f"{f.sram_needed:,}" in msg and f"{b.sram.length:,}" in msg
    assert f"{f.sram_needed - b.sram.length:,} B too many" in msg
    assert "--patch auto" in msg and "nucleo-f767zi" in msg and "flash needs" not in msg
    assert not (tmp_path / "out").exists(), "nothing is written when the model does not fit"


def test_fit_check_flash_overflow_via_cli(tmp_path):
    model = _model(tmp_path, 1100, 1000)          # 1.1 MB of weights, nrf52840dk has 1 MiB of flash
    r = CliRunner().invoke(main, ["compile", str(model), "--board", "nrf52840dk", "-o", str(tmp_path / "o")])
    assert r.exit_code == 2
    err = r.output.strip()
    assert err.startswith("error:") and len(err.splitlines()) == 1 and "Traceback" not in err
    assert "flash needs" in err and "1,048,576 B" in err and "too many" in err and "SRAM needs" not in err
    assert "nucleo-h743zi" in err
    # flash does not shrink with patching: the hint does not offer it
    assert "--patch auto" not in err and "patching does not shrink flash" in err
    r = CliRunner().invoke(main, ["compile", str(model), "--board", "nucleo-f767zi", "-o", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output


def test_fit_check_hints_follow_the_options_and_the_table(tmp_path):
    from mcucompile.codegen.generate import Options
    model = _model(tmp_path, 300_000, 1)
    b = get_board("nrf52840dk")
    # already patch-based (the search finds no patch schedule for a lone FULLY_CONNECTED): name the arena
    # size that would fit instead of --patch auto again
    c = compile_graph(api.load(model), Options(patch_mode="auto"))
    f = fit_check(c, b)
    with pytest.raises(FitError) as e:
        api.compile_model(model, tmp_path / "a", options=Options(patch_mode="auto"), board=b.name)
    room = b.sram.length - (f.sram_needed - f.arena)
    assert f"--sram-limit {room}" in str(e.value) and "--patch auto" not in str(e.value)
    # too big for every board in the table: said so, no board named
    huge = _model(tmp_path, 1_000_000, 1)         # a 1 MB input: more SRAM than any board has
    with pytest.raises(FitError) as e:
        api.compile_model(huge, tmp_path / "h", board="nucleo-h743zi")
    assert "no board in `mcucompile boards` has enough memory" in str(e.value)
    assert not any(x.name in str(e.value).split("Hint:")[1] for x in boards())


# ---- flash ---------------------------------------------------------------------------------------

def test_flash_dry_run_and_errors(shared_models, tmp_path, monkeypatch):
    out = tmp_path / "kws"
    api.compile_model(shared_models / "hello_world_int8.tflite", out, board="nucleo-f767zi")
    r = CliRunner().invoke(main, ["flash", str(out), "--board", "nucleo-f767zi", "--probe", "0672FF", "--dry-run"])
    assert r.exit_code == 0, r.output
    assert r.output.splitlines() == [f"make -C {out}",
                                     f"pyocd load --target stm32f767zi --uid 0672FF {out}/hello_world_int8.elf"]
    r = CliRunner().invoke(main, ["flash", str(out), "--board", "nrf52840dk", "--dry-run"])
    assert r.exit_code == 2 and "generated for nucleo-f767zi" in r.output
    r = CliRunner().invoke(main, ["flash", str(tmp_path), "--board", "nrf52840dk"])
    assert r.exit_code == 2 and "not a firmware project" in r.output
    # no probe attached: a clear error naming what to connect
    from pyocd.core.helpers import ConnectHelper
    monkeypatch.setattr(ConnectHelper, "get_all_connected_probes", staticmethod(lambda **kw: []))
    r = CliRunner().invoke(main, ["flash", str(out), "--board", "nucleo-f767zi"])
    assert r.exit_code == 2
    assert "no debug probe found" in r.output and "ST-LINK" in r.output


def test_flash_on_qemu_runs(arm_gcc, shared_models, tmp_path):
    need_tools("qemu-system-arm")
    out = tmp_path / "hw"
    x = np.array([[[5]]], dtype=np.int8)
    api.compile_model(shared_models / "hello_world_int8.tflite", out, board="qemu-m4", test_inputs=[x])
    r = CliRunner().invoke(main, ["flash", str(out), "--board", "qemu-m4"])
    assert r.exit_code == 0, r.output
    from mcucompile.sim.reference import run_reference
    ref = run_reference("tflm", shared_models / "hello_world_int8.tflite", [x], 1)
    expected = np.asarray(ref.outputs[0]).astype(np.int8).ravel()[0]
    assert f"mcu:out 0 0 {int(expected) & 0xFF:02x}" in r.output
    # after the build, arm-none-eabi-size's figures are set against the board and the fit check
    size = elf_size(out / "hello_world_int8.elf")
    line = next(l for l in r.output.splitlines() if l.startswith("arm-none-eabi-size:"))
    assert f"flash {size['flash']:,} of {4 * 1024 * 1024:,} B" in line and f"SRAM {size['sram']:,} of" in line
    assert "fit check" in line and line.endswith("fits qemu-m4")


def test_size_confirmation_refuses_firmware_over_the_board():
    from mcucompile.boards.firmware import confirm_size
    b = get_board("rpi-pico")
    ok = confirm_size(b, {"text": 10_000, "data": 100, "bss": 5_000})
    assert "flash 10,100 of 2,097,152 B" in ok and "SRAM 5,100 of 270,336 B" in ok
    with pytest.raises(FitError, match=r"SRAM 270,337 B > 270,336 B"):
        confirm_size(b, {"text": 10_000, "data": 1, "bss": 270_336})


def test_missing_tools_name_the_debian_packages(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.raises(ToolMissingError, match="gcc-arm-none-eabi libnewlib-arm-none-eabi.*qemu-system-arm"):
        require_tools("arm-none-eabi-gcc", "qemu-system-arm")


def test_patch_mode_project_fits_estimate(arm_gcc, shared_models, tmp_path):
    """Patch-based code carries tile tables in <name>.c: the flash estimate must still cover the build."""
    from mcucompile.codegen.generate import Options
    b = get_board("rpi-pico")
    out = tmp_path / "fw"
    c = api.compile_model(shared_models / "vww_96_int8.tflite", out, options=Options(patch_mode="auto"),
                          board=b.name)
    p = subprocess.run(["make", "-C", str(out)], capture_output=True, text=True)
    assert p.returncode == 0 and "warning:" not in p.stdout + p.stderr, p.stdout + p.stderr
    size = elf_size(out / f"{c.graph.name}.elf")
    fit = fit_check(c, b)
    assert size["flash"] <= fit.flash_needed and size["sram"] <= fit.sram_needed


def test_analyze_board_reports_fit_without_raising(tmp_path, shared_models):
    """`analyze --board` plans for the board's kernels and reports the fit (both ways), never raises."""
    model = _model(tmp_path, 300_000, 1)
    b = get_board("nrf52840dk")
    r = CliRunner().invoke(main, ["analyze", str(model), "--board", b.name])
    assert r.exit_code == 0, r.output
    f = fit_check(compile_graph(api.load(model)), b)
    assert f"{f.sram_needed - b.sram.length:,} B TOO MANY" in r.output
    a = api.analyze(model, board=b.name)
    assert a.board == b.name and a.fit["fits"] is False and a.fit["sram"]["needed"] == f.sram_needed
    # the DSP cores' 1x1 conv scratch: planned on qemu-m4 (Armv7E-M) with --scratch always, not on the M0+
    # or without a board; by default (free) not where it raises the peak, as on kws (every 1x1 conv is at
    # the peak): then the M4's plan is the plain one
    kws = shared_models / "kws_ref_model.tflite"
    plain, m4, m0 = api.analyze(kws), api.analyze(kws, board="qemu-m4"), api.analyze(kws, board="rpi-pico")
    m4_always = api.analyze(kws, api.Options(scratch="always"), board="qemu-m4")
    assert plain.fit is None and m0.peak_sram_bytes == plain.peak_sram_bytes == m4.peak_sram_bytes
    assert m4_always.peak_sram_bytes == plain.peak_sram_bytes + 512      # 8 x 64 input channels
    assert m4.fit["fits"] and m4.fit["sram"]["arena"] == m4.peak_sram_bytes
    r = CliRunner().invoke(main, ["analyze", str(kws), "--board", "qemu-m4", "--json"])
    assert json.loads(r.output)["fit"]["sram"]["needed"] == m4.fit["sram"]["needed"]
    # the DSP cores' pre-widened 1x1 weights (--wide-weights on; auto widens none of kws's convs since the
    # int8 pairs kernels leave them too little to save) count in the flash figures: more than with
    # --wide-weights off (kws's 1x1 convs have 64 input channels: the int8 copies left out)
    def flash(mode):
        r = CliRunner().invoke(main, ["analyze", str(kws), "--board", "qemu-m4", "--json", "--wide-weights", mode])
        return json.loads(r.output)["fit"]["flash"]["weights"]
    flash_on, flash_off = flash("on"), flash("off")
    assert flash_off < flash_on and flash_off <= m4.fit["flash"]["weights"] <= flash_on
    # no DSP: no stream; with --wide-weights off qemu-m4 adds only the DSP window kernels' widened weights
    # (win_w) where a window kernel runs: kws's first conv (10x4 windows of 1 channel, 64 out) takes the
    # pair-interleaved int8 filter instead (the same bytes in another order), so both boards' weights agree
    off = compile_graph(api.load(kws), api.Options(simd="dsp", wide_weights="off"))
    assert off.calls[0].func == "mcu_conv_im2col_wide_pairs_s8_dsp"
    win_w = sum(np.asarray(k.values).nbytes for k in off.consts if k.name.endswith("_win_w"))
    assert api.analyze(kws, board="rpi-pico").fit["flash"]["weights"] == flash_off - win_w
