"""Memory banks (--memory): the arena's buffers spread over several RAM regions, one arena per region.

Planner invariants on vww_96_int8 (layer-by-layer arena 55,296 B: more than either 40,000 B region), the
refusals, the --memory parsing, patch-based inference with banks, and the generated C run bit-exactly
against TFLite Micro across two regions on the host (sanitizers, guard zones around every arena) and on
qemu-m4 (SSRAM2/3 + PSRAM at 0x21000000).
"""

from __future__ import annotations

import json
import re
import subprocess

import pytest
from click.testing import CliRunner

from mcucompile import api
from mcucompile.boards import get_board
from mcucompile.cli import main
from mcucompile.codegen.generate import Options, compile_graph, render
from mcucompile.errors import McuCompileError
from mcucompile.passes.banks import (
    Bank,
    BankPlanError,
    MemorySpecError,
    buffer_traffic,
    check_banks,
    parse_memory,
    plan_banks,
    resolve_banks,
)
from mcucompile.passes.liveness import alias_roots, buffers
from mcucompile.passes.memory_plan import plan_memory

SPEC = "SRAM:40000,PSRAM:40000"


@pytest.fixture(scope="module")
def vww(shared_models):
    return shared_models / "vww_96_int8.tflite"


@pytest.fixture(scope="module")
def graph(vww):
    return api.load(vww)


@pytest.fixture(scope="module")
def banked(graph):
    return compile_graph(graph, Options(memory=parse_memory(SPEC)))


def _overlaps(p) -> list[tuple[int, int]]:
    """Pairs of buffers live at the same step whose byte ranges intersect (checked here, not by the planner)."""
    bad = []
    bs = list(p.buffers)
    for i, a in enumerate(bs):
        for b in bs[i + 1:]:
            oa, ob = p.offsets[a.id], p.offsets[b.id]
            if a.first <= b.last and b.first <= a.last and oa < ob + b.size and ob < oa + a.size:
                bad.append((a.id, b.id))
    return bad


def test_plan_invariants_across_two_regions(graph, banked):
    single = plan_memory(buffers(graph), len(graph.ops)).arena_bytes
    assert single > 40000                          # no single region could hold the layer-by-layer arena
    bp = banked.banks
    assert bp is not None and [b.name for b in bp.banks] == ["SRAM", "PSRAM"] and bp.banks[0].main
    all_ids = sorted(b.id for b in buffers(graph))
    placed = sorted(x.id for p in bp.plans.values() for x in p.buffers)
    assert placed == all_ids                       # every buffer in exactly one region
    for bank in bp.banks:
        p = bp.plans[bank.name]
        assert p.buffers, f"{bank.name} holds nothing: the model would fit one region"
        assert _overlaps(p) == []
        assert all(0 <= p.offsets[x.id] and p.offsets[x.id] + x.size <= p.arena_bytes for x in p.buffers)
        assert p.arena_bytes <= bank.size
    assert check_banks(bp, buffers(graph)) == []
    root = alias_roots(graph)
    for t in (*graph.inputs, *graph.outputs):      # the caller's I/O goes through the main arena
        assert bp.where[root[t]] == "SRAM"
    assert banked.plan is bp.plans["SRAM"]
    assert [a["name"] for a in banked.extra_arenas] == ["PSRAM"]


