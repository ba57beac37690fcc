"""The generated C cross-built for Cortex-M4/M7/M55 and run under QEMU: bit-exact with TFLite Micro, and
exact, repeatable instruction counts from the project's TCG plugin."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import INT8_MODELS

from mcucompile import api
from mcucompile.boards import get_board
from mcucompile.boards.firmware import render_firmware
from mcucompile.codegen.generate import compile_graph, render
from mcucompile.sim.target import build_firmware, function_profiles, run_qemu

CORES = ["qemu-m4", "qemu-m7", "qemu-m55"]
FAST_MODELS = ["hello_world_int8.tflite", "micro_speech_quantized.tflite"]


pytestmark = pytest.mark.usefixtures("qemu_toolchain")


def _check(r: api.SimResult, board: str):
    tflm = r.comparisons[0]
    assert tflm.reference == "tflm" and tflm.available, tflm.error
    assert tflm.mismatches == 0, f"{r.model} on {board}: {tflm.mismatches} mismatches at {tflm.first_index}"
    assert r.ok and r.guard_violations == 0 and r.nondeterministic == 0
    assert 0 < r.touched_extent <= r.arena_bytes
    assert r.extra["board"] == board and r.extra["instructions"] > 0


@pytest.mark.parametrize("board", CORES)
@pytest.mark.parametrize("model", FAST_MODELS)
def test_bit_exact_under_qemu(model, board, shared_models):
    r = api.simulate(shared_models / model, samples=3, seed=1, board=board)
    _check(r, board)


@pytest.mark.slow
@pytest.mark.parametrize("board", CORES)
@pytest.mark.parametrize("model", [m for m in INT8_MODELS if m not in FAST_MODELS])
def test_all_models_bit_exact_under_qemu(model, board, shared_models):
    r = api.simulate(shared_models / model, samples=3, seed=2, board=board)
    _check(r, board)


def test_instruction_count_is_repeatable(shared_models):
    model = shared_models / "kws_ref_model.tflite"
    a = api.simulate(model, samples=2, seed=3, board="qemu-m4", references=())
    b = api.simulate(model, samples=2, seed=3, board="qemu-m4", references=())
    assert a.extra["instructions"] == b.extra["instructions"]
    assert (a.extra["instructions_min"], a.extra["instructions_max"]) == \
           (b.extra["instructions_min"], b.extra["instructions_max"])
    # each kws inference does at least one instruction per MAC
    macs = api.analyze(model).macs
    assert a.extra["instructions"] > macs
    # where they go: every instruction is in some function; kws is conv + depthwise conv
    funcs = a.extra["instructions_by_function"]
    assert sum(funcs.values()) == a.extra["instructions"] and funcs == b.extra["instructions_by_function"]
    import json

    from mcucompile.boards.codesize import TABLE
    from mcucompile.kernels.conv import VARIANTS
    conv_files = {f for v in VARIANTS.values() for f in v.sources}
    table = json.loads(TABLE.read_text())["cortex-m4"]["functions"]       # every kernel function and its file
    conv_funcs = {name.split("::")[-1] for name, (_, f) in table.items() if f in conv_files}
    conv = sum(n for f, n in funcs.items() if f.split(".")[0] in conv_funcs)
    assert conv > 0.9 * a.extra["instructions"] and "kws_ref_model_invoke" in funcs


@pytest.mark.parametrize("board", CORES)
def test_plugin_counts_exactly(board, shared_models, tmp_path):
    """Independent truth: N `nop`s between the markers count N more than an empty interval."""
    g = api.load(shared_models / "hello_world_int8.tflite")
    c = compile_graph(g)
    render(c)
    b = get_board(board)
    files = render_firmware(c, b, api.random_inputs(g, 1))
    files["fw_main.c"] = """#include "fw_board.h"
__attribute__((noinline)) void fw_count_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void fw_count_end(void) { __asm__ volatile("" ::: "memory"); }
#define INTERVAL(body) __asm__ volatile("bl fw_count_begin\\n\\t" body "bl fw_count_end" \\
                                        ::: "r0", "r1", "r2", "r3", "r12", "lr", "cc", "memory")
