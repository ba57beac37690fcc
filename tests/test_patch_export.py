"""Patch stages over the ops that exported networks put in their first layers (issue: patch-based
inference on the networks people export): pointwise ops (unary activations, int8 QUANTIZE), resizes
(bilinear with half-pixel centres or align_corners, nearest neighbour; up and down) and channel
concatenations inside recompute and row-cached stages, the model's last op included, bit-exact against
TFLite Micro on the unrewritten model file, with the arena's touched bytes inside the plan."""

import numpy as np
import pytest

from mcucompile.api import load, random_inputs, simulate
from mcucompile.codegen.generate import Options, compile_graph
from mcucompile.passes.memory_plan import check_plan
from mcucompile.passes.patch_plan import even_split, make_schedule, stage_candidates
from mcucompile.passes.regions import POINTWISE, patchable


def _bit_exact(path, g, stages, seed: int, **options):
    """Compile with these patch stages (I/O outside the arena), check the plan, run 3 random samples on
    the host: bit-exact with TFLite Micro, touched bytes inside the plan."""
    opts = Options(io_in_arena=False, patch=tuple(stages), **options)
    assert check_plan(compile_graph(g, opts).plan) == []
    r = simulate(path, inputs=random_inputs(g, 3, seed=seed), options=opts, references=("tflm",))
    assert r.comparisons[0].available and r.comparisons[0].mismatches == 0, r.comparisons[0]
    assert r.ok and r.touched_extent <= r.arena_bytes
    return r


def _every_stage(g, rows: int, cols: int, cache: bool = False) -> list:
    """Each longest run of patchable ops, from the first op on, as one stage with a rows x cols grid (at
    most one band per output row/column)."""
    stages, start = [], 0
    while start < len(g.ops):
        cands = stage_candidates(g, start)
        if not cands:
            start += 1
            continue
        split, out = cands[-1]
        h, w = g.tensors[out].shape[1:3]
        stages.append(make_schedule(g, split, out, even_split(h, min(h, rows)), even_split(w, min(w, cols)),
                                    start, cache))
        start = split
    return stages


def _stage(g, rows, cols, cache):
    """The longest stage from op 0, with a rows x cols grid of its output."""
    split, out = stage_candidates(g)[-1]
    h, w = g.tensors[out].shape[1:3]
    return make_schedule(g, split, out, even_split(h, rows), even_split(w, cols), 0, cache)


def test_pointwise_ops_are_patchable(activation_zoo):
    g = load(activation_zoo, input_layout="nhwc")
    kinds = [op.kind for op in g.ops]
    assert {"HARD_SWISH", "LEAKY_RELU", "LOGISTIC", "TANH"} <= set(kinds)
    assert all(patchable(g, op) for op in g.ops if op.kind in POINTWISE)
    # the longest stage runs through every pointwise op to the stride-2 conv before the mean
    split, _ = stage_candidates(g)[-1]
    assert g.ops[split].kind == "MEAN" and all(op.kind in POINTWISE or patchable(g, op) for op in g.ops[:split])


@pytest.mark.parametrize("rows,cols,cache", [(3, 2, False), (5, 1, True), (4, 3, True)])
def test_pointwise_ops_in_stages_bit_exact(activation_zoo, rows, cols, cache):
    g = load(activation_zoo, input_layout="nhwc")
    s = _stage(g, rows, cols, cache)
    r = _bit_exact(activation_zoo, g, (s,), 5, input_layout="nhwc")
    lbl = simulate(activation_zoo, inputs=random_inputs(g, 3, seed=5), options=Options(input_layout="nhwc"),
                   references=())
    assert all(np.array_equal(a, b) for a, b in zip(r.outputs, lbl.outputs))


def test_auto_patch_cuts_the_peak_through_pointwise_ops(activation_zoo):
    from mcucompile.api import analyze
    a = analyze(activation_zoo, Options(input_layout="nhwc", io_in_arena=False, patch_mode="auto"))
    assert a.patch is not None
    # the stage covers the pointwise ops: the first stage starts at op 0 and passes the TANH
    tanh = next(l.index for l in a.layers if l.kind == "TANH")
    assert a.patch["stages"][0]["first_op"] == 0 and a.patch["stages"][0]["split"] > tanh
    assert a.peak_sram_bytes * 1.5 <= a.layer_by_layer_peak_bytes


