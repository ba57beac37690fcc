"""`compile --project cmake|zephyr|arduino|platformio`: the model as a library for the build people use.
The CMake one is built, installed and consumed with find_package by the host compiler (and its result
checked against TFLite Micro) and built by arm-none-eabi-gcc; the Zephyr, Arduino and PlatformIO
layouts are checked and their sources built with the flags they declare (their own tools would download
SDKs, which CI cannot)."""

from __future__ import annotations

import json
import subprocess

import numpy as np
import pytest
from conftest import ROOT, need_tools

from mcucompile.api import compile_model, load, random_inputs
from mcucompile.codegen.generate import Options
from mcucompile.errors import McuCompileError
from mcucompile.sim.reference import run_reference

EXAMPLE = ROOT / "examples" / "tiny_cnn_int8.tflite"
NAME = "tiny_cnn_int8"
WARN = ["-std=c99", "-O1", "-Wall", "-Wextra", "-Werror"]

APP = r"""
#include <stdio.h>
#include <tiny_cnn_int8.h>
static uint8_t arena[TINY_CNN_INT8_ARENA_SIZE] __attribute__((aligned(TINY_CNN_INT8_ARENA_ALIGN)));
int main(int argc, char **argv)
{
    static int8_t in[TINY_CNN_INT8_INPUT0_BYTES], out[TINY_CNN_INT8_OUTPUT0_BYTES];
    FILE *f = fopen(argv[1], "rb");
    if (fread(in, 1, sizeof in, f) != sizeof in) return 1;
    fclose(f);
    const void *inputs[] = { in };
    void *outputs[] = { out };
    tiny_cnn_int8_invoke(arena, inputs, outputs);
    fwrite(out, 1, sizeof out, stdout);
    return 0;
}
"""


def _run(cmd, **kw):
    p = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)
    assert p.returncode == 0, (cmd, p.stdout[-2000:], p.stderr[-2000:])
    return p


def test_cmake_target_installs_and_is_found(tmp_path):
    need_tools("cmake", "gcc", "make")
    lib = tmp_path / "lib"
    compile_model(EXAMPLE, lib, project="cmake")
    _run(["cmake", "-S", lib, "-B", tmp_path / "b", "-DCMAKE_BUILD_TYPE=Release"])
    _run(["cmake", "--build", tmp_path / "b"])
    _run(["cmake", "--install", tmp_path / "b", "--prefix", tmp_path / "inst"])
    app = tmp_path / "app"
    app.mkdir()
    (app / "main.c").write_text(APP)
    (app / "CMakeLists.txt").write_text(
        "cmake_minimum_required(VERSION 3.16)\nproject(app C)\n"
        f"find_package({NAME} CONFIG REQUIRED)\nadd_executable(app main.c)\n"
        f"target_link_libraries(app PRIVATE mcucompile::{NAME})\n")
    _run(["cmake", "-S", app, "-B", tmp_path / "ab", f"-DCMAKE_PREFIX_PATH={tmp_path / 'inst'}"])
    _run(["cmake", "--build", tmp_path / "ab"])
    g = load(EXAMPLE)
    (x,) = random_inputs(g, 1, seed=4)
    (tmp_path / "x.bin").write_bytes(x[0].tobytes())
    ours = np.frombuffer(subprocess.run([str(tmp_path / "ab" / "app"), str(tmp_path / "x.bin")],
                                        capture_output=True, check=True).stdout, np.int8)
    ref = run_reference("tflm", EXAMPLE, [x], 1)
    assert ref.outputs is not None, ref.error
    assert np.array_equal(ours, ref.outputs[0].reshape(-1))


def test_cmake_target_cross_builds(tmp_path):
    need_tools("cmake", "arm-none-eabi-gcc")
    lib = tmp_path / "lib"
    compile_model(EXAMPLE, lib, Options(simd="dsp"), project="cmake")
    _run(["cmake", "-S", lib, "-B", tmp_path / "b", "-DCMAKE_SYSTEM_NAME=Generic",
          "-DCMAKE_C_COMPILER=arm-none-eabi-gcc", "-DCMAKE_TRY_COMPILE_TARGET_TYPE=STATIC_LIBRARY",
          "-DCMAKE_C_FLAGS=-mcpu=cortex-m4 -mthumb -mfloat-abi=hard -mfpu=fpv4-sp-d16"])
    _run(["cmake", "--build", tmp_path / "b"])
    nm = _run(["arm-none-eabi-nm", tmp_path / "b" / f"lib{NAME}.a"]).stdout
    assert f" T {NAME}_invoke" in nm and f" T {NAME}_quantize_input0" in nm


def _build_sources(srcdir, flags):
    for c in sorted(srcdir.glob("*.c")):
        _run(["gcc", *WARN, *flags, "-I", srcdir, "-c", c, "-o", c.with_suffix(".o")])
    return sorted(srcdir.glob("*.o"))


def test_zephyr_module(tmp_path):
    need_tools("gcc")
    out = tmp_path / "mod"
    c = compile_model(EXAMPLE, out, Options(kernels="reference"), project="zephyr")
    yml = (out / "zephyr" / "module.yml").read_text()
    assert "build:\n  cmake: .\n  kconfig: Kconfig\n" in yml
    assert f"config MCUCOMPILE_{NAME.upper()}\n" in (out / "Kconfig").read_text()
    cm = (out / "CMakeLists.txt").read_text()
    assert f"if(CONFIG_MCUCOMPILE_{NAME.upper()})" in cm
    assert "zephyr_library_compile_definitions(MCU_NN_REFERENCE)" in cm
    listed = {line.strip() for line in cm.splitlines() if line.strip().endswith(".c")}
    assert listed == {f for f in c.files if f.endswith(".c")} == {p.name for p in out.glob("*.c")}
    assert len(_build_sources(out, ["-DMCU_NN_REFERENCE"])) == len(listed)


def test_arduino_library(tmp_path):
    need_tools("gcc")
    out = tmp_path / "lib"
    compile_model(EXAMPLE, out, project="arduino")
    props = dict(line.split("=", 1) for line in (out / "library.properties").read_text().splitlines() if line)
    assert {"name", "version", "author", "maintainer", "sentence", "paragraph", "category", "url",
            "architectures"} <= set(props)
    assert props["name"] == NAME and props["includes"] == f"{NAME}.h"
    assert not list(out.glob("*.c")) and (out / "src" / f"{NAME}.h").exists()
    assert _build_sources(out / "src", [])
    with pytest.raises(McuCompileError, match="an Arduino library cannot carry compile definitions"):
        compile_model(EXAMPLE, tmp_path / "ref", Options(kernels="reference"), project="arduino")


def test_platformio_library(tmp_path):
    need_tools("gcc")
    out = tmp_path / "lib"
    compile_model(EXAMPLE, out, Options(kernels="no-asm"), project="platformio")
    doc = json.loads((out / "library.json").read_text())
    assert doc["name"] == NAME and doc["build"] == {"srcDir": "src", "includeDir": "src", "flags": ["-DMCU_NN_NO_ASM"]}
    assert _build_sources(out / "src", doc["build"]["flags"])


def test_project_refusals(tmp_path):
    with pytest.raises(McuCompileError, match="unknown project kind 'bazel'"):
        compile_model(EXAMPLE, tmp_path / "x", project="bazel")
    with pytest.raises(McuCompileError, match="--project lays out a model library; --board writes a whole firmware"):
        compile_model(EXAMPLE, tmp_path / "y", board="qemu-m4", project="cmake")
