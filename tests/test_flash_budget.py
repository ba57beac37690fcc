"""--wide-weights auto as a flash budget (mcucompile/kernels/wide_cost.py): the pre-widened int16 weights go
to the convs that save the most estimated cycles per extra flash byte, within --flash-budget.

Checked here: the choice stays within the budget, counting the bytes the generated weights really grow by
(not the model's own accounting), also where the int8 build runs a pair-interleaved variant that needs no
window weights (kws_ref_model's first conv); it is the best set within the budget (against every subset)
and a larger budget never saves fewer estimated cycles; each conv's cost class names the int8 variant the
int8 build really runs; a budget of 0 gives --wide-weights off's code on a model whose widening always
costs flash; the default build of person_detect keeps its weights within 1.2x those of its int8 build; a
partly widened model is bit-exact with TFLite Micro on the host and on qemu-m4; the CLI options and the
report's trade-off figures. No timings are asserted (the cost model's coefficients are re-measured by
bench/flash_budget.py --derive).
"""

from __future__ import annotations

import itertools
import json
import random

import numpy as np
import pytest
from conftest import need_module, need_tools

from mcucompile import api, pipeline
from mcucompile.codegen.generate import Options, compile_graph, render
from mcucompile.errors import McuCompileError
from mcucompile.kernels.wide_cost import WideLayer, choose, cost_class


def _weight_bytes(c) -> int:
    return sum(np.asarray(k.values).nbytes for k in c.consts)


@pytest.fixture(scope="module")
def person(shared_models):
    return api.load(shared_models / "person_detect.tflite")


@pytest.fixture(scope="module")
def person_off(person):
    return api.compile_for_board(person, Options(wide_weights="off"), "qemu-m4")


def _auto(g, budget):
    return api.compile_for_board(g, Options(flash_budget=budget), "qemu-m4")


def _best(layers, budget, threshold) -> int:
    """The most cycles any set of `layers` saves with every conv that adds no flash in, the others clearing
    `threshold` cycles per byte and the extra bytes at most `budget`: every subset tried."""
    free = [x for x in layers if x.extra_bytes <= 0]
    cand = [x for x in layers if x.extra_bytes > 0 and x.cycles_saved >= threshold * x.extra_bytes]
    best = -1
    for n in range(len(cand) + 1):
        for sub in itertools.combinations(cand, n):
            if sum(x.extra_bytes for x in (*free, *sub)) <= budget:
                best = max(best, sum(x.cycles_saved for x in (*free, *sub)))
    return best


def test_choice_respects_the_budget_and_is_the_best(person, person_off):
    """For a sweep of budgets the generated weights grow over the int8 build by exactly the extra bytes the
    choice counts, never more than the budget; the convs widened save as many estimated cycles as the best
    subset of the candidates within the budget, so never fewer with a larger budget. Every conv a wide path
    takes is a candidate with positive extra bytes on person_detect (no dead channels) and the threshold
    alone leaves its 3x3-pixel convs out."""
    off = _weight_bytes(person_off)
    full = api.compile_for_board(person, Options(wide_weights="on"), "qemu-m4")
    assert full.wide is not None and full.wide.widened == frozenset(x.op for x in full.wide.layers)
    assert _weight_bytes(full) - off == full.wide.extra_bytes > 0
    assert all(x.extra_bytes > 0 for x in full.wide.layers)
    # its first conv's window weights (the int8 build's window kernel) leave with the pre-widened weights
    assert any(k.name.endswith("_win_w") for k in person_off.consts)
    assert not any(k.name.endswith("_win_w") for k in full.consts)
    prev = None
    for budget in (0, 500, 5_000, 20_000, 36_000, 48_000, 56_000, 100_000, 10**9):
        c = _auto(person, budget)
        w = c.wide
        assert w is not None and w.budget == budget
        grown = _weight_bytes(c) - off
        assert grown == w.extra_bytes <= budget, budget
        fields = [dict(k.params.fields) for k in c.calls if k.params is not None]
        assert sum("wide_filter" in f for f in fields) == len(w.widened)
        assert w.cycles_saved == _best(list(w.layers), budget, w.threshold), budget
        if prev is not None:
            assert prev.cycles_saved <= w.cycles_saved
        prev = w
    # with no cap the threshold decides: not every conv (the 3x3-pixel ones save too few cycles per byte)
    assert 0 < len(prev.widened) < len(prev.layers)
    assert all(x.per_byte >= prev.threshold for x in prev.layers if x.widened)
    assert all(x.per_byte < prev.threshold for x in prev.layers if not x.widened)


