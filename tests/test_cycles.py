"""Estimated cycles on qemu-m4 and qemu-m7 (mcucompile/sim/timing.py's Cortex-M4 and Cortex-M7 tables, priced
by the TCG plugin): hand-written Thumb-2 loops whose cycle counts the test works out from the table (and, on
the M7, its dual-issue rules), run between the firmware's two markers, must come out exactly; a real model's
estimate must be plausible."""

from __future__ import annotations

import json

import pytest

from mcucompile import api
from mcucompile.boards import get_board
from mcucompile.boards.firmware import render_firmware
from mcucompile.codegen.generate import compile_graph, render
from mcucompile.sim.target import build_firmware, cycle_counts, function_profiles, run_qemu
from mcucompile.sim.timing import CORTEX_M4 as T
from mcucompile.sim.timing import CORTEX_M7 as T7

pytestmark = pytest.mark.usefixtures("qemu_toolchain")

N = 100      # loop iterations

# (name, assembly between the markers, instructions, cycles) -- the expected figures from the table T.
# r1 points 64 bytes below the stack pointer (scratch memory nothing else uses while the loops run).
SETUP = "movs r0, #100\n\tsub r1, sp, #64\n\t"                   # 2 instructions, 2 ALU cycles
CASES = [
    # two loads back to back: the second pipelines (after_load); the loop branch is taken N-1 times
    ("ldr_ldr_loop", SETUP + "1: ldr r2, [r1]\n\tldr r3, [r1, #4]\n\tadd r2, r3\n\tsubs r0, #1\n\tbne 1b\n\t",
     2 + 5 * N, 2 * T["alu"] + N * (T["load"] + T["after_load"] + 2 * T["alu"] + T["branch"])
     + (N - 1) * T["taken"]),
    # LDRD (1+N, N = 2) feeding a dual multiply-accumulate
    ("ldrd_smlad_loop", SETUP + "1: ldrd r2, r3, [r1]\n\tsmlad r12, r2, r3, r12\n\tsubs r0, #1\n\tbne 1b\n\t",
     2 + 4 * N, 2 * T["alu"] + N * (T["load_double"] + T["mul"] + T["alu"] + T["branch"])
     + (N - 1) * T["taken"]),
    # a call: BL taken, PUSH of 3 registers, POP of 3 with the PC (taken back to the caller)
    ("call_push_pop", "bl push_pop3\n\t",
     3, T["branch"] + T["taken"] + 2 * (T["multi"] + 3 * T["per_reg"]) + T["taken"]),
    # PUSH/POP and LDM/STM without the PC: 1+N
    ("ldm_stm", "sub r1, sp, #64\n\tstmia r1!, {r0, r2, r3}\n\tsub r1, #12\n\tldmia r1, {r0, r2, r3, r12}\n\t",
     4, 2 * T["alu"] + 2 * T["multi"] + 7 * T["per_reg"]),
    # a multiply chain (MUL, MLA, SMULL, UMLAL, SMMLAR: single-cycle on the M4) and the divides (constant)
    ("mul_chain", "movs r2, #3\n\tmovs r3, #5\n\t.rept 10\n\tmul r2, r2, r3\n\t.endr\n\tmla r2, r2, r3, r2\n\t"
     "smull r12, r0, r2, r3\n\tumlal r12, r0, r2, r3\n\tsmmlar r2, r2, r3, r12\n\t"
     "sdiv r2, r2, r3\n\tudiv r2, r2, r3\n\t",
     18, 2 * T["alu"] + 14 * T["mul"] + 2 * T["div"]),
    # a store pipelines after a load, nothing after a store; byte and halfword loads are single loads
    ("load_store_mix", "sub r1, sp, #64\n\tldr r2, [r1]\n\tstr r2, [r1, #8]\n\tstr r2, [r1, #12]\n\t"
     "ldrb r3, [r1]\n\tldrh r3, [r1, #2]\n\tstrb r3, [r1, #16]\n\t",
     7, T["alu"] + T["load"] + T["after_load"] + T["store"] + T["load"] + 2 * T["after_load"]),
    # branches: not taken (the condition fails), taken forward, CBZ taken
    ("branches", "cmp r0, r0\n\tbne 1f\n\tnop\n1:\tb 2f\n\tnop\n2:\tmovs r0, #0\n\tcbz r0, 3f\n\tnop\n3:\tnop\n\t",
     7, 3 * T["alu"] + 3 * T["branch"] + 2 * T["taken"] + T["alu"]),
    # a 16-bit load 4 bytes before a (1 KB) page end: QEMU 7.2 hands the plugin its bytes with the next
    # halfword appended (its page-crossing check reads it); the width comes from the first halfword
    ("page_end", "sub r1, sp, #64\n\tb 8f\n\t.balign 1024\n8:\t.rept 510\n\tnop\n\t.endr\n\t"
     "ldr r2, [r1]\n\tnop\n\tnop\n\t",
     515, T["alu"] + T["branch"] + T["taken"] + 510 * T["alu"] + T["load"] + 2 * T["alu"]),
    # the FPU (Table 7-1): VMOV 1, VMLA 3, VDIV 14, VSQRT 14, VADD 1, VPUSH/VPOP 1+N, VLDR/VSTR 2
    ("fpu", "sub r1, sp, #64\n\tvmov s1, r1\n\tvmla.f32 s0, s1, s2\n\tvdiv.f32 s0, s1, s2\n\t"
     "vsqrt.f32 s0, s1\n\tvadd.f32 s0, s0, s1\n\tvpush {s16-s19}\n\tvpop {s16-s19}\n\t"
     "vldr s0, [r1]\n\tvstr s0, [r1, #4]\n\t",
     10, T["alu"] + T["vfp"] + T["vfp_mac"] + 2 * T["vfp_divsqrt"] + T["vfp"]
     + 2 * (T["multi"] + 4 * T["per_reg"]) + 2 * T["vfp_load"]),
    # STRD and a literal-pool load
    ("strd_literal", "sub r1, sp, #64\n\tstrd r2, r3, [r1]\n\tldr r0, =0x12345678\n\tldr r2, [r1]\n\t",
     4, T["alu"] + T["store_double"] + T["load"] + T["after_load"]),
]

