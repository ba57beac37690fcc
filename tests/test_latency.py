"""Latency where a user decides (analyze/report --board B --latency): the cycle estimate of `simulate`
cut per op at the model's kernel calls (mcucompile/sim/latency.py), in milliseconds at the board's clock."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest
from click.testing import CliRunner

from mcucompile import api
from mcucompile.boards import boards, get_board
from mcucompile.cli import main
from mcucompile.errors import McuCompileError
from mcucompile.sim.latency import LatencyUnavailableError, emulator_for

MODEL = Path(__file__).resolve().parent.parent / "examples" / "tiny_cnn_int8.tflite"


@pytest.fixture(scope="module")
def qemu_m4(qemu_toolchain):
    return api.analyze(MODEL, board="qemu-m4", latency=True)


def test_every_board_has_its_clock():
    clocks = {b.name: b.clock_hz for b in boards()}
    assert all(isinstance(hz, int) and hz > 0 for hz in clocks.values()), clocks
    assert clocks["nucleo-l4r5zi"] == 120_000_000 and clocks["stm32f746g-disco"] == 216_000_000
    assert clocks["nucleo-h743zi"] == 480_000_000
    assert get_board("nucleo-l4r5zi").as_dict()["clock_hz"] == 120_000_000
    r = CliRunner().invoke(main, ["boards"])
    assert r.exit_code == 0 and "120 MHz" in r.output and "clock" in r.output.splitlines()[0]


def test_per_op_cycles_add_up_to_simulate(qemu_m4):
    """The ops plus what follows the last kernel call are exactly simulate's whole-inference cycles for the
    same input (api.random_inputs(graph, 1, seed 0) both times)."""
    lat = qemu_m4.latency
    sim = api.simulate(MODEL, samples=1, seed=0, board="qemu-m4", references=())
    assert sum(l["cycles"] for l in lat["layers"]) + lat["invoke_rest_cycles"] == lat["cycles"]
    assert lat["cycles"] == sim.extra["cycles"]
    assert [l["index"] for l in lat["layers"]] == [l.index for l in qemu_m4.layers]
    assert all(l["cycles"] > 0 for l in lat["layers"]) and lat["no_call_found"] == []
    assert 0 <= lat["invoke_rest_cycles"] < 1000
    # the convolutions carry most of the work
    conv = sum(l["cycles"] for l in lat["layers"] if "CONV" in l["kind"])
    assert conv > lat["cycles"] / 2


def test_ms_at_the_board_clock(qemu_m4):
    a = api.analyze(MODEL, board="nucleo-l4r5zi", latency=True)
    lat = a.latency
    assert lat["clock_hz"] == 120_000_000 and lat["run_on"] == "qemu-m4" and lat["core"] == "cortex-m4"
    assert lat["method"] == "estimate: Cortex-M4 TRM timings under QEMU, no wait states"
    assert lat["ms"] == pytest.approx(lat["cycles"] / 120e6 * 1000, rel=1e-12)
    for l in lat["layers"]:
        assert l["ms"] == pytest.approx(l["cycles"] / 120e6 * 1000, rel=1e-12)
    # the same Cortex-M4 code and table as qemu-m4: the same cycles, quoted at another clock
    assert lat["cycles"] == qemu_m4.latency["cycles"]
    assert qemu_m4.latency["ms"] == pytest.approx(lat["cycles"] / 25e6 * 1000, rel=1e-12)


def test_cli_json_and_text(qemu_toolchain):
    r = CliRunner().invoke(main, ["analyze", str(MODEL), "--board", "nucleo-l4r5zi", "--latency", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)["latency"]
    assert set(doc) >= {"board", "core", "run_on", "method", "clock_hz", "flash_wait_states", "cycles", "ms",
                        "invoke_rest_cycles", "layers", "no_call_found"}
    assert set(doc["layers"][0]) == {"index", "kind", "cycles", "ms", "share"}
    assert sum(l["share"] for l in doc["layers"]) == pytest.approx(1 - doc["invoke_rest_cycles"] / doc["cycles"])
    r = CliRunner().invoke(main, ["analyze", str(MODEL), "--board", "nucleo-l4r5zi", "--latency"])
    assert r.exit_code == 0, r.output
    assert f"~{doc['cycles']:,} cycles = {doc['ms']:.3f} ms at 120 MHz" in r.output
    assert "Cortex-M4 TRM timings under QEMU, no wait states" in r.output
    header = r.output.splitlines()[0]
    assert "cycles" in header and "ms" in header
    # without --latency: no QEMU run, no latency
    r = CliRunner().invoke(main, ["analyze", str(MODEL), "--board", "nucleo-l4r5zi", "--json"])
    assert json.loads(r.output)["latency"] is None


def test_cortex_m7_board_latency(qemu_toolchain):
    """An STM32H7 board: its code priced on qemu-m7 with the Cortex-M7 table, quoted at 480 MHz."""
    lat = api.analyze(MODEL, board="nucleo-h743zi", latency=True).latency
    assert lat["run_on"] == "qemu-m7" and lat["clock_hz"] == 480_000_000
    assert "Cortex-M7 dual-issue model" in lat["method"]
    assert sum(layer["cycles"] for layer in lat["layers"]) + lat["invoke_rest_cycles"] == lat["cycles"] > 0


def test_unmodelled_core_is_refused_clearly():
    with pytest.raises(LatencyUnavailableError, match=r"rpi-pico: the cycles of its core \(cortex-m0plus\) are "
                       r"not modelled.*cortex-m4, cortex-m7 boards: .*qemu-m4.*nucleo-h743zi"):
        api.analyze(MODEL, board="rpi-pico", latency=True)
    with pytest.raises(McuCompileError, match="the latency estimate is for a board: add --board"):
        api.analyze(MODEL, latency=True)
    from mcucompile.report import report
    with pytest.raises(McuCompileError, match="the latency estimate is for a board: add --board"):
        report(MODEL, "unused.html", latency=True)
    with pytest.raises(LatencyUnavailableError, match="boards.json gives it no clock_hz"):
        emulator_for(replace(get_board("nucleo-l4r5zi"), clock_hz=None))
    r = CliRunner().invoke(main, ["analyze", str(MODEL), "--board", "qemu-m55", "--latency"])
    assert r.exit_code != 0 and "cortex-m55" in r.output and "not modelled" in r.output


def test_report_shows_latency(qemu_toolchain, tmp_path):
    out = tmp_path / "r.html"
    r = CliRunner().invoke(main, ["report", str(MODEL), "--board", "nucleo-l4r5zi", "--latency", "-o", str(out),
                                  "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    html = out.read_text()
    assert 'id="latency"' in html and "cycles (est.)" in html and f"{doc['latency']['ms']:.3f} ms" in html
    assert all("cycles" in l for l in doc["layers"])