def test_extra_bytes_against_the_int8_variant(shared_models):
    """kws_ref_model: its first conv (10x4 windows of 1 channel, which a window kernel could take) runs the
    pair-interleaved im2col kernel in the int8 build and conv_im2col_rows pre-widened, neither with the window
    kernels' weights: the extra bytes counted are what the generated weights really grow by, with every conv
    widened and with the default budget, which keeps them within 1.2x. Each candidate's cost class says
    whether the int8 build runs a pair-interleaved variant there and one without planned scratch. (person_detect's
    first conv, a depthwise one, runs the window kernel in the int8 build: its window weights leave with the
    pre-widened ones, test_choice_respects_the_budget_and_is_the_best.)"""
    g = api.load(shared_models / "kws_ref_model.tflite")
    off = api.compile_for_board(g, Options(wide_weights="off"), "qemu-m4")
    on = api.compile_for_board(g, Options(wide_weights="on"), "qemu-m4")
    auto = api.compile_for_board(g, Options(), "qemu-m4")
    assert _weight_bytes(on) - _weight_bytes(off) == on.wide.extra_bytes
    assert _weight_bytes(auto) - _weight_bytes(off) == auto.wide.extra_bytes <= auto.wide.budget
    assert auto.wide.budget == int(0.2 * _weight_bytes(off))
    assert _weight_bytes(auto) <= 1.2 * _weight_bytes(off)
    int8 = {k.op_index: k.func for k in off.calls}
    assert int8[0].endswith("_pairs_s8_dsp")
    assert {k.op_index: k.func for k in on.calls}[0] == "mcu_conv_im2col_rows_s8_dsp"
    assert not any(k.name.endswith("_win_w") for k in (*off.consts, *on.consts))
    for x in on.wide.layers:
        assert ("_pairs" in x.path) == int8[x.op].endswith("_pairs_s8_dsp")
        assert x.path.endswith("_pairs_stack") == ("_stack_pairs_" in int8[x.op])
    assert cost_class("1x1", "mcu_conv_1x1_wide_s8_dsp") == "1x1"


def test_choose_properties():
    """choose() on random candidates: within the budget, the convs adding no flash always in, every other
    widened one clearing the threshold, the estimated cycles saved the best any subset gives (so never
    fewer with a larger budget), and with no cap every conv that clears the threshold."""
    rng = random.Random(1)
    for _ in range(200):
        layers = [WideLayer(k, "CONV_2D", "1x1", rng.choice([-300, 0, *range(1, 5000, 37)]),
                            rng.randrange(0, 200_000)) for k in range(rng.randrange(1, 11))]
        prev = None
        for budget in sorted(rng.sample(range(0, 30_000), 6)):
            got = choose(layers, budget, 8.0)
            on = [x for x in got if x.widened]
            assert sum(x.extra_bytes for x in on) <= budget
            assert all(x.widened for x in got if x.extra_bytes <= 0)
            assert all(x.cycles_saved >= 8.0 * x.extra_bytes for x in on)
            cyc = sum(x.cycles_saved for x in on)
            assert cyc == _best(layers, budget, 8.0)
            assert prev is None or prev <= cyc
            prev = cyc
        got = choose(layers, None, 8.0)
        assert all(x.widened == (x.extra_bytes <= 0 or x.cycles_saved >= 8.0 * x.extra_bytes) for x in got)


def test_budget_zero_is_off(person, person_off):
    """A budget of 0 writes the same project as --wide-weights off where widening always adds flash."""
    c = _auto(person, 0)
    assert not c.wide.widened
    assert render(c) == render(person_off)