# Cortex-M7 (dual issue): (name, assembly, instructions, cycles), the cycles worked out by hand from T7 and
# the pairing rules timing.py documents. Every case starts a translated block (it follows the return from
# fw_count_begin) and ends with `bl fw_count_end` in the same block: where the BL pairs with the case's last
# instruction it costs nothing, else its issue slot, which the baseline interval (a lone BL) also pays (so
# "- T7['branch']" below). Unconditional branches are predicted taken from their first run. Loops: the first
# pass belongs to the set-up block, whose BNE (conditional: predicted not taken) is taken once, mispredicted;
# the loop block's BNE is mispredicted on its first run (taken) and its last (not taken).
MISPREDICTS_PER_LOOP = 3 * T7["mispredict"]
M7_CASES = [
    # MOVS+SUB pair; LDR+ADDS pair, ADD+SUBS pair, BNE alone: 3 cycles for 5 instructions
    ("m7_dual_loop", SETUP + "1: ldr r2, [r1]\n\tadds r3, #1\n\tadd r12, r12, r2\n\tsubs r0, #1\n\tbne 1b\n\t",
     2 + 5 * N, T7["alu"] + N * (T7["load"] + T7["alu"] + T7["branch"]) + MISPREDICTS_PER_LOOP),
    # the ADD reads the register the LDR right before it loads: no pair, a load-use stall; SUBS pairs with it;
    # in the set-up block the LDR reads r1 the SUB writes (no pair)
    ("m7_load_use_loop", SETUP + "1: ldr r2, [r1]\n\tadd r3, r3, r2\n\tsubs r0, #1\n\tbne 1b\n\t",
     2 + 4 * N, T7["alu"] + N * (T7["load"] + T7["load_use"] + T7["alu"] + T7["branch"]) + MISPREDICTS_PER_LOOP),
    # a MAC pairs with the ALU op after it, never with one before it, nor with another MAC; the last MAC pairs
    # with the BL
    ("m7_mac_first_only", "smlad r12, r2, r3, r12\n\tadds r0, #1\n\tadds r1, #1\n\tsmlad r12, r2, r3, r12\n\t"
     "smlad r2, r3, r3, r2\n\t",
     5, T7["mul"] + T7["alu"] + 2 * T7["mul"] - T7["branch"]),
    # one shifter: SXTB16 (DSP) issues alone twice, the shifted ADD cannot join the SXTB16 before it, ADDS joins
    # the ADD; the BL then issues alone
    ("m7_one_shifter", "sxtb16 r2, r3\n\tsxtb16 r12, r3, ror #8\n\tadd r0, r2, r3, lsl #2\n\tadds r1, #1\n\t",
     4, 3 * T7["alu"]),
    # LDM of 4 registers (1 + 4/2), LDRD (one cycle), a STR that reads the LDRD's register (load-use stall), a
    # load that cannot join a store; the BL joins the last load
    ("m7_memory", "sub r1, sp, #64\n\tldmia r1, {r0, r2, r3, r12}\n\tldrd r2, r3, [r1]\n\tstr r2, [r1, #8]\n\t"
     "ldr r0, [r1]\n\t",
     5, T7["alu"] + T7["multi"] + 2 * T7["per_reg"] + T7["load_double"] + T7["store"] + T7["load_use"]
     + T7["load"] - T7["branch"]),
    # a call: the BL, PUSH and POP of 3 (1 + 2 each), the return (both predicted taken)
    ("m7_call_push_pop", "bl push_pop3\n\t",
     3, T7["branch"] + T7["taken"] + 2 * (T7["multi"] + 2 * T7["per_reg"]) + T7["taken"]),
    # MOVS+MOVS pair, a divide issues alone, the BL cannot join it
    ("m7_divide", "movs r2, #30\n\tmovs r3, #5\n\tudiv r2, r2, r3\n\t",
     3, T7["alu"] + T7["div"]),
]

