"""Several models in one firmware (`compile A B -o DIR`): each model's prefixed sources, the kernels
once, one Makefile and mcucompile_models.h with one shared arena (the largest) or, with --concurrent,
one region each. Built into one host program and into one Cortex-M4 firmware under QEMU, both models
bit-exact with TFLite Micro; concurrently planned models keep each other's results."""

from __future__ import annotations

import re
import shutil
import subprocess

import numpy as np
import pytest
from conftest import ROOT, need_tools

from mcucompile.api import compile_model, compile_models, load, random_inputs
from mcucompile.codegen.generate import Options
from mcucompile.errors import McuCompileError
from mcucompile.sim.reference import run_reference

A = ROOT / "examples" / "tiny_cnn_int8.tflite"
B = ROOT.parent / "shared" / "models" / "kws_ref_model.tflite"
NA, NB = "tiny_cnn_int8", "kws_ref_model"


def _c_bytes(name: str, a: np.ndarray) -> str:
    return f"static const int8_t {name}[{a.size}] = {{{', '.join(str(int(v)) for v in a.reshape(-1))}}};\n"


def _main(xa: np.ndarray, xb: np.ndarray, out: str) -> str:
    """Runs A, then B, then prints A's output as left in its arena place and B's: "name HEX" lines via
    `out(text)` (printf on the host, the board console under QEMU)."""
    return ("#include <stdint.h>\n#include <stdio.h>\n#include \"mcucompile_models.h\"\n" + out + "\n"
            + _c_bytes("xa", xa) + _c_bytes("xb", xb) + f"""
static uint8_t arena[MODELS_ARENA_SIZE] __attribute__((aligned(MODELS_ARENA_ALIGN)));
static void show(const char *name, const int8_t *p, int n)
{{
    static const char hex[] = "0123456789abcdef";
    static char line[4096];
    int k = 0;
    for (const char *s = name; *s; ++s) line[k++] = *s;
    line[k++] = ' ';
    for (int i = 0; i < n; ++i) {{ line[k++] = hex[(uint8_t)p[i] >> 4]; line[k++] = hex[(uint8_t)p[i] & 15]; }}
    line[k++] = '\\n';
    line[k] = 0;
    out(line);
}}
int run_both(void)
{{
    static int8_t ya[{NA.upper()}_OUTPUT0_BYTES], yb[{NB.upper()}_OUTPUT0_BYTES];
    uint8_t *ra = arena + MODELS_{NA.upper()}_ARENA_OFFSET, *rb = arena + MODELS_{NB.upper()}_ARENA_OFFSET;
    const void *ia[] = {{ xa }}, *ib[] = {{ xb }};
    void *oa[] = {{ ya }}, *ob[] = {{ yb }};
    {NA}_invoke(ra, ia, oa);
    {NB}_invoke(rb, ib, ob);
    show("a", ya, sizeof ya);
    show("b", yb, sizeof yb);
    show("a_in_arena", (const int8_t *){NA}_output(ra, 0), sizeof ya);
    return 0;
}}
""")


def _parse(console: str) -> dict[str, np.ndarray]:
    return {m.group(1): np.frombuffer(bytes.fromhex(m.group(2)), np.int8)
            for m in re.finditer(r"^(\w+) ([0-9a-f]+)$", console, re.M)}


@pytest.fixture(scope="module")
def case():
    xa, = random_inputs(load(A), 1, seed=7)
    xb, = random_inputs(load(B), 1, seed=8)
    ra, rb = run_reference("tflm", A, [xa], 1), run_reference("tflm", B, [xb], 1)
    assert ra.outputs is not None and rb.outputs is not None, (ra.error, rb.error)
    return xa[0], xb[0], ra.outputs[0].reshape(-1), rb.outputs[0].reshape(-1)


@pytest.mark.parametrize("concurrent", [False, True], ids=["shared", "concurrent"])
def test_two_models_one_host_program(tmp_path, case, concurrent):
    need_tools("gcc", "make")
    xa, xb, ya, yb = case
    lib = tmp_path / "lib"
    cs = compile_models([A, B], lib, concurrent=concurrent)
    header = (lib / "mcucompile_models.h").read_text()
    sizes = [c.arena_bytes for c in cs]
    want = sum(-(-s // 16) * 16 for s in sizes) if concurrent else max(sizes)
    assert f"#define MODELS_ARENA_SIZE {want}\n" in header
    subprocess.run(["make", "-s", "-C", str(lib)], check=True, capture_output=True)
    (tmp_path / "main.c").write_text(_main(xa, xb, "static void out(const char *s) { fputs(s, stdout); }")
                                     + "int main(void) { return run_both(); }\n")
    exe = tmp_path / "both"
    subprocess.run(["gcc", "-std=c99", "-O1", "-Wall", "-Werror", "-I", str(lib), str(tmp_path / "main.c"),
                    str(lib / "libmcucompile_models.a"), "-o", str(exe)], check=True, capture_output=True)
    got = _parse(subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout)
    assert np.array_equal(got["a"], ya) and np.array_equal(got["b"], yb)
    # A's output is in its arena region: B overwrote the shared arena, not A's own region
    assert np.array_equal(got["a_in_arena"], ya) == concurrent


def test_two_models_one_firmware_on_qemu_m4(tmp_path, case):
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    from mcucompile.boards import get_board
    from mcucompile.sim.target import run_qemu
    xa, xb, ya, yb = case
    fw = tmp_path / "fw"
    compile_models([A, B], fw, Options(simd="dsp"))
    bsp = tmp_path / "bsp"                   # the board support of a one-model firmware project
    compile_model(A, bsp, Options(simd="dsp"), board="qemu-m4")
    for f in ("fw_board.c", "fw_board.h", "fw_startup.c", "fw_qemu_m4.ld"):
        shutil.copy(bsp / f, fw / f)
    (fw / "main.c").write_text(_main(xa, xb, '#include "fw_board.h"\nstatic void out(const char *s) '
                                             '{ board_puts(s); }')
                               + "int main(void) { board_init(); run_both(); board_puts(\"mcu:checksum 0\\n\"); "
                                 "return 0; }\n")
    flags = ["-mthumb", "-mcpu=cortex-m4", "-mfpu=fpv4-sp-d16", "-mfloat-abi=hard"]
    srcs = sorted(p.name for p in fw.glob("*.c"))
    elf = fw / "both.elf"
    subprocess.run(["arm-none-eabi-gcc", "-std=c99", "-O2", "-Wall", "-Werror", "-ffunction-sections",
                    "-fdata-sections", *flags, "-T", "fw_qemu_m4.ld", "-nostartfiles", "--specs=nano.specs",
                    "--specs=nosys.specs", "-Wl,--gc-sections", "-Wl,--no-warn-rwx-segments", *srcs, "-o",
                    elf.name], cwd=fw, check=True, capture_output=True)
    console, _ = run_qemu(get_board("qemu-m4"), elf, count=False, timeout=300)
    got = _parse(console)
    assert np.array_equal(got["a"], ya) and np.array_equal(got["b"], yb)


def test_refusals(tmp_path):
    from click.testing import CliRunner

    from mcucompile.cli import main
    r = CliRunner().invoke(main, ["compile", str(A), str(B), "-o", str(tmp_path / "z"), "--project", "cmake"])
    assert r.exit_code == 2 and "several models go into one library folder: --board and --project take one model" \
        in r.output
    with pytest.raises(McuCompileError, match="compile_models takes two or more models"):
        compile_models([A], tmp_path / "x")
    with pytest.raises(McuCompileError, match="two models are named 'tiny_cnn_int8'"):
        compile_models([A, A], tmp_path / "y")
