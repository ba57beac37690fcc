"""The conv kernel variants: the compiler chooses one per op (mcucompile/kernels/conv.py) and calls it by name;
each variant's scratch size in Python equals its C *_get_buffer_size (firmware/mcu_nn.h) over a sweep of
shapes; the generated project carries only the files of the variants it calls."""

from __future__ import annotations

import itertools
import re
import subprocess
from types import SimpleNamespace

from conftest import need_tools

from mcucompile import FIRMWARE_DIR
from mcucompile.kernels.conv import VARIANTS, choose

# (in.c, kh, kw, out.c, depth multiplier): first layers, pointwise, depthwise, big windows, odd channels
SHAPES = [(c, kh, kw, oc, m) for c, (kh, kw), oc, m in itertools.product(
    (1, 2, 3, 4, 5, 8, 12, 16, 37, 64, 255),
    ((1, 1), (3, 3), (5, 5), (1, 7), (7, 1), (10, 4)),
    (1, 3, 8, 16, 17, 96),
    (1, 2, 3, 8))]


def _attrs(depthwise: bool, m: int, stride=1, dilation=1):
    return SimpleNamespace(stride_h=stride, stride_w=stride, dilation_h=dilation, dilation_w=dilation,
                           depth_multiplier=m if depthwise else 1, padding="SAME", pads=None)


def test_every_variant_is_declared_in_the_public_header():
    header = (FIRMWARE_DIR / "mcu_nn.h").read_text()
    declared = set(re.findall(r"^MCU_CONV_VARIANT\((\w+)\)", header, re.M))
    # (the pair-interleaved wide convs in their own header, which mcu_nn.h includes)
    assert '#include "mcu_nn_pairs.h"' in header
    pairs = (FIRMWARE_DIR / "mcu_nn_pairs.h").read_text()
    declared |= set(re.findall(r"^void (\w+)\(const mcu_conv_params_t \*p", pairs, re.M))
    # the Helium variants with their own argument layouts: declared in mcu_nn_helium.h (included by mcu_nn.h)
    assert '#include "mcu_nn_helium.h"' in header
    helium = (FIRMWARE_DIR / "mcu_nn_helium.h").read_text()
    declared |= set(re.findall(r"^void (\w+)\(const mcu_conv_params_t \*p", helium, re.M))
    assert declared == set(VARIANTS)
    for v in VARIANTS.values():
        text = "".join((FIRMWARE_DIR / s).read_text() for s in v.sources)
        # defined in its own files (or by a macro there: DWG_ENTRY(name, ...), MCU_NO_SCRATCH(name))
        assert re.search(rf"^(void {v.name}\(|[A-Z_]+_ENTRY\({v.name},)", text, re.M), v.name
        assert re.search(rf"^(int32_t {v.name}_get_buffer_size\(|MCU_NO_SCRATCH\({v.name}\))", text, re.M), v.name


def test_python_scratch_equals_c_get_buffer_size(tmp_path):
    """For every variant and every shape of the sweep, Variant.scratch == <variant>_get_buffer_size (built
    with the host compiler: the size functions exist on every core, the kernels only on theirs)."""
    need_tools("gcc")
    calls, want = [], []
    for (c, kh, kw, oc, m), v in itertools.product(SHAPES, VARIANTS.values()):
        dw = v.name.startswith("mcu_dwconv")
        out_c = c * m if dw else oc
        d = {"in_c": c, "kh": kh, "kw": kw, "out_c": out_c, "mult": m if dw else 0}
        calls.append(f"    p.in.c = {c}; p.filter.h = {kh}; p.filter.w = {kw}; p.out.c = {out_c}; "
                     f"p.depth_multiplier = {m if dw else 1};\n"
                     f'    printf("%ld\\n", (long){v.name}_get_buffer_size(&p));\n')
        want.append(v.scratch(d))
    src = tmp_path / "sizes.c"
    src.write_text('#include <stdio.h>\n#include "mcu_nn.h"\nint main(void)\n{\n    mcu_conv_params_t p = {0};\n'
                   + "".join(calls) + "    return 0;\n}\n")
    files = sorted({str(FIRMWARE_DIR / s) for v in VARIANTS.values() for s in v.sources})
    exe = tmp_path / "sizes"
    subprocess.run(["gcc", "-std=c99", "-O0", "-Wall", "-Wextra", "-Werror", "-I", str(FIRMWARE_DIR), str(src),
                    *files, "-o", str(exe)], check=True)
    got = [int(v) for v in subprocess.run([str(exe)], check=True, capture_output=True, text=True).stdout.split()]
    assert len(got) == len(want) and len(want) > 10_000
    bad = [(n, g, w) for n, g, w in zip(itertools.product(SHAPES, VARIANTS), got, want) if g != w]
    assert not bad, bad[:10]


def test_choose_reaches_every_variant():
    """Each variant is the compiler's choice for some conv on some target (no dead entry point), and every
    choice is a variant of the target's family or a portable one."""
    seen = set()
    for (c, kh, kw, oc, m), dw, simd, ref, scratch, wide, win, dil in itertools.product(
            SHAPES, (False, True), ("none", "dsp", "dsp-size", "mve"), (False, True), (False, True), (False, True),
            (False, True), (1, 2)):
        out_c = c * m if dw else oc
        x, w, y = (1, 8, 8, c), ((1, kh, kw, out_c) if dw else (out_c, kh, kw, c)), (1, 8, 8, out_c)
        v = choose(x, w, y, _attrs(dw, m, dilation=dil), dw, simd, reference=ref, scratch=scratch, wide=wide,
                   win=win)
        assert v.simd in ("none", simd.split("-")[0]), (v.name, simd)
        assert v.name.startswith("mcu_dwconv" if dw else "mcu_conv_"), v.name
        assert not ref or v.name.endswith("_ref_s8"), v.name
        seen.add(v.name)
    # Helium's 1-D depthwise (mcu_dwconv_seq_s8_mve) takes [1, T, 1, C] maps, which the 8 x 8 ones above miss
    a = _attrs(True, 1)
    a.padding = "VALID"
    seen.add(choose((1, 12, 1, 8), (1, 3, 1, 8), (1, 10, 1, 8), a, True, "mve").name)
    assert seen == set(VARIANTS)