MAIN = """#include "fw_board.h"
__attribute__((noinline)) void fw_count_begin(void) { __asm__ volatile("" ::: "memory"); }
__attribute__((noinline)) void fw_count_end(void) { __asm__ volatile("" ::: "memory"); }
#define INTERVAL(body) __asm__ volatile("bl fw_count_begin\\n\\t" body "bl fw_count_end\\n\\tb 9f\\n\\t.ltorg\\n9:" \\
                                        ::: "r0", "r1", "r2", "r3", "r12", "lr", "s0", "s1", "s2", "cc", "memory")
__attribute__((noinline, naked)) void push_pop3(void)
{ __asm__ volatile("push {r4, r5, lr}\\n\\tpop {r4, r5, pc}"); }
int main(void)
{
    INTERVAL("");
%s
    board_puts("mcu:checksum 0x00000000\\n");
    return 0;
}
"""


def _c_string(asm: str) -> str:
    return asm.replace("\\", "\\\\").replace("\n", "\\n").replace("\t", "\\t")


def _run_cases(shared_models, workdir, board: str, cases, empties: int = 1):
    """Build and run firmware with `empties` empty intervals, then every case between the markers:
    ({name: (instructions, cycles)} less the last empty interval's figures, the cycles of every interval,
    the per-function cycles of every interval, (elf, board))."""
    g = api.load(shared_models / "hello_world_int8.tflite")
    c = compile_graph(g)
    render(c)
    b = get_board(board)
    files = render_firmware(c, b, api.random_inputs(g, 1))
    files["fw_main.c"] = MAIN % "\n".join(['    INTERVAL("");'] * (empties - 1)
                                          + [f'    INTERVAL("{_c_string(asm)}");' for _, asm, _, _ in cases])
    elf, _ = build_firmware(files, workdir / "fw")
    _, instr = run_qemu(b, elf)
    cyc = cycle_counts(elf)
    assert cyc is not None and len(cyc) == len(instr) == empties + len(cases)
    k0 = empties - 1
    got = {name: (instr[empties + k] - instr[k0], cyc[empties + k] - cyc[k0]) for k, (name, *_) in enumerate(cases)}
    return got, cyc, function_profiles(elf, "cycles"), (elf, b)


@pytest.fixture(scope="module")
def hand_timed(shared_models, tmp_path_factory):
    """The qemu-m4 firmware with every case between the markers, run once."""
    return _run_cases(shared_models, tmp_path_factory.mktemp("cycles"), "qemu-m4", CASES)