def test_hot_buffers_go_to_the_fast_region(graph):
    bufs = buffers(graph)
    traffic = buffer_traffic(graph, bufs)
    tensor = {t: graph.tensors[t].nbytes for t in graph.activations()}
    # traffic counts every read and write: an op's input and output, plus the copy in/out of the model I/O
    t0 = graph.ops[0].outputs[0]
    readers = sum(1 for op in graph.ops if t0 in op.inputs)
    assert traffic[alias_roots(graph)[t0]] == tensor[t0] * (1 + readers)
    # room for everything in the fast region: the slow one stays empty
    roomy = plan_banks(graph, bufs, len(graph.ops), resolve_banks(parse_memory("FAST:64K,SLOW:64K")))
    assert roomy.plans["SLOW"].buffers == () and len(roomy.plans["FAST"].buffers) == len(bufs)
    # a small fast region (not main) takes the hottest buffers that fit it; the main one the rest
    banks = (Bank("TCM", 20000, 0), Bank("RAM", 80000, 1, main=True))
    bp = plan_banks(graph, bufs, len(graph.ops), banks)
    root = alias_roots(graph)
    io = {root[t] for t in (*graph.inputs, *graph.outputs)}
    free = sorted((b for b in bufs if b.id not in io), key=lambda b: (-traffic[b.id], -b.size, b.id))
    fits = [b for b in free if b.size <= 20000]
    assert bp.where[fits[0].id] == "TCM"           # the hottest buffer that fits the fast region is there
    tcm_traffic = sum(traffic[x.id] for x in bp.plans["TCM"].buffers) / bp.plans["TCM"].arena_bytes
    ram_traffic = sum(traffic[x.id] for x in bp.plans["RAM"].buffers) / bp.plans["RAM"].arena_bytes
    assert tcm_traffic > ram_traffic               # more bytes moved per byte of arena in the fast region
    assert check_banks(bp, bufs) == []


def test_refusals(graph, vww):
    bufs = buffers(graph)
    with pytest.raises(BankPlanError, match=r"op \d+ \(CONV_2D\) needs 55,296 B live at once but the regions "
                                            r"\(A 30,000 B, B 16,384 B\) hold 46,384 B in all: 8,912 B short"):
        plan_banks(graph, bufs, len(graph.ops), resolve_banks(parse_memory("A:30000,B:16K")))
    with pytest.raises(BankPlanError, match=r"no region has room for tensor 'model/activation_2/Relu' \(36,864 B, "
                                            r"live from op 2 to op 3\): region A \(28,000 B\) comes closest and is "
                                            r"8,864 B short; enlarge it by 8,864 B"):
        plan_banks(graph, bufs, len(graph.ops), resolve_banks(parse_memory("A:28000,B:28000")))
    with pytest.raises(BankPlanError, match=r"'input_1_int8' \(27,648 B, live from op 0 to op 0\) \(model inputs "
                                            r"and outputs live in the main region\): region A \(20,000 B\)"):
        plan_banks(graph, bufs, len(graph.ops), resolve_banks(parse_memory("A:20000,B:60000")))
    with pytest.raises(McuCompileError, match=r"memory banks \(--memory\) do not combine with --sram-limit"):
        compile_graph(graph, Options(memory=parse_memory(SPEC), sram_limit=30000))
    with pytest.raises(MemorySpecError, match=r"qemu-m4 has no RAM region 'DTCM'; its regions: SRAM \(4,194,304 B\)"):
        api.analyze(vww, Options(memory=parse_memory("DTCM:64K")), board="qemu-m4", build=False)
    with pytest.raises(MemorySpecError, match=r"--memory: region DTCM of stm32f746g-disco has 65,536 B, not 70,000"):
        api.analyze(vww, Options(memory=parse_memory("DTCM:70000")), board="stm32f746g-disco", build=False)
    with pytest.raises(MemorySpecError, match="board nucleo-f767zi lists no RAM regions in boards.json"):
        api.analyze(vww, Options(memory=parse_memory("SRAM:1M")), board="nucleo-f767zi", build=False)