/* 500 nops and a return: 501 instructions, all counted to this function */
__attribute__((noinline, naked)) void five_hundred(void)
{ __asm__ volatile(".rept 500\\n\\tnop\\n\\t.endr\\n\\tbx lr"); }
int main(void)
{
    INTERVAL("");
    INTERVAL(".rept 1000\\n\\tnop\\n\\t.endr\\n\\t");
    INTERVAL("adds r0, r0, #1\\n\\t");
    INTERVAL("bl five_hundred\\n\\tbl five_hundred\\n\\t");
    board_puts("mcu:checksum 0x00000000\\n");
    return 0;
}
"""
    elf, _ = build_firmware(files, tmp_path / "fw")
    _, counts = run_qemu(b, elf)
    assert len(counts) == 4
    assert counts[1] - counts[0] == 1000
    assert counts[2] - counts[0] == 1
    assert counts[3] - counts[0] == 2 + 2 * 501
    # per function: the two calls' 1002 instructions go to five_hundred, the rest to main and the markers
    prof = function_profiles(elf)
    assert len(prof) == 4 and prof[3]["five_hundred"] == 1002 and "five_hundred" not in prof[1]
    assert all(sum(p.values()) == n for p, n in zip(prof, counts))
    assert run_qemu(b, elf)[1] == counts


def test_outputs_match_host_build(shared_models):
    """The same generated C gives the same bytes on the host and on the M55."""
    model = shared_models / "micro_speech_quantized.tflite"
    g = api.load(model)
    x = api.random_inputs(g, 2, seed=9)
    host = api.simulate(model, inputs=x, references=(), sanitize=False)
    m55 = api.simulate(model, inputs=x, references=(), board="qemu-m55")
    for a, b in zip(host.outputs, m55.outputs):
        np.testing.assert_array_equal(a, b)
    assert m55.touched_bytes == host.touched_bytes and m55.touched_extent == host.touched_extent


def test_simulate_refuses_a_real_board(shared_models):
    from mcucompile.errors import McuCompileError
    with pytest.raises(McuCompileError, match="real board.*mcucompile flash"):
        api.simulate(shared_models / "hello_world_int8.tflite", samples=1, board="nucleo-f767zi")


def test_cli_simulate_on_board_json(shared_models, tmp_path):
    import json

    from click.testing import CliRunner

    from mcucompile.cli import main
    from mcucompile.sim.reference import run_reference
    model = shared_models / "hello_world_int8.tflite"
    x = np.arange(-3, 3, dtype=np.int8).reshape(6, 1, 1)
    np.save(tmp_path / "x.npy", x)
    r = CliRunner().invoke(main, ["simulate", str(model), "--board", "qemu-m7", "--input", str(tmp_path / "x.npy"),
                                  "--output", str(tmp_path / "y.npy"), "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["ok"] and doc["board"] == "qemu-m7" and doc["instructions"] > 0 and doc["samples"] == 6
    ref = run_reference("tflm", model, [x], 1)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), ref.outputs[0])
    r = CliRunner().invoke(main, ["simulate", str(model), "--board", "qemu-m55", "--samples", "2"])
    assert r.exit_code == 0, r.output
    assert "run on qemu-m55" in r.output and "instructions" in r.output and "bit-exact" in r.output


@pytest.mark.slow
@pytest.mark.parametrize("kernels,board", [("no-asm", "qemu-m4"), ("no-asm", "qemu-m55"), ("reference", "qemu-m4")])
@pytest.mark.parametrize("model", INT8_MODELS)
def test_plain_c_paths_bit_exact_under_qemu(model, kernels, board, shared_models):
    """--kernels no-asm (MCU_NN_NO_ASM): the DSP fast paths' plain-C twins of their inline assembly, on the
    cores that take those paths (the M55 takes its DSP paths where Helium has none); --kernels reference
    (MCU_NN_REFERENCE): the plain loops a core without DSP runs. Both bit-exact with TFLite Micro."""
    r = api.simulate(shared_models / model, samples=2, seed=3, board=board, options=api.Options(kernels=kernels))
    _check(r, board)


@pytest.mark.slow
@pytest.mark.parametrize("model", INT8_MODELS)
def test_optimise_size_bit_exact_under_qemu(model, shared_models):
    """--optimise size (the small-code kernels of the DSP cores: 2 x 2 blocks, depthwise without the pixel
    pairs, window kernels for first layers) bit-exact with TFLite Micro on qemu-m4."""
    r = api.simulate(shared_models / model, samples=2, seed=3, board="qemu-m4", options=api.Options(optimise="size"))
    _check(r, "qemu-m4")


def test_kernel_sets_really_build_other_code(shared_models):
    """--kernels reaches the kernels: the same bit-exact run takes more instructions without the assembly
    (vww_96_int8: 1.7x, the twins are plain C) and more still with the reference loops only."""
    runs = {k: api.simulate(shared_models / "vww_96_int8.tflite", samples=1, board="qemu-m4",
                            options=api.Options(kernels=k)) for k in ("fast", "no-asm", "reference")}
    for r in runs.values():
        _check(r, "qemu-m4")
        assert r.outputs[0].tobytes() == runs["fast"].outputs[0].tobytes()
    counts = {k: r.extra["instructions"] for k, r in runs.items()}
    assert counts["reference"] > counts["no-asm"] > 1.2 * counts["fast"], counts


def test_an_unknown_kernel_set_is_refused(shared_models):
    from mcucompile.errors import McuCompileError
    with pytest.raises(McuCompileError) as e:
        api.analyze(shared_models / "hello_world_int8.tflite", api.Options(kernels="turbo"))
    assert str(e.value) == "unknown kernel set 'turbo'; one of fast, no-asm, reference"