def test_resize_and_concat_are_patchable(decoder_zoo):
    g = load(decoder_zoo, input_layout="nhwc")
    kinds = {op.kind for op in g.ops}
    assert {"RESIZE_BILINEAR", "RESIZE_NEAREST_NEIGHBOR", "CONCATENATION"} <= kinds
    # every op is patchable: the longest stage from op 0 ends with the model's last op
    split, out = stage_candidates(g)[-1]
    assert split == len(g.ops) and out == g.outputs[0]


@pytest.mark.parametrize("rows,cols,cache", [(3, 2, False), (2, 5, False), (6, 1, True), (4, 3, True)])
def test_resize_and_concat_in_stages_bit_exact(decoder_zoo, rows, cols, cache):
    g = load(decoder_zoo, input_layout="nhwc")
    s = _stage(g, rows, cols, cache)
    assert s.split == len(g.ops)
    _bit_exact(decoder_zoo, g, (s,), 7, input_layout="nhwc")


def test_decoder_auto_patch_on_cortex_m4(decoder_zoo, qemu_toolchain):
    opts = Options(input_layout="nhwc", io_in_arena=False, patch_mode="auto")
    c = compile_graph(load(decoder_zoo, input_layout="nhwc"), opts)
    assert c.stages and any(op.kind.startswith("RESIZE") for s in c.stages
                            for op in c.graph.ops[s.start:s.split])
    r = simulate(decoder_zoo, samples=2, board="qemu-m4", references=("tflm",), options=opts)
    assert r.ok and r.comparisons[0].available and r.comparisons[0].mismatches == 0


@pytest.mark.parametrize("rows,cols,cache", [(4, 3, False), (8, 2, True)])
def test_input_transpose_runs_in_the_first_stage(decoder_zoo, rows, cols, cache):
    """Without --input-layout nhwc the model's NCHW -> NHWC TRANSPOSE stays and is the stage's first op:
    each patch gathers its pixels from the caller's NCHW input (no NHWC copy of the whole input)."""
    g = load(decoder_zoo)
    assert g.ops[0].kind == "TRANSPOSE" and patchable(g, g.ops[0])
    s = _stage(g, rows, cols, cache)
    assert s.start == 0 and s.split == len(g.ops)
    c = compile_graph(g, Options(io_in_arena=False, patch=(s,)))
    transposed = g.ops[0].outputs[0]
    (buf,) = [b for b in c.plan.buffers if b.id == transposed]
    assert buf.size < g.tensors[transposed].nbytes          # a patch's pixels, not the whole NHWC copy
    _bit_exact(decoder_zoo, g, (s,), 3)


@pytest.mark.parametrize("cache", [False, True])
def test_broadcasting_elementwise_in_stages_bit_exact(broadcast_zoo, cache):
    """MUL by a per-channel constant, ADD of a [1, 1, 1, C] constant and MUL by a [1, H, W, 1] gate in the
    first stage; MUL by a [1, 1, 1, C] gate from before the stage and SUB of a [1, H, 1, C] profile in
    later ones: one stage each, the grids as below."""
    g = load(broadcast_zoo)
    kinds = [op.kind for op in g.ops]
    assert kinds.count("MUL") == 3 and "SUB" in kinds
    stages = _every_stage(g, 4, 3, cache)
    covered = {g.ops[k].kind for s in stages for k in range(s.start, s.split)}
    assert {"MUL", "ADD", "SUB", "TRANSPOSE", "LOGISTIC"} <= covered and len(stages) >= 3
    _bit_exact(broadcast_zoo, g, stages, 9)


@pytest.mark.parametrize("rows,cols,cache", [(2, 3, False), (5, 5, False), (5, 1, True), (3, 2, True)])
def test_kept_pads_run_per_patch(pad_zoo, rows, cols, cache):
    """The PADs normalisation keeps (before an average pool; a PADV2 whose value is not the zero point,
    before a conv) run per patch: each tile gets its share of padding and of the input."""
    g = load(pad_zoo)
    pads = [op.index for op in g.ops if op.kind in ("PAD", "PADV2")]
    assert len(pads) == 2 and all(patchable(g, g.ops[k]) for k in pads)
    start = pads[0] - 2
    split, out = stage_candidates(g, start)[-1]
    assert split == len(g.ops) and all(start <= k < split for k in pads)
    h, w = g.tensors[out].shape[1:3]
    s = make_schedule(g, split, out, even_split(h, rows), even_split(w, cols), start, cache)
    _bit_exact(pad_zoo, g, (s,), 4)


