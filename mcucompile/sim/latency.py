"""Estimated latency per op at a board's clock: the cycle estimate of `simulate` (sim/timing.py) cut at
the model's kernel calls.

Method (exact, no markers in any build): the test-harness firmware that `simulate --board qemu-m4` runs
is cross-built unchanged and run once under QEMU with the instruction-count plugin
(plugin/insn_count.c) given split addresses: the return address of every kernel call in the model's
`<name>_invoke` (its `bl`/`blx` instructions, from arm-none-eabi-objdump), each mapped to its op by the
debug line information (arm-none-eabi-addr2line: the call's line in <name>.c follows the
`/* op N KIND */` comment the generator writes above it). A block starting at a return address ends a
segment, so op N is charged from the return of the previous kernel call to the return of its own: its
argument set-up, the call, the kernel, the return's pipeline refill; the first op also carries the entry
of `<name>_invoke` (input copies). What follows the last return (output copies, the return to the
harness) less the markers' own cost (the harness's empty measurement) is reported as `invoke_rest`. The
ops plus invoke_rest are exactly the whole-inference figure of `simulate --board qemu-m4` for the same
input, since it is the same firmware and the same run.

Which timing table: the board's core must be one sim/timing.py models (Cortex-M4: qemu-m4,
nucleo-l4r5zi, nrf52840dk; Cortex-M7: qemu-m7, the STM32F7/H7 boards); the firmware is built with the
board's compiler flags for the QEMU board with the same core (qemu-m4 = mps2-an386, qemu-m7 = mps2-an500)
and priced with that core's table and the board's `flash_wait_states`. Milliseconds are cycles / the
board's `clock_hz` * 1000.
"""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from ..boards import Board, get_board, qemu_boards
from ..boards.firmware import DEFAULT_STACK_BYTES, render_firmware
from ..codegen.generate import Compiled
from ..errors import BuildError, McuCompileError
from .timing import label, timing_for

_CALL = re.compile(r"^\s*([0-9a-f]+):\s+(?:[0-9a-f]{4}\s?)+\s*(bl|blx)\s+(\S+)")
_INSN = re.compile(r"^\s*([0-9a-f]+):\s")
_OP_COMMENT = re.compile(r"^\s*/\* op (\d+) (\S+)")


class LatencyUnavailableError(McuCompileError):
    """The board's core has no cycle model (or no clock): no latency estimate."""


@dataclass
class Latency:
    board: str
    core: str
    run_on: str                 # the QEMU board the firmware ran on
    method: str                 # how the estimate is made, for reports
    clock_hz: int
    flash_wait_states: int
    cycles: int                 # one inference: the per-op cycles plus invoke_rest
    invoke_rest: int            # after the last kernel call (output copies, return), markers' cost taken out
    layers: list[dict] = field(default_factory=list)    # {"index", "kind", "cycles", "ms", "share"}
    no_call_found: list[int] = field(default_factory=list)  # ops whose call was not found: the next op has them

    @property
    def ms(self) -> float:
        return to_ms(self.cycles, self.clock_hz)

    def as_dict(self) -> dict:
        return {"board": self.board, "core": self.core, "run_on": self.run_on, "method": self.method,
                "clock_hz": self.clock_hz, "flash_wait_states": self.flash_wait_states, "cycles": self.cycles,
                "ms": self.ms, "invoke_rest_cycles": self.invoke_rest, "layers": self.layers,
                "no_call_found": self.no_call_found}


def to_ms(cycles: int, clock_hz: int) -> float:
    return cycles / clock_hz * 1000.0


def method_label(core: str, flash_wait_states: int = 0) -> str:
    return f"estimate: {label(core, flash_wait_states).replace('TRM timings', 'TRM timings under QEMU')}"


def emulator_for(board: Board) -> Board:
    """The QEMU board whose core's cycles price `board`'s code, or LatencyUnavailableError."""
    modelled = [b for b in qemu_boards() if timing_for(b.core) is not None]
    if timing_for(board.core) is None:
        raise LatencyUnavailableError(
            f"no latency estimate for {board.name}: the cycles of its core ({board.core}) are not modelled; the "
            f"estimate (cycle tables under QEMU) covers the {', '.join(sorted({b.core for b in modelled}))}"
            f" boards: {', '.join(b.name for b in latency_boards())}")
    if board.clock_hz is None:
        raise LatencyUnavailableError(f"no latency estimate for {board.name}: boards.json gives it no clock_hz")
    q = next((b for b in modelled if b.core == board.core), None)
    if q is None:
        raise LatencyUnavailableError(f"no QEMU board with a {board.core} core to run {board.name}'s code on")
    return q


def latency_boards() -> list[Board]:
    from ..boards import boards
    return [b for b in boards() if timing_for(b.core) is not None and b.clock_hz]