def test_budget_zero_widens_what_saves_flash(shared_models):
    """The budget counts net bytes over the int8 build: on vww_96_int8, whose 1x1 convs have dead channels,
    the streams of the convs that are smaller than their int8 filters pay for others, and with a budget of 0
    the weights still take no more flash than --wide-weights off's."""
    g = api.load(shared_models / "vww_96_int8.tflite")
    off = api.compile_for_board(g, Options(wide_weights="off"), "qemu-m4")
    c = _auto(g, 0)
    assert any(x.extra_bytes < 0 for x in c.wide.layers if x.widened)
    assert _weight_bytes(c) - _weight_bytes(off) == c.wide.extra_bytes <= 0


def test_default_person_detect_within_1_2x(person, person_off):
    """The default build (--wide-weights auto, no --flash-budget) of person_detect for a Cortex-M4 board: its
    weights at most 1.2x those of its int8 build (issue 21 item 4), and some convs widened."""
    c = api.compile_for_board(person, Options(), "qemu-m4")
    assert c.options.wide_weights == "auto" and c.wide.widened
    assert _weight_bytes(c) <= 1.2 * _weight_bytes(person_off)
    assert c.wide.budget == int(0.2 * _weight_bytes(person_off))


def test_budget_errors(person):
    with pytest.raises(McuCompileError, match="--flash-budget 1000 is for --wide-weights auto"):
        compile_graph(person, Options(simd="dsp", wide_weights="on", flash_budget=1000))
    with pytest.raises(McuCompileError, match=r"--flash-budget -1 is for --wide-weights auto: a number of bytes >= 0"):
        compile_graph(person, Options(simd="dsp", flash_budget=-1))


@pytest.fixture(scope="module")
def mixed_model(tmp_path_factory):
    """A small int8 CNN with convs on every DSP wide path: rows (first conv, 3 channels), 1x1, im2col
    (3x3, 16 channels, stride 2), depthwise of one channel is not here; then a 1x1 at 6x6."""
    need_module("tensorflow")
    import keras
    from tfgen import int8_tflite, uniform_samples

    keras.utils.set_random_seed(3)
    inp = keras.Input(shape=(24, 24, 3), batch_size=1)
    x = keras.layers.Conv2D(8, 3, padding="same", activation="relu")(inp)
    x = keras.layers.Conv2D(16, 1, activation="relu")(x)
    x = keras.layers.Conv2D(16, 3, strides=2, padding="same", activation="relu")(x)
    x = keras.layers.Conv2D(32, 1, activation="relu")(x)
    x = keras.layers.Conv2D(32, 3, strides=2, padding="valid")(x)
    x = keras.layers.Conv2D(64, 1)(x)
    path = tmp_path_factory.mktemp("flash_budget") / "mixed.tflite"
    path.write_bytes(int8_tflite(keras.Model(inp, x), uniform_samples([(1, 24, 24, 3)], [(-1.0, 1.0)], 16, 0)))
    return path


def _mixed_budget(path) -> int:
    """A budget that widens the best two convs of the mixed model and not the others."""
    full = pipeline.run(path, Options(wide_weights="on", scratch="always"), "qemu-m4").compiled
    best = sorted(full.wide.layers, key=lambda x: (-x.per_byte, x.op))
    assert len(best) >= 4 and all(x.extra_bytes > 0 for x in best)
    return best[0].extra_bytes + best[1].extra_bytes