def test_analyze_names_the_ops_that_end_stages(broadcast_zoo):
    import json
    import subprocess
    import sys

    from conftest import ROOT
    p = subprocess.run([sys.executable, "-m", "mcucompile.cli", "analyze", str(broadcast_zoo), "--patch", "auto",
                        "--io-outside"], capture_output=True, text=True, cwd=ROOT)
    assert p.returncode == 0, p.stderr
    g = load(broadcast_zoo)
    means = [op.index for op in g.ops if op.kind == "MEAN"]
    assert "stages stop at   (ops no patch stage can cross)" in p.stdout
    assert f"  op {means[0]} MEAN: not spatial (it needs the whole map" in p.stdout
    j = json.loads(subprocess.run([sys.executable, "-m", "mcucompile.cli", "analyze", str(broadcast_zoo), "--patch",
                                   "auto", "--json"], capture_output=True, text=True, cwd=ROOT).stdout)
    # the last mean reduces a map nothing else reads: an accumulating stage takes it in (no break); the
    # others' maps are read again after them (squeeze-and-excite style)
    from mcucompile.passes.reduce_stage import reduce_candidates
    summed = {k for a in range(len(g.ops)) for _, _, accs in reduce_candidates(g, a, 16) for k in accs}
    assert summed == {means[-1]}
    assert [b["op"] for b in j["stage_breaks"]] == means[:-1]
    # without a patch search there is nothing to explain
    assert json.loads(subprocess.run([sys.executable, "-m", "mcucompile.cli", "analyze", str(broadcast_zoo), "--json"],
                                     capture_output=True, text=True, cwd=ROOT).stdout)["stage_breaks"] == []


def test_ops_listing_says_when_an_op_runs_per_patch():
    from mcucompile.opsinfo import supported_ops
    ops = {o.kind: o for o in supported_ops()}
    for kind in ("PAD", "TRANSPOSE", "CONCATENATION", "RESIZE_BILINEAR", "HARD_SWISH", "QUANTIZE", "MUL"):
        assert ops[kind].patchable, kind
    assert any("along the channel, row or column axis" in n for n in ops["CONCATENATION"].notes)
    assert not ops["SOFTMAX"].patchable
    assert ops["MEAN"].patchable and any("each pixel's channels" in n for n in ops["MEAN"].notes)


@pytest.mark.parametrize("rows,cols,cache", [(3, 2, False), (7, 7, False), (14, 1, True), (4, 3, True)])
def test_strided_slices_in_stages_bit_exact(slice_zoo, rows, cols, cache):
    g = load(slice_zoo)
    assert [op.kind for op in g.ops].count("STRIDED_SLICE") == 4
    assert all(patchable(g, op) for op in g.ops if op.kind == "STRIDED_SLICE")
    split, out = stage_candidates(g)[-1]
    assert g.ops[split].kind == "MEAN"
    h, w = g.tensors[out].shape[1:3]
    s = make_schedule(g, split, out, even_split(h, min(rows, h)), even_split(w, min(cols, w)), 0, cache)
    _bit_exact(slice_zoo, g, (s,), 2)


@pytest.mark.parametrize("name", ["broadcast_zoo", "slice_zoo", "pad_zoo"])
def test_stages_of_every_kind_on_cortex_m55(torch_model, qemu_toolchain, name):
    """The same per-patch geometry through the Helium kernels: every run of patchable ops as one stage
    (3 x 2 patches), cross-built for the Cortex-M55 and run under QEMU, bit-exact with TFLite Micro."""
    path = torch_model(name)
    g = load(path)
    r = simulate(path, inputs=random_inputs(g, 2, seed=1), board="qemu-m55", references=("tflm",),
                 options=Options(io_in_arena=False, patch=tuple(_every_stage(g, 3, 2))))
    assert r.ok and r.comparisons[0].available and r.comparisons[0].mismatches == 0
