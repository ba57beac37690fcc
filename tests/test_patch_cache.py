"""Patch stages that cache rows (StreamNet): row bands run top to bottom (in each column strip) and every
tensor of the stage keeps, in a line buffer, the rows the next band still needs instead of recomputing
them. Also: the search's fast live-byte sums, its progress bar, and in-place depthwise inside stages.

Checked against independent truths: every needed row computed exactly once (brute force over the bands),
MACs equal to layer by layer, the planner's peak equal to the compiled arena, and bit-exactness against
TFLite Micro and against layer-by-layer execution on the shared models and on synthetic nets (odd sizes,
stride 1/2/3, dilation, pooling, residual ADD/MUL/SUB), with band counts up to one output row per band."""

import json
import subprocess
import sys

import numpy as np
import pytest
from conftest import ROOT

from mcucompile.api import load, random_inputs, simulate
from mcucompile.codegen.generate import Options, compile_graph
from mcucompile.passes.analysis import op_macs
from mcucompile.passes.memory_plan import check_plan
from mcucompile.passes.patch_plan import (
    even_split,
    make_schedule,
    patch_buffers,
    patch_macs,
    plan_patched,
    search,
    stage_candidates,
)


def _cached(g, which, bands, start=0, strips=1):
    split, out = [c for c in stage_candidates(g, start)][which]
    h, w = g.tensors[out].shape[1:3]
    return make_schedule(g, split, out, even_split(h, min(bands, h)), even_split(w, min(strips, w)), start,
                         cache_rows=True)


# ---- planning -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["vww_96_int8.tflite", "person_detect.tflite", "pretrainedResnet_quant.tflite"])
@pytest.mark.parametrize("bands", [2, 5, 1000])
def test_every_needed_row_is_computed_once_and_kept_until_read(shared_models, name, bands):
    g = load(shared_models / name)
    for which in range(len(stage_candidates(g))):
        s = _cached(g, which, bands)
        for t in s.stage_tensors():
            need = s.row_need(t)
            computed = [s.computed_rows(b)[t] for b in range(len(need))]
            rows = [set(range(n, e)) for n, e in computed]
            # each row at most once, and every row some band needs is computed
            assert sum(len(r) for r in rows) == len(set().union(*rows))
            assert set().union(*rows) == set().union(*(range(a, e) for a, e in need))
            for b, (a, e) in enumerate(need):
                # what band b needs was computed by it or by earlier bands, and an earlier band's rows are
                # still in the line buffer (it starts at the previous band's first row, never below)
                assert set(range(a, e)) <= set().union(*rows[:b + 1])
                if b:
                    assert need[b - 1][0] <= a and need[b - 1][1] <= e
        # no recomputation at all: exactly layer-by-layer MACs for the stage (each op computes every row
        # of its output once: these stages read every row of their tensors)
        assert patch_macs(g, s) == sum(op_macs(g, op) for op in g.ops)