@pytest.fixture(scope="module")
def hand_timed_m7(shared_models, tmp_path_factory):
    """The qemu-m7 firmware: two empty intervals first, the second one the baseline (the same figures: the
    return from fw_count_begin is predicted on its first run too)."""
    return _run_cases(shared_models, tmp_path_factory.mktemp("cycles_m7"), "qemu-m7", M7_CASES, empties=2)


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_hand_timed_loop(case, hand_timed):
    name, _, instructions, cycles = case
    got, *_ = hand_timed
    assert got[name] == (instructions, cycles), f"{name}: (instructions, cycles) expected {(instructions, cycles)}"


@pytest.mark.parametrize("case", M7_CASES, ids=[c[0] for c in M7_CASES])
def test_hand_timed_m7(case, hand_timed_m7):
    name, _, instructions, cycles = case
    got, cyc, *_ = hand_timed_m7
    assert got[name] == (instructions, cycles), f"{name}: (instructions, cycles) expected {(instructions, cycles)}"
    assert cyc[0] == cyc[1]


def test_per_function_cycles_add_up(hand_timed):
    """Per function, cycles add up to the interval's; the call's PUSH/POP and the return's refill go to
    push_pop3, the BL and its refill to main."""
    _, cyc, prof, (elf, b) = hand_timed
    assert len(prof) == len(cyc) and all(sum(p.values()) == n for p, n in zip(prof, cyc))
    k = 1 + [c[0] for c in CASES].index("call_push_pop")
    assert prof[k]["push_pop3"] == 2 * (T["multi"] + 3 * T["per_reg"]) + T["taken"]
    # the same again on a second run
    run_qemu(b, elf)
    assert cycle_counts(elf) == cyc


def _aligned_loop(k: int) -> str:
    """The LDR/LDR loop of k iterations at a fixed layout: setup at a 16-byte boundary (8 bytes), the loop
    body (10 bytes) from offset 8, the end marker's call at the next 16-byte boundary."""
    return (f"b 7f\n\t.balign 16\n7:\tmovs r0, #{k}\n\tsub r1, sp, #64\n\tnop\n"
            "1:\tldr r2, [r1]\n\tldr r3, [r1, #4]\n\tadd r2, r3\n\tsubs r0, #1\n\tbne 1b\n\tb 6f\n\t.balign 16\n6:\t")


def test_flash_wait_states_on_instruction_fetches(shared_models, tmp_path):
    """W wait states cost W cycles per aligned 32-bit word of each executed block's instructions: for the
    loop of 100, the words are 1 (b 7f) + 5 (setup and the first pass, 18 bytes from a 16-byte boundary)
    + 99 x 3 (the loop block, bytes 8..17) + 1 (b 6f) + 1 (bl fw_count_end) + 1 (fw_count_end's bx lr)."""
    from dataclasses import replace

    g = api.load(shared_models / "hello_world_int8.tflite")
    c = compile_graph(g)
    render(c)
    b = get_board("qemu-m4")
    files = render_firmware(c, b, api.random_inputs(g, 1))
    files["fw_main.c"] = MAIN % "\n".join(f'    INTERVAL("{_c_string(_aligned_loop(k))}");' for k in (100, 50))
    elf, _ = build_firmware(files, tmp_path / "fw")
    run_qemu(b, elf)
    plain = cycle_counts(elf)
    w = 3
    _, instr = run_qemu(replace(b, flash_wait_states=w), elf)
    waited = cycle_counts(elf)
    assert waited[1] - plain[1] == w * (1 + 5 + 99 * 3 + 1 + 1 + 1)
    assert (waited[1] - plain[1]) - (waited[2] - plain[2]) == w * 3 * 50
    assert instr[1] - instr[2] == 5 * 50
    # through simulate: the label says so
    r = api.simulate(shared_models / "hello_world_int8.tflite", samples=1, board="qemu-m4", references=(),
                     flash_wait_states=2)
    assert r.extra["flash_wait_states"] == 2 and "2 flash wait states" in r.extra["cycle_model"]


