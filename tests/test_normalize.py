"""Graph normalisation (passes/normalize.py) on PyTorch-layout models: explicit PADs folded into the convs
and max pools that read them, the input's NCHW -> NHWC TRANSPOSE dropped with --input-layout nhwc; every
rewrite bit-exact against TFLite Micro (and LiteRT's reference kernels) running the unrewritten file."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from mcucompile.api import load, model_layout, simulate
from mcucompile.codegen.generate import Options, compile_graph, render
from mcucompile.errors import McuCompileError
from mcucompile.frontend.tflite_reader import read_tflite
from mcucompile.passes.normalize import normalize


def _cli(*args):
    return subprocess.run([sys.executable, "-m", "mcucompile.cli", *map(str, args)], capture_output=True,
                          text=True, cwd=ROOT)


def test_pad_zoo_folds_what_is_exact_and_keeps_the_rest(pad_zoo):
    raw = read_tflite(pad_zoo)
    g = normalize(raw)
    folds = [r for r in g.rewrites if r.kind == "fold_pad"]
    # which op absorbed each PAD, by kind (the model file's numbering)
    assert [(raw.ops[r.op].kind, raw.ops[r.into].kind) for r in folds] == [
        ("PAD", "CONV_2D"), ("PAD", "CONV_2D"), ("PAD", "CONV_2D"), ("PAD", "MAX_POOL_2D"),
        ("PADV2", "MAX_POOL_2D")]
    convs = [op for op in g.ops if op.kind == "CONV_2D"]
    # PyTorch's padding=1 on a 17x18 input, 3x3 stride 2: 9x9 outputs; the last window's rows reach one
    # row past the input (16 + 1 = 17 >= 17), its columns do not (16 + 2 - 1 = 17 < 18)
    assert convs[0].attrs.padding == "EXPLICIT" and convs[0].attrs.pads == (1, 1, 1, 0)
    # more padding than the window: 2 on every side of a 3x3 stride-1 conv (output larger than input)
    assert convs[1].attrs.pads == (2, 2, 2, 2)
    # dilation 2 with pads (top 2, bottom 1, left 1, right 2) on 11x11: 14x14 padded, 10x10 out
    assert convs[2].attrs.pads == (2, 1, 1, 2)
    # kept: the PAD before the average pool (it counts padded pixels) and the PADV2 whose value is not the
    # zero point (padded taps would add to the conv's sums)
    kept = [op.kind for op in g.ops if op.kind in ("PAD", "PADV2")]
    assert kept == ["PAD", "PADV2"]
    nxt = {g.ops[k + 1].kind for k, op in enumerate(g.ops) if op.kind in ("PAD", "PADV2")}
    assert nxt == {"AVERAGE_POOL_2D", "CONV_2D"}
    # op indices are positions again; without anything to fold the graph comes back unchanged
    assert [op.index for op in g.ops] == list(range(len(g.ops)))
    assert normalize(g) is g


@pytest.mark.parametrize("layout,patch", [("model", "none"), ("nhwc", "none"), ("nhwc", "auto")])
def test_pad_zoo_bit_exact(pad_zoo, layout, patch):
    r = simulate(pad_zoo, samples=6, options=Options(input_layout=layout, patch_mode=patch, io_in_arena=False))
    assert r.ok, [(c.reference, c.mismatches, c.error) for c in r.comparisons]
    assert all(c.available and c.mismatches == 0 for c in r.comparisons)


def test_input_transpose_dropped_only_with_nhwc(pad_zoo, tmp_path):
    kept = load(pad_zoo)
    assert kept.ops[0].kind == "TRANSPOSE" and kept.tensors[kept.inputs[0]].shape == (1, 3, 17, 18)
    g = load(pad_zoo, input_layout="nhwc")
    assert g.ops[0].kind == "CONV_2D" and g.tensors[g.inputs[0]].shape == (1, 17, 18, 3)
    (drop,) = [r for r in g.rewrites if r.kind == "drop_input_transpose"]
    assert drop.perm == (0, 2, 3, 1) and drop.input == 0
    # the references get the caller's NHWC samples back in the model's NCHW layout
    x = np.arange(2 * 17 * 18 * 3, dtype=np.int64).reshape(2, 1, 17, 18, 3)
    back = model_layout(g, [x])[0]
    assert back.shape == (2, 1, 3, 17, 18) and back[1, 0, 2, 5, 7] == x[1, 0, 5, 7, 2]
    # the generated header says what the caller passes
    header = render(compile_graph(g, Options(input_layout="nhwc")))[f"{g.name}.h"]
    assert "PAD_ZOO_INPUT0_LAYOUT_NHWC 1" in header and "TRANSPOSE from NCHW was dropped" in header
    assert "LAYOUT_NHWC" not in render(compile_graph(kept))[f"{kept.name}.h"]
    with pytest.raises(McuCompileError, match="unknown input layout 'nchw'; one of model, nhwc"):
        normalize(read_tflite(pad_zoo), "nchw")


def test_analyze_lists_the_rewrites(pad_zoo):
    p = _cli("analyze", pad_zoo, "--input-layout", "nhwc")
    assert p.returncode == 0, p.stderr
    assert "graph normalisation: 6 rewrite(s)" in p.stdout
    assert "op 0 TRANSPOSE NCHW -> NHWC of input 0 dropped: the caller passes NHWC [1, 17, 18, 3]" in p.stdout
    assert "op 1 PAD [1, 19, 20, 3] folded into op 2 CONV_2D (pads t1 l1 b1 r0; pad value" in p.stdout
    j = json.loads(_cli("analyze", pad_zoo, "--json").stdout)
    assert [r["kind"] for r in j["rewrites"]] == ["fold_pad"] * 5
    assert j["rewrites"][0]["op"] == 1 and j["rewrites"][0]["into"] == 2


def test_mobilenet_v2_torch_layout(mobilenet_v2_torch):
    raw = read_tflite(mobilenet_v2_torch)
    g = normalize(raw, "nhwc")
    # every PAD of the export sits before a stride-2 conv or depthwise conv and folds
    assert sum(op.kind == "PAD" for op in raw.ops) == 5 and not any(op.kind == "PAD" for op in g.ops)
    before = compile_graph(raw, Options(io_in_arena=False)).plan
    after = compile_graph(g, Options(io_in_arena=False)).plan
    # the padded copies were the peak: gone, and the arena stays at its lower bound
    assert after.arena_bytes < before.arena_bytes and after.arena_bytes == after.lower_bound
    r = simulate(mobilenet_v2_torch, samples=3, options=Options(input_layout="nhwc", patch_mode="auto",
                                                          io_in_arena=False))
    assert r.ok and all(c.available and c.mismatches == 0 for c in r.comparisons)
    assert r.touched_bytes <= r.arena_bytes


def test_mobilenet_v2_torch_layout_on_cortex_m4(mobilenet_v2_torch, qemu_toolchain):
    r = simulate(mobilenet_v2_torch, samples=2, board="qemu-m4", references=("tflm",),
                 options=Options(input_layout="nhwc", patch_mode="auto", io_in_arena=False))
    assert r.ok and r.comparisons[0].available and r.comparisons[0].mismatches == 0