def call_splits(elf: Path, name: str, source: Path) -> list[tuple[int, int]]:
    """(return address, op index) of every kernel call in `<name>_invoke`, in address order."""
    p = subprocess.run(["arm-none-eabi-objdump", "-d", f"--disassemble={name}_invoke", str(elf)],
                       capture_output=True, text=True, check=True)
    insns = [(int(m.group(1), 16), line) for line in p.stdout.splitlines() if (m := _INSN.match(line))]
    calls = []
    for k, (addr, line) in enumerate(insns):
        if _CALL.match(line) and k + 1 < len(insns):
            calls.append((addr, insns[k + 1][0]))
    if not calls:
        return []
    q = subprocess.run(["arm-none-eabi-addr2line", "-e", str(elf), *(f"{a:x}" for a, _ in calls)],
                       capture_output=True, text=True, check=True)
    lines = source.read_text().splitlines()
    out = []
    for (_, ret), where in zip(calls, q.stdout.splitlines()):
        m = re.search(r":(\d+)", where.split(" ")[0])
        if m is None or Path(where.split(":")[0]).name != source.name:
            continue
        ln = int(m.group(1))
        op = _OP_COMMENT.match(lines[ln - 2]) if 2 <= ln <= len(lines) + 1 else None
        if op is not None:
            out.append((ret, int(op.group(1))))
    return out


def _program_ops(c: Compiled) -> list[tuple[int, str]]:
    """(op index, kind) of every kernel call of the generated invoke, in program order, once each."""
    seen: dict[int, str] = {}
    for item in c.program:
        for call in getattr(item, "calls", None) or (item,):
            seen.setdefault(call.op_index, call.op_kind)
    return list(seen.items())


def estimate_latency(c: Compiled, board: str, inputs: list[np.ndarray],
                     workdir: Path | None = None, stack_bytes: int = DEFAULT_STACK_BYTES) -> Latency:
    """Cross-build the harness firmware of `c` (compiled for `board`) for the QEMU board with the same
    core, run one inference (`inputs`: one [N, *shape] array per model input, the first sample used;
    the callers pass api.random_inputs(graph, 1, seed 0)) and cut its estimated cycles per op."""
    from .target import build_firmware, cycle_counts, require_tools, run_qemu

    bd = get_board(board)
    q = replace(emulator_for(bd), flash_wait_states=bd.flash_wait_states)
    require_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    inputs = [np.ascontiguousarray(a[:1]) for a in inputs]
    name = c.graph.name
    with tempfile.TemporaryDirectory(prefix="mculatency_") as tmp:
        out = Path(workdir) if workdir is not None else Path(tmp)
        files = render_firmware(c, q, inputs, harness=True, stack_bytes=stack_bytes)
        elf, _ = build_firmware(files, out / f"fw_{q.name}_latency")
        splits = call_splits(elf, name, elf.parent / f"{name}.c")
        split_file = elf.with_suffix(".splits")
        ops = _program_ops(c)
        index = {op: k for k, (op, _) in enumerate(ops)}
        split_file.write_text("".join(f"{a:x} {index[op]}\n" for a, op in splits if op in index))
        run_qemu(q, elf, splits=split_file)
        est = cycle_counts(elf)
        seg = [line.split()[1:] for line in elf.with_suffix(".counts").read_text().splitlines()
               if line.startswith("S ")]
    if est is None or len(est) < 2 or len(seg) < 2:
        raise BuildError(f"the cycle counter saw {0 if est is None else len(est)} intervals, expected 3")
    whole = est[1] - est[0]
    tail, items = int(seg[1][0]), dict(item.split(":") for item in seg[1][1:])
    per = [int(items.get(str(k), 0)) for k in range(len(ops))]
    rest = tail - est[0]
    if sum(per) + rest != whole:
        raise BuildError(f"per-op cycles {sum(per)} + rest {rest} differ from the inference's {whole}")
    layers = [{"index": op, "kind": kind, "cycles": n, "ms": to_ms(n, bd.clock_hz),
               "share": n / whole if whole else 0.0} for (op, kind), n in zip(ops, per)]
    found = {op for _, op in splits}
    return Latency(bd.name, bd.core, q.name, method_label(bd.core, bd.flash_wait_states), bd.clock_hz,
                   bd.flash_wait_states, whole, rest, layers, [op for op, _ in ops if op not in found])


def latency_columns(lat: dict | None) -> dict[int, str]:
    """{op index: "  cycles  ms" text} for analyze's per-layer table ('' columns without an estimate)."""
    if not lat:
        return {}
    return {l["index"]: f" {l['cycles']:>11,} {l['ms']:>9.3f}" for l in lat["layers"]}


def latency_lines(lat: dict) -> list[str]:
    """analyze's summary lines for an estimate (Latency.as_dict)."""
    mhz = f"{lat['clock_hz'] / 1e6:g} MHz"
    out = [f"latency          ~{lat['cycles']:,} cycles = {lat['ms']:.3f} ms at {mhz} ({lat['board']}'s clock; "
           f"{lat['method']}; ran on {lat['run_on']})",
           f"  per op         cycles/ms columns: from the previous kernel call's return to its own (the first op "
           f"also copies the inputs in); after the last op {lat['invoke_rest_cycles']:,} cycles (output copies, "
           "return)"]
    top = sorted(lat["layers"], key=lambda l: -l["cycles"])[:3]
    out.append("  heaviest       " + ", ".join(f"op {l['index']} {l['kind']} {l['share']:.0%}" for l in top))
    if lat["no_call_found"]:
        out.append(f"  note           no kernel call found for ops {', '.join(map(str, lat['no_call_found']))}: "
                   "their cycles are counted to the op after them")
    return out