_COND = r"(eq|ne|cs|cc|mi|pl|vs|vc|hi|ls|ge|lt|gt|le|hs|lo)?"
_BY_MNEMONIC = [          # (objdump mnemonic without .w/.n, timing class), first match wins
    (r"(push|pop|ldm\w*|stm\w*)", "multi"), (r"v(push|pop|ldm\w*|stm\w*)", "vfp_multi"),
    (r"ldrd" + _COND, "load_double"), (r"strd" + _COND, "store_double"), (r"(ldrex|strex)\w*", "exclusive"),
    (r"tb[bh]", "table_branch"), (r"(ldr|ldrb|ldrh|ldrsb|ldrsh|pld)" + _COND, "load"),
    (r"(str|strb|strh)" + _COND, "store"), (r"(b|bl|bx|blx)" + _COND + r"|cbn?z", "branch"),
    (r"(muls?|mla|mls|smla\w*|smul\w*|smmla\w*|smmul\w*|smlsd\w*|smuad\w*|smusd\w*|umull|umlal|umaal|"
     r"smlal\w*|usada?8)" + _COND, "mul"), (r"[su]div" + _COND, "div"), (r"(vldr|vstr)" + _COND, "vfp_load"),
    (r"v(mla|mls|nmla|nmls|fma|fms|fnma|fnms)" + _COND + r"\.\w+", "vfp_mac"),
    (r"v(div|sqrt)" + _COND + r"\.\w+", "vfp_divsqrt"),
    (r"v\w+(\.\w+)*", "vfp"),
]


def _expected_class(mnemonic: str, operands: str) -> tuple[str, int]:
    """The timing class (and registers or words moved) objdump's disassembly implies."""
    import re

    base = re.sub(r"\.(w|n)$", "", mnemonic)
    cls = next((c for pat, c in _BY_MNEMONIC if re.fullmatch(pat, base)), "alu")
    first = operands.split(",")[0].strip()
    if cls in ("multi", "vfp_multi"):
        regs = re.search(r"\{([^}]*)\}", operands).group(1)
        n = sum(int(x.split("-")[1][1:]) - int(x.split("-")[0].strip()[1:]) + 1 if "-" in x else 1
                for x in regs.split(","))
        if cls == "vfp_multi":
            return cls, n * (2 if "d" in regs else 1)
        return ("multi_pc" if "pc" in regs and not base.startswith(("push", "stm")) else cls), n
    if cls == "load" and first == "pc":
        return "load_pc", 0
    if cls == "alu" and base in ("add", "mov") and first == "pc":
        return "alu_pc", 0
    return cls, 0


def _class_dump(elf, b, tmp_path) -> tuple[dict[int, tuple[str, str]], list[str]]:
    """Run `elf` with the plugin's class dump: objdump's (mnemonic, operands) by address, the dump's lines."""
    import re
    import subprocess

    run_qemu(b, elf, classes=tmp_path / "classes.txt")
    dis = {}
    text = subprocess.run(["arm-none-eabi-objdump", "-d", str(elf)], capture_output=True, text=True, check=True)
    for line in text.stdout.splitlines():
        m = re.match(r"\s*([0-9a-f]+):\s+(?:[0-9a-f]{4} ?){1,2}\s+(\S+)\s*([^@;]*)", line)
        if m:
            dis[int(m.group(1), 16)] = (m.group(2), m.group(3).strip())
    return dis, (tmp_path / "classes.txt").read_text().splitlines()


def _decoded_classes(elf, b, tmp_path) -> set[str]:
    """Run `elf` with the plugin's class dump; every instruction it translated must be in the class
    arm-none-eabi-objdump's mnemonic implies, with the same register count. Returns the classes seen."""
    dis, dump = _class_dump(elf, b, tmp_path)
    seen, wrong = set(), {}
    for line in dump:
        addr, cls, n = line.split()[:3]
        mnemonic, operands = dis[int(addr, 16)]
        got = (cls, int(n) if "multi" in cls else 0)
        seen.add(cls)
        if got != _expected_class(mnemonic, operands):
            wrong[(mnemonic, operands)] = (addr, got)
    assert not wrong, wrong
    return seen


def test_decoder_agrees_with_objdump(shared_models, tmp_path, hand_timed):
    """The decoder against objdump on a model's run (conv, depthwise, DSP and library code) and on the
    hand-timed loops (FPU, divides, LDM/STM)."""
    g = api.load(shared_models / "kws_ref_model.tflite")
    c = compile_graph(g)
    render(c)
    b = get_board("qemu-m4")
    elf, _ = build_firmware(render_firmware(c, b, api.random_inputs(g, 1)), tmp_path / "fw")
    seen = _decoded_classes(elf, b, tmp_path)
    assert {"alu", "load", "store", "load_double", "multi", "multi_pc", "mul", "branch"} <= seen
    elf, b = hand_timed[3]
    seen = _decoded_classes(elf, b, tmp_path)
    assert {"div", "vfp", "vfp_mac", "vfp_divsqrt", "vfp_load", "vfp_multi", "store_double"} <= seen