def test_memory_spec_parsing():
    assert parse_memory("DTCM:64K, SRAM1:240KiB,x:0x100,Y:1M") == (
        Bank("DTCM", 65536), Bank("SRAM1", 240 * 1024), Bank("x", 256), Bank("Y", 1 << 20))
    for bad, text in [("DTCM", "is not NAME:SIZE"), ("DTCM:lots", "is not NAME:SIZE"),
                      ("A:1K,a:2K", "region 'a' is given twice"), ("A:0", "region 'A' has size 0"),
                      (",", "--memory: no region given"), ("a-b:1K,a_b:1K", "two region names give the same C name")]:
        with pytest.raises(MemorySpecError, match=text):
            parse_memory(bad)
    # host: the order given is the speed order, the first is main; a board: its ranks, its main region
    assert [(b.name, b.rank, b.main) for b in resolve_banks(parse_memory("B:1K,A:1K"))] == [("B", 0, True),
                                                                                           ("A", 1, False)]
    bd = resolve_banks(parse_memory("psram:40000,sram:40000"), get_board("qemu-m4"))
    assert [(b.name, b.main, b.origin) for b in bd] == [("SRAM", True, 0x20000000), ("PSRAM", False, 0x21000000)]
    f7 = resolve_banks(parse_memory("SRAM2:16K,DTCM:64K"), get_board("stm32f746g-disco"))
    assert [(b.name, b.main) for b in f7] == [("DTCM", True), ("SRAM2", False)]    # SRAM1 (main) not given


def test_cli_memory_option(vww):
    r = CliRunner().invoke(main, ["analyze", str(vww), "--memory", "SRAM=40000"])
    assert r.exit_code == 2 and "'SRAM=40000' is not NAME:SIZE" in r.output
    r = CliRunner().invoke(main, ["analyze", str(vww), "--memory", SPEC, "--json"])
    assert r.exit_code == 0, r.output
    regions = json.loads(r.output)["regions"]
    assert [(x["name"], x["capacity"]) for x in regions] == [("SRAM", 40000), ("PSRAM", 40000)]
    assert all(0 < x["used"] <= x["capacity"] for x in regions)
    r = CliRunner().invoke(main, ["analyze", str(vww), "--memory", SPEC])
    assert r.exit_code == 0 and re.search(r"SRAM \(main\) +[\d,]+ of +40,000 B", r.output)
    assert re.search(r"PSRAM +[\d,]+ of +40,000 B", r.output)
    r = CliRunner().invoke(main, ["boards"])
    assert "--memory regions: DTCM 64 KiB, SRAM1 240 KiB (main), SRAM2 16 KiB" in r.output
    assert "--memory regions: SRAM 4096 KiB (main), PSRAM 16384 KiB" in r.output


def test_bank_guard_zones_must_fit_the_region(vww):
    from dataclasses import replace

    from mcucompile.boards.firmware import FitError, require_fit
    f7 = get_board("stm32f746g-disco")
    c = api.pipeline.run(vww, Options(memory=parse_memory("DTCM:64K,SRAM1:240K")), "stm32f746g-disco").compiled
    assert [a["name"] for a in c.extra_arenas] == ["DTCM"] and c.extra_arenas[0]["bytes"] == 55296
    require_fit(c, f7)
    assert c.banks is not None      # a DTCM of 55,300 B: the arena fits, its two 16-byte guard zones do not
    c.banks = replace(c.banks, banks=tuple(replace(b, length=55300) if b.name == "DTCM" else b for b in c.banks.banks))
    with pytest.raises(FitError, match=r"memory bank DTCM has 55,300 B but its arena needs 55,296 B \+ 32 B of "
                                       r"guard zones; give the region 28 B less"):
        require_fit(c, f7)


def test_report_shows_every_region(graph):
    from mcucompile.pipeline import build
    from mcucompile.report import collect, render_html
    d = collect(build(graph, Options(memory=parse_memory(SPEC))))
    regions = d.as_dict()["regions"]
    assert [(r["name"], r["capacity"]) for r in regions] == [("SRAM", 40000), ("PSRAM", 40000)]
    assert d.chosen.peak == sum(r["used"] for r in regions)
    html = render_html(d)
    assert "<h2>Memory banks</h2>" in html and html.count('alt="arena layout"') == 2
    psram = {b["tensors"][0] for b in regions[1]["buffers"]}
    assert any(row["offset"].startswith("PSRAM ") for row in d.layers)
    assert all(row["offset"].startswith("PSRAM ") == (graph.tensors[row["tensor"]].name.split(";")[0] in psram)
               for row in d.layers if row["offset"] != "caller")