def test_mixed_model_bit_exact_host_and_qemu_m4(mixed_model):
    """The partly widened model: TFLite Micro's outputs exactly, on the host (the plain kernels: no wide
    weights there) and on qemu-m4, where the widened convs run their pre-widened variants and the others the
    int8 ones."""
    need_tools("gcc", "make", "arm-none-eabi-gcc", "qemu-system-arm")
    budget = _mixed_budget(mixed_model)
    opts = Options(flash_budget=budget, scratch="always")
    c = pipeline.run(mixed_model, opts, "qemu-m4").compiled
    assert len(c.wide.widened) == 2 and len(c.wide.layers) >= 4
    funcs = {k.op_index: k.func for k in c.calls}
    assert any(funcs[op] in ("mcu_conv_1x1_wide_pre_s8_dsp", "mcu_conv_1x1_own_pre_s8_dsp")
               or funcs[op] == "mcu_conv_im2col_rows_s8_dsp" for op in c.wide.widened)
    left = [x.op for x in c.wide.layers if not x.widened]
    assert not any(funcs[op].endswith("_pre_s8_dsp") or funcs[op] == "mcu_conv_im2col_rows_s8_dsp" for op in left)
    for board in (None, "qemu-m4"):
        r = api.simulate(str(mixed_model), samples=2, seed=0, board=board, references=("tflm",), options=opts)
        tflm = r.comparisons[0]
        assert tflm.reference == "tflm" and tflm.available, tflm.error
        assert tflm.mismatches == 0 and r.ok, board


def test_cli_and_report_show_the_trade_off(mixed_model, tmp_path):
    """analyze prints and --json carries each candidate conv's extra bytes and estimated cycles saved and
    the totals; --flash-budget takes sizes (e.g. 1K); compile --json and the HTML report carry them too."""
    from click.testing import CliRunner

    from mcucompile.cli import main

    budget = _mixed_budget(mixed_model)
    r = CliRunner().invoke(main, ["analyze", str(mixed_model), "--board", "qemu-m4", "--json",
                                  "--flash-budget", str(budget)])
    assert r.exit_code == 0, r.output
    w = json.loads(r.output)["wide"]
    assert w["budget_bytes"] == budget and w["extra_bytes"] <= budget
    assert w["extra_bytes"] == sum(x["extra_bytes"] for x in w["layers"] if x["widened"])
    assert w["cycles_saved"] == sum(x["cycles_saved"] for x in w["layers"] if x["widened"])
    assert sum(x["widened"] for x in w["layers"]) == 2
    r = CliRunner().invoke(main, ["analyze", str(mixed_model), "--board", "qemu-m4", "--flash-budget", "0"])
    assert r.exit_code == 0, r.output
    assert "wide weights     auto: 0 of" in r.output and "budget 0 B" in r.output
    r = CliRunner().invoke(main, ["analyze", str(mixed_model), "--board", "qemu-m4", "--flash-budget", "1K",
                                  "--json"])
    assert json.loads(r.output)["wide"]["budget_bytes"] == 1024
    r = CliRunner().invoke(main, ["compile", str(mixed_model), "--board", "qemu-m4", "-o", str(tmp_path / "c"),
                                  "--json", "--flash-budget", str(budget)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["wide"]["extra_bytes"] == w["extra_bytes"]
    out = tmp_path / "report.html"
    r = CliRunner().invoke(main, ["report", str(mixed_model), "-o", str(out), "--board", "qemu-m4", "--json",
                                  "--flash-budget", str(budget)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output[r.output.index("{"):])["wide"]["extra_bytes"] == w["extra_bytes"]
    html = out.read_text()
    assert 'id="wide-layers"' in html and "Pre-widened weights" in html and f"budget {budget:,} B" in html


def test_derive_classes_match_the_compiler(shared_models):
    """bench/flash_budget.py --derive on kws_ref_model: every conv's cost class from the variant the int8 build
    really runs is the one the compiler gave it (no note), and every class it fits is one COEFFS has."""
    need_tools("arm-none-eabi-gcc", "qemu-system-arm")
    import importlib.util
    import re
    from pathlib import Path

    from mcucompile.kernels.wide_cost import COEFFS

    spec = importlib.util.spec_from_file_location(
        "flash_budget", Path(__file__).resolve().parents[1] / "bench" / "flash_budget.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = bench.derive([shared_models / "kws_ref_model.tflite"])
    assert "note:" not in out
    fitted = re.findall(r'^    "(\w+)": \(.*# \d+ ops?, within', out, re.M)
    assert fitted and set(fitted) <= set(COEFFS), out