def test_cached_buffers_live_through_the_stage_and_plan_is_exact(shared_models):
    g = load(shared_models / "vww_96_int8.tflite")
    s = _cached(g, 3, 12)
    assert s.cached_tensors(), "3x3 convs in the stage: some rows carry over"
    bufs = {b.id: b for b in patch_buffers(g, s, io_in_arena=False)}
    for t in s.stage_tensors() - {s.stage_output}:
        (x0, x1), = [(x0, x1) for u, x0, x1 in s.col_bands[0] if u == t]
        height = max(e - a for a, e in s.row_need(t))
        assert bufs[t].size == -(-height * (x1 - x0) * g.tensors[t].shape[3] // 4) * 4
        if t in s.cached_tensors():
            assert (bufs[t].first, bufs[t].last) == (s.start, s.split - 1)
    c = compile_graph(g, Options(io_in_arena=False, patch=(s,)))
    assert check_plan(c.plan) == []
    assert c.plan.arena_bytes == plan_patched(g, s, io_in_arena=False).arena_bytes


@pytest.mark.parametrize("name,io_in_arena,inplace", [("vww_96_int8.tflite", False, False),
                                                      ("vww_96_int8.tflite", True, True),
                                                      ("pretrainedResnet_quant.tflite", True, False)])
def test_search_peaks_equal_patch_buffers(shared_models, name, io_in_arena, inplace):
    """The search sums live bytes from a grid-independent part computed once per stage; it must agree
    with patch_buffers (the buffers the compiled arena is planned from) for every option it yields,
    in-place depthwise ops inside the stage included."""
    from mcucompile.passes.inplace import inplace_depthwise
    from mcucompile.passes.liveness import buffers
    from mcucompile.passes.patch_plan import _Searcher
    g = load(shared_models / name)
    ops = inplace_depthwise(g, io_in_arena) if inplace else frozenset()
    sr = _Searcher(g, 4, io_in_arena, 8, ops)
    seen, inplace_seen = 0, False
    for a in range(0, 6):
        for s, peak, macs in sr.stage_options(a):
            base = buffers(g, io_in_arena=io_in_arena, inplace=s.inplace)
            bufs = patch_buffers(g, s, io_in_arena=io_in_arena, base=base, inplace=s.inplace)
            assert peak == max(sum(x.size for x in bufs if x.first <= p <= x.last) for p in range(a, s.split))
            assert macs == patch_macs(g, s) - sum(op_macs(g, op) for k, op in enumerate(g.ops)
                                                  if not a <= k < s.split)
            seen += s.cache_rows
            inplace_seen = inplace_seen or bool(s.inplace)
    assert seen and (inplace_seen or not inplace)


def test_column_strips_recompute_only_column_halos(shared_models):
    """Caching rows in 3 column strips: each strip computes every row once, so the stage's MACs are those
    of a recomputing 1 x 3 grid (column halos only), below a recomputing R x 3 grid's."""
    g = load(shared_models / "vww_96_int8.tflite")
    s = _cached(g, 3, 12, strips=3)
    split, out = stage_candidates(g)[3]
    h, w = g.tensors[out].shape[1:3]
    cols_only = make_schedule(g, split, out, (0, h), even_split(w, 3))
    both = make_schedule(g, split, out, even_split(h, 12), even_split(w, 3))
    assert patch_macs(g, s) == patch_macs(g, cols_only) < patch_macs(g, both)
    # tiles run strip by strip, top to bottom inside a strip, and still cover the output once
    order = [s.tile_rc(k) for k in range(s.tiles)]
    assert order == [(r, c) for c in range(3) for r in range(12)]
    covered = np.zeros((h, w), dtype=int)
    for r, c in order:
        covered[s.rows[r]:s.rows[r + 1], s.cols[c]:s.cols[c + 1]] += 1
    assert (covered == 1).all()


def test_search_without_mac_budget_uses_cached_stages(shared_models):
    """With no extra MACs allowed, recomputing patches are out; caching ones still cut the peak."""
    g = load(shared_models / "vww_96_int8.tflite")
    r = search(g, max_overhead=0.0, io_in_arena=False)
    assert r.chosen and all(s.cache_rows for s in r.chosen)
    assert r.chosen_candidate.macs == r.layer_by_layer_macs
    assert r.chosen_candidate.peak < r.layer_by_layer_peak
    c = compile_graph(g, Options(io_in_arena=False, patch=r.chosen))
    assert c.plan.arena_bytes == r.chosen_candidate.peak
    # and with the default budget the search is at least as good as with recomputation alone
    both = search(g, io_in_arena=False)
    only = search(g, io_in_arena=False, kinds=("recompute",))
    assert all(not s.cache_rows for s in only.chosen)
    assert both.chosen_candidate.peak <= only.chosen_candidate.peak


# ---- bit-exactness -------------------------------------------------------------------------------------

def _check(path, stages, io_in_arena=True, samples=2):
    g = load(path)
    x = random_inputs(g, samples, seed=5)
    res = simulate(path, inputs=x, options=Options(io_in_arena=io_in_arena, patch=tuple(stages)),
                   references=("tflm",))
    cmp = res.comparisons[0]
    assert cmp.available and cmp.mismatches == 0, cmp
    assert res.ok and res.touched_extent <= res.arena_bytes
    return res, x


@pytest.mark.slow
@pytest.mark.parametrize("name,which,bands,io_in_arena,strips", [
    ("vww_96_int8.tflite", 3, 7, False, 1), ("vww_96_int8.tflite", 5, 1000, True, 1),
    ("person_detect.tflite", 4, 48, True, 1), ("pretrainedResnet_quant.tflite", 2, 5, True, 1),
    ("pretrainedResnet_quant.tflite", 2, 1000, False, 1), ("vww_96_int8.tflite", 3, 12, False, 3),
    ("pretrainedResnet_quant.tflite", 2, 5, True, 2)])
def test_cached_stage_bit_exact_on_shared_models(shared_models, name, which, bands, io_in_arena, strips):
    path = shared_models / name
    g = load(path)
    s = _cached(g, which, bands, strips=strips)
    res, x = _check(path, [s], io_in_arena)
    assert res.arena_bytes == plan_patched(g, s, io_in_arena=io_in_arena).arena_bytes
    lbl = simulate(path, inputs=x, options=Options(io_in_arena=io_in_arena), references=())
    assert all(np.array_equal(a, b) for a, b in zip(res.outputs, lbl.outputs))


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    from test_patch import _inverted_residual_net, _odd_net, _synthetic
    return {"odd": _synthetic(tmp_path_factory, "odd", _odd_net, (37, 29, 3)),
            "inverted_residual": _synthetic(tmp_path_factory, "inverted_residual", _inverted_residual_net,
                                            (45, 51, 3))}


@pytest.mark.slow
@pytest.mark.parametrize("net", ["odd", "inverted_residual"])
@pytest.mark.parametrize("bands,strips", [(2, 1), (3, 2), (1000, 1), (1000, 3)])
def test_synthetic_nets_deepest_cached_stage_bit_exact(synthetic, net, bands, strips):
    """The deepest stage (stride 3, dilation 2, max pool, a VALID 5x3 conv, residual ADD / MUL / SUB), in
    few bands and in one-row bands (then some bands have nothing new to compute for a tensor), in one
    column strip and in several."""
    path = synthetic[net]
    g = load(path)
    s = _cached(g, -1, bands, strips=strips)
    # no row is computed twice: at most layer-by-layer MACs in one strip; in several, at most those of
    # one full-height band per strip (which recomputes column halos only)
    cols_only = make_schedule(g, s.split, s.stage_output, (0, s.rows[-1]), s.cols)
    assert patch_macs(g, s) <= (sum(op_macs(g, op) for op in g.ops) if strips == 1 else patch_macs(g, cols_only))
    _check(path, [s])


@pytest.mark.slow
@pytest.mark.parametrize("net", ["odd", "inverted_residual"])
def test_synthetic_nets_search_cached_only_bit_exact(synthetic, net):
    path = synthetic[net]
    g = load(path)
    r = search(g, max_overhead=0.0, io_in_arena=False, kinds=("cached",))
    stages = r.chosen or (_cached(g, 0, 4),)
    res, _ = _check(path, stages, io_in_arena=False)
    assert res.arena_bytes == (r.chosen_candidate.peak if r.chosen else res.arena_bytes)


# ---- reporting ------------------------------------------------------------------------------------------

def test_cli_analyze_says_which_kind(shared_models):
    r = subprocess.run([sys.executable, "-m", "mcucompile.cli", "analyze", str(shared_models / "vww_96_int8.tflite"),
                        "--patch", "auto", "--max-overhead", "0", "--io-outside", "--json"],
                       capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    d = json.loads(r.stdout)
    assert d["patch"]["stages"] and all(st["cache_rows"] for st in d["patch"]["stages"])
    assert d["macs"] == d["layer_by_layer_macs"] and d["peak_sram_bytes"] < d["layer_by_layer_peak_bytes"]
    t = subprocess.run([sys.executable, "-m", "mcucompile.cli", "analyze", str(shared_models / "vww_96_int8.tflite"),
                        "--patch", "auto", "--max-overhead", "0", "--io-outside"],
                       capture_output=True, text=True, cwd=ROOT)
    assert t.returncode == 0 and "rows cached" in t.stdout and "\r" not in t.stdout + t.stderr


def test_search_draws_a_bar_on_a_terminal_only(shared_models, monkeypatch):
    import io

    from mcucompile import progress

    class Tty(io.StringIO):
        def isatty(self):
            return True
    g = load(shared_models / "kws_ref_model.tflite")
    for on, tty in ((True, True), (False, True), (True, False)):
        err = Tty() if tty else io.StringIO()
        monkeypatch.setattr(sys, "stderr", err)
        progress.enable(on)
        try:
            search(g)
        finally:
            progress.enable(False)
        if on and tty:
            assert "patch search" in err.getvalue() and f"{len(g.ops)}/{len(g.ops)}" in err.getvalue()
        else:
            assert err.getvalue() == ""


# ---- in-place depthwise inside patch stages -----------------------------------------------------------

@pytest.mark.slow
def test_inplace_depthwise_inside_patch_stages_bit_exact(shared_models, synthetic):
    from dataclasses import replace

    from mcucompile.passes.inplace import inplace_depthwise
    from mcucompile.passes.patch_plan import stage_inplace
    # chosen by a search of recomputing stages (vww: depthwise ops run in place in their patches)
    path = shared_models / "vww_96_int8.tflite"
    g = load(path)
    r = search(g, io_in_arena=False, inplace=inplace_depthwise(g, False), kinds=("recompute",))
    assert any(s.inplace for s in r.chosen)
    c = compile_graph(g, Options(io_in_arena=False, patch=r.chosen, inplace=True))
    assert check_plan(c.plan) == [] and c.plan.arena_bytes == r.chosen_candidate.peak
    assert c.plan.arena_bytes <= search(g, io_in_arena=False, kinds=("recompute",)).chosen_candidate.peak
    loops = [item for item in c.program if hasattr(item, "tiles")]
    assert any(call.func == "mcu_depthwise_conv2d_inplace_s8" for lp in loops for call in lp.calls)
    _check(path, c.stages, io_in_arena=False)
    # forced: the deepest stage of a synthetic net with stride 2 depthwise ops, an uneven 3x2 grid
    path = synthetic["inverted_residual"]
    g = load(path)
    split, out = stage_candidates(g)[-1]
    h, w = g.tensors[out].shape[1:3]
    s = make_schedule(g, split, out, even_split(h, 3), even_split(w, 2))
    s = replace(s, inplace=stage_inplace(g, s, inplace_depthwise(g)))
    assert s.inplace
    c = compile_graph(g, Options(patch=(s,)))
    assert check_plan(c.plan) == [] and c.plan.arena_bytes == plan_patched(g, s, inplace=s.inplace).arena_bytes
    _check(path, [s])