def test_m55_cycles_not_modelled(shared_models):
    r = api.simulate(shared_models / "hello_world_int8.tflite", samples=1, board="qemu-m55", references=())
    assert r.extra["instructions"] > 0 and "cycles" not in r.extra


def test_m7_model_cycle_estimate(shared_models):
    """A real model on qemu-m7: bit-exact, fewer estimated cycles than instructions (dual issue) but more
    than half of them, per function too, and fewer than the same code's Cortex-M4 estimate."""
    model = shared_models / "micro_speech_quantized.tflite"
    r7 = api.simulate(model, samples=1, seed=0, board="qemu-m7", references=("tflm",))
    r4 = api.simulate(model, samples=1, seed=0, board="qemu-m4", references=())
    assert r7.ok
    e = r7.extra
    assert e["cycle_model"] == "Cortex-M7 dual-issue model (measured public timings), no wait states"
    assert 0.5 < e["cycles"] / e["instructions"] < 1.0
    assert sum(e["cycles_by_function"].values()) == e["cycles"]
    assert e["cycles"] < r4.extra["cycles"]


def test_flash_wait_states_refused(shared_models):
    from mcucompile.errors import McuCompileError
    model = shared_models / "hello_world_int8.tflite"
    with pytest.raises(McuCompileError, match="flash wait states are for the cycle estimate on a QEMU board"):
        api.simulate(model, samples=1, references=(), flash_wait_states=1)
    with pytest.raises(McuCompileError, match="cycles of cortex-m55 .qemu-m55. are not modelled"):
        api.simulate(model, samples=1, board="qemu-m55", references=(), flash_wait_states=1)
    with pytest.raises(McuCompileError, match="flash wait states must be 0 or more"):
        api.simulate(model, samples=1, board="qemu-m4", references=(), flash_wait_states=-1)


def test_model_cycle_estimate(shared_models):
    """A real model: cycles above instructions with a plausible cycles-per-instruction, per function too,
    the instruction counts unchanged by the estimate (the same as on a run without it)."""
    model = shared_models / "micro_speech_quantized.tflite"
    r = api.simulate(model, samples=2, seed=0, board="qemu-m4", references=("tflm",))
    assert r.ok
    e = r.extra
    assert e["cycle_model"] == "Cortex-M4 TRM timings, no wait states"
    assert 1.1 < e["cycles"] / e["instructions"] < 2.0
    assert e["cycles_min"] <= e["cycles"] <= e["cycles_max"]
    assert sum(e["cycles_by_function"].values()) == e["cycles"]
    # a caller whose instructions cancel against the empty interval's still pays its call's refill
    assert set(e["instructions_by_function"]) <= set(e["cycles_by_function"])
    assert all(e["cycles_by_function"][f] >= n for f, n in e["instructions_by_function"].items())


def test_cli_reports_cycles(shared_models):
    from click.testing import CliRunner

    from mcucompile.cli import main
    model = str(shared_models / "hello_world_int8.tflite")
    r = CliRunner().invoke(main, ["simulate", model, "--board", "qemu-m4", "--samples", "1", "--reference", "tflm"])
    assert r.exit_code == 0, r.output
    assert "cycles (estimate: Cortex-M4 TRM timings, no wait states)" in r.output
    r = CliRunner().invoke(main, ["simulate", model, "--board", "qemu-m4", "--samples", "1", "--reference", "tflm",
                                  "--json"])
    doc = json.loads(r.output)
    assert doc["cycles"] > doc["instructions"] > 0 and sum(doc["cycles_by_function"].values()) == doc["cycles"]


_REG = {**{f"r{i}": i for i in range(13)}, "sl": 10, "fp": 11, "ip": 12, "sp": 13, "lr": 14, "pc": 15}
_CONDS = {"eq", "ne", "cs", "cc", "mi", "pl", "vs", "vc", "hi", "ls", "ge", "lt", "gt", "le", "hs", "lo"}
_ONE_SOURCE = {"mov", "movs", "mvn", "mvns", "movw", "sxtb", "sxth", "uxtb", "uxth", "sxtb16", "uxtb16", "rev",
               "rev16", "revsh", "rbit", "clz", "neg", "negs", "rsbs", "adr"}