def test_generated_api(banked):
    files = render(banked)
    h, c = files["vww_96_int8.h"], files["vww_96_int8.c"]
    size = banked.banks.plans["PSRAM"].arena_bytes
    assert f"#define VWW_96_INT8_ARENA_PSRAM_SIZE {size}" in h
    assert f"#define VWW_96_INT8_ARENA_SIZE {banked.plan.arena_bytes}" in h
    assert '__attribute__((section(".bss.psram")' in h and "vww_96_int8_arena_psram" in h
    assert "int vww_96_int8_invoke_banks(uint8_t *const *arenas" in c
    assert "(arena_psram + " in c and "(arena + " in c
    mm = json.loads(files["vww_96_int8_memory.json"])
    assert [r["name"] for r in mm["regions"]] == ["SRAM", "PSRAM"]


def test_host_simulate_two_regions_bit_exact(vww, banked, tmp_path):
    r = api.simulate(vww, samples=3, options=Options(memory=parse_memory(SPEC)), workdir=tmp_path / "sim")
    assert r.compared_with == "tflm" and r.mismatches == 0 and r.ok
    assert r.guard_violations == 0 and r.nondeterministic == 0
    (psram,) = r.extra["banks"]
    assert psram["name"] == "PSRAM" and 0 < psram["touched_extent"] <= psram["arena_bytes"] <= 40000
    assert 0 < r.touched_extent <= r.arena_bytes <= 40000
    # the harness guards every arena: a PSRAM arena made 64 bytes too small is caught
    from mcucompile.sim.host import build_host, run_host
    files = dict(render(banked))
    files["vww_96_int8.h"] = files["vww_96_int8.h"].replace(
        f"ARENA_PSRAM_SIZE {psram['arena_bytes']}", f"ARENA_PSRAM_SIZE {psram['arena_bytes'] - 64}")
    banked.files = files
    try:
        exe = build_host(banked, tmp_path / "short", sanitize=False)
        run = run_host(banked, exe, api.random_inputs(banked.graph, 1))
    finally:
        banked.files = {}
    assert run.stats["guard_violations"] > 0


def test_patches_across_two_regions_host(vww, tmp_path):
    """Patch-based inference (the search's stages) with banks: the patch stage's buffers are placed like any."""
    opts = Options(memory=parse_memory("SRAM:30000,PSRAM:20000"), patch_mode="auto")
    r = api.simulate(vww, samples=2, options=opts, workdir=tmp_path, references=("tflm",))
    assert r.compared_with == "tflm" and r.mismatches == 0 and r.ok, r.as_dict()
    (psram,) = r.extra["banks"]
    assert 0 < psram["touched_extent"] <= psram["arena_bytes"] <= 20000 and r.arena_bytes <= 30000
    c = api.pipeline.run(vww, opts).compiled
    assert c.stages and check_banks(c.banks, list(c.all_buffers)) == []
    assert any(x.kind == "tile" for x in c.all_buffers)


def test_qemu_simulate_two_regions_bit_exact(vww, qemu_toolchain, tmp_path):
    from mcucompile.sim.target import symbol_address
    r = api.simulate(vww, samples=2, board="qemu-m4", options=Options(memory=parse_memory(SPEC)),
                     workdir=tmp_path, references=("tflm",))
    assert r.compared_with == "tflm" and r.mismatches == 0 and r.ok, r.as_dict()
    (psram,) = r.extra["banks"]
    assert 0 < psram["touched_extent"] <= psram["arena_bytes"] <= 40000
    (elf,) = tmp_path.glob("fw_qemu-m4_0/*.elf")
    assert 0x21000000 <= symbol_address(elf, "arena_mem_psram") < 0x22000000      # QEMU's PSRAM
    assert 0x20000000 <= symbol_address(elf, "arena_mem") < 0x20400000            # SSRAM2/3
    out = subprocess.run(["arm-none-eabi-size", "-A", str(elf)], capture_output=True, text=True).stdout
    assert re.search(r"^\.bss\.psram\s+\d+\s+553648128", out, re.M)               # 0x21000000