def _split_operands(operands: str) -> list[str]:
    out, depth, cur = [], 0, ""
    for ch in operands:
        if ch in "[{":
            depth += 1
        elif ch in "]}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append(cur.strip())
            cur = ""
        else:
            cur += ch
    return out + [cur.strip()] if cur.strip() else out


def _mask(text: str) -> int:
    import re
    return sum(1 << _REG[r] for r in set(re.findall(r"\b(r1[0-2]|r[0-9]|sl|fp|ip|sp|lr|pc)\b", text)))


def _expected_operands(mnemonic: str, operands: str, cls: str) -> tuple[int, int] | None:
    """(registers written, registers read) as objdump's operand text shows them, for the classes the
    dual-issue model pairs; None for instructions it does not pair (their operands are not used)."""
    import re
    base = re.sub(r"\.(w|n)$", "", mnemonic)
    special = _ONE_SOURCE | {"cmp", "cmn", "tst", "teq", "umull", "smull", "umlal", "smlal", "umaal", "bfi", "bfc",
                             "movt"}
    if base not in special and base[-2:] in _CONDS and base[:-2] in special:
        base = base[:-2]                                     # a conditional form (in an IT block)
    ops = _split_operands(operands)
    if cls in ("load", "store", "load_double", "store_double"):
        mem = next(o for o in ops if o.startswith("["))
        k = ops.index(mem)
        regs = _mask(",".join(ops[:k]))
        wb = mem.endswith("!") or k + 1 < len(ops)           # pre-indexed with writeback or post-indexed
        base_reg = _mask(mem.split(",")[0])
        src = _mask(mem) | (_mask(",".join(ops[k + 1:])))
        if cls.startswith("load"):
            return regs | (base_reg if wb else 0), src
        return (base_reg if wb else 0), src | regs
    if cls not in ("alu", "mul", "div") or base in ("nop", "it", "ite", "itt", "itte", "ittt", "iteee") \
            or base.startswith(("it", "dmb", "dsb", "isb", "mrs", "msr", "cps", "svc", "bkpt", "udf", "wfi", "wfe",
                                "sev", "yield")):
        return None
    if re.fullmatch(r"(cmp|cmn|tst|teq)", base):
        return 0, _mask(operands)
    dst = _mask(ops[0])
    if re.fullmatch(r"(umull|smull|umlal|smlal\w*|umaal|smlsld\w*)", base):
        dst = _mask(",".join(ops[:2]))
        return dst, _mask(",".join(ops[2:])) | (dst if base not in ("umull", "smull") else 0)
    if base in ("bfi", "bfc", "movt"):
        return dst, _mask(operands)
    if len(ops) == 2 and not ops[1].startswith("#") and base not in _ONE_SOURCE:
        return dst, _mask(operands)                          # two-operand form: Rdn op Rm
    if len(ops) == 2 and ops[1].startswith("#"):
        return dst, 0 if base in ("mov", "movs", "mvn", "mvns", "movw") else dst
    return dst, _mask(",".join(ops[1:]))


def test_operand_decoder_agrees_with_objdump(shared_models, tmp_path):
    """The registers the dual-issue model decodes (what an instruction writes and reads) against objdump's
    operands, on a model's qemu-m7 run (its conv, depthwise, DSP and library code)."""
    g = api.load(shared_models / "kws_ref_model.tflite")
    c = compile_graph(g)
    render(c)
    b = get_board("qemu-m7")
    elf, _ = build_firmware(render_firmware(c, b, api.random_inputs(g, 1)), tmp_path / "fw")
    dis, dump = _class_dump(elf, b, tmp_path)
    checked, unknown, wrong = 0, 0, {}
    for line in dump:
        f = line.split()
        addr, cls, dst, src = int(f[0], 16), f[1], int(f[5], 16), int(f[6], 16)
        mnemonic, operands = dis[addr]
        want = _expected_operands(mnemonic, operands, cls)
        if want is None:
            continue
        if dst == src == 0xFFFF:
            unknown += 1
            continue
        checked += 1
        if (dst, src) != want:
            wrong[(mnemonic, operands)] = (f"{dst:x}", f"{src:x}", f"want {want[0]:x} {want[1]:x}")
    assert not wrong, wrong
    assert checked > 500 and unknown == 0
