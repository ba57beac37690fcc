"""Cross-build the generated C for a Cortex-M board and run it under QEMU with semihosting.

The firmware (mcucompile/boards/firmware.py, test-harness variant) embeds the inputs, runs every sample
twice between canaries like the host harness, prints outputs and figures on the semihosting console, and
calls two marker functions around each inference; a small TCG plugin (plugin/insn_count.c, built here on
first use) counts the instructions executed between them, exactly and identically on every run.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..boards import Board, get_board, qemu_boards
from ..boards.codesize import CodeSize, from_link_map
from ..boards.firmware import (
    DEFAULT_STACK_BYTES,
    code_estimate,
    fit_check,
    fnv1a,
    qemu_command,
    render_firmware,
    require_fit,
)
from ..cache import cache_dir, temp_beside
from ..codegen.generate import Compiled
from ..errors import BuildError, McuCompileError
from .objects import object_cache, object_key
from .timing import label, plugin_args, timing_for

PLUGIN_SOURCE = Path(__file__).resolve().parent / "plugin" / "insn_count.c"
DEB_PACKAGES = {"arm-none-eabi-gcc": "gcc-arm-none-eabi libnewlib-arm-none-eabi",
                "qemu-system-arm": "qemu-system-arm", "gcc": "gcc", "make": "make"}


class ToolMissingError(McuCompileError):
    """A program the Cortex-M path needs is not installed."""


@dataclass
class TargetRun:
    outputs: list[np.ndarray]       # one array per model output, [N, *shape]
    stats: dict                     # the host harness figures + instructions, board, stack_used, size


def require_tools(*tools: str) -> None:
    missing = [t for t in tools if shutil.which(t) is None]
    if missing:
        pkgs = " ".join(dict.fromkeys(DEB_PACKAGES.get(t, t) for t in missing))
        raise ToolMissingError(f"{', '.join(missing)} not found: install the Debian packages {pkgs} "
                               f"(`sudo apt-get install {pkgs}`, or run `make setup` as root)")


def plugin_path() -> Path:
    """Build the instruction-count plugin with the host gcc (once per source version) and return it."""
    require_tools("gcc")
    src = PLUGIN_SOURCE.read_bytes()
    digest = hashlib.sha256(src).hexdigest()[:16]
    lib = cache_dir() / "qemu-plugins" / digest / "libinsn_count.so"
    if lib.exists():
        return lib
    lib.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_beside(lib)     # built under a fresh name, then renamed: a concurrent qemu never loads half a .so
    cmd = ["gcc", "-shared", "-fPIC", "-O2", "-Wall", "-Wextra", "-Werror", str(PLUGIN_SOURCE), "-o", str(tmp)]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True)
        if p.returncode != 0:
            raise BuildError(f"building the QEMU plugin failed ({' '.join(cmd)}):\n{p.stderr[-2000:]}")
        tmp.replace(lib)
    finally:
        tmp.unlink(missing_ok=True)
    return lib


def build_firmware(files: dict[str, str], out: Path, jobs: int = 2) -> tuple[Path, dict]:
    """Write the project into `out`, run make, return the ELF and its arm-none-eabi-size figures.
    The kernel library's objects (mcu_*.o) come from a cache when compiler, flags, source and included
    headers are the same as before (placed newer than every source, so make keeps them); new ones are
    added to it after the build."""
    require_tools("arm-none-eabi-gcc", "make")
    out.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (out / rel).write_text(text)
    cached = _firmware_objects(files)
    now = time.time() + 2
    for name, obj in cached.items():
        if obj.exists():
            dst = out / f"{Path(name).stem}.o"
            shutil.copyfile(obj, dst)
            os.utime(dst, (now, now))
    p = subprocess.run(["make", "-s", f"-j{jobs}"], cwd=out, capture_output=True, text=True)
    if p.returncode != 0:
        raise BuildError(f"firmware build failed in {out}:\n{(p.stdout + p.stderr)[-4000:]}")
    for name, obj in cached.items():
        built = out / f"{Path(name).stem}.o"
        if not obj.exists() and built.exists():
            tmp = temp_beside(obj)
            try:
                shutil.copyfile(built, tmp)
                tmp.replace(obj)
            finally:
                tmp.unlink(missing_ok=True)
    elf = next(out.glob("*.elf"))
    return elf, elf_size(elf)


def code_size(c: Compiled, board: Board, workdir: Path | None = None) -> CodeSize:
    """Flash by part (kernel files, the model's code, weights, the rest) from the link map of the plain
    firmware for `board` (one zero test input), cross-built in `workdir` (default: a temporary folder)."""
    import tempfile

    inputs = [np.zeros((1, *io.shape), dtype=io.dtype) for io in c.inputs]
    files = render_firmware(c, board, inputs)
    with tempfile.TemporaryDirectory(prefix="mcusize_") as tmp:
        out = Path(workdir) if workdir is not None else Path(tmp)
        build_firmware(files, out)
        return from_link_map((out / f"{c.graph.name}.map").read_text(), c.graph.name)


def flash_by_part(c: Compiled, board: Board, build: bool = True) -> CodeSize:
    """code_size (the link map) when `build`, the ARM toolchain is installed and the model fits the board
    (otherwise the link fails), else the estimate (boards.firmware.code_estimate)."""
    if build and shutil.which("arm-none-eabi-gcc") and shutil.which("make") and fit_check(c, board).fits:
        return code_size(c, board)
    return code_estimate(c, board)


def _firmware_objects(files: dict[str, str]) -> dict[str, Path]:
    """Cache paths of the kernel library's objects for this project's compiler flags (empty when
    MCUCOMPILE_OBJECT_CACHE=0 or the Makefile's flags cannot be read)."""
    if "Makefile" not in files:
        return {}
    flags = [l for l in files["Makefile"].splitlines() if l.startswith(("CC ", "TARGET_FLAGS", "CFLAGS"))]
    cc = shutil.which("arm-none-eabi-gcc")
    d = object_cache("firmware-objects")
    if len(flags) != 3 or cc is None or d is None:
        return {}
    return {f: d / f"{Path(f).stem}-{object_key(cc, flags, f, files)}.o"
            for f in files if f.startswith("mcu_") and f.endswith(".c")}


def elf_size(elf: Path) -> dict:
    """text/data/bss from arm-none-eabi-size (flash = text + data, SRAM = data + bss)."""
    p = subprocess.run(["arm-none-eabi-size", str(elf)], capture_output=True, text=True, check=True)
    text, data, bss = (int(v) for v in p.stdout.splitlines()[1].split()[:3])
    return {"text": text, "data": data, "bss": bss, "flash": text + data, "sram": data + bss}


def symbol_address(elf: Path, name: str) -> int:
    p = subprocess.run(["arm-none-eabi-nm", str(elf)], capture_output=True, text=True, check=True)
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == name:
            return int(parts[0], 16)
    raise BuildError(f"{elf}: symbol {name} not found")


def function_table(elf: Path) -> list[tuple[int, int, str]]:
    """(start, size, name) of every function in the ELF with a size, by address, aliases dropped."""
    p = subprocess.run(["arm-none-eabi-nm", "-S", "--defined-only", str(elf)], capture_output=True, text=True,
                       check=True)
    funcs = []
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) == 4 and parts[2] in "tTwW" and int(parts[1], 16) > 0:
            funcs.append((int(parts[0], 16) & ~1, int(parts[1], 16), parts[3]))
    funcs.sort()
    out: list[tuple[int, int, str]] = []
    for f in funcs:
        if not out or f[0] >= out[-1][0] + out[-1][1]:
            out.append(f)
    return out


def function_profiles(elf: Path, what: str = "instructions") -> list[dict[str, int]]:
    """Per marked interval of the last run_qemu(elf): instructions (or, with what="cycles", estimated
    cycles: only for the cores timing.py models) per function (the plugin's F and C lines; the function
    names from the table run_qemu handed the plugin)."""
    tag = {"instructions": "F", "cycles": "C"}[what]
    names = [line.split()[2] for line in elf.with_suffix(".funcs").read_text().splitlines()]
    profiles = []
    for line in elf.with_suffix(".counts").read_text().splitlines():
        if line.startswith(tag):
            profiles.append({names[int(i)]: int(n) for i, n in (item.split(":") for item in line[1:].split())})
    return profiles


_STATS = re.compile(r"mcu:stats (.*)")
_OUT = re.compile(r"mcu:out (\d+) (\d+) ([0-9a-f]*)")
_SUM = re.compile(r"mcu:checksum 0x([0-9a-f]{8})")
_TOUCHED = re.compile(r"mcu:touched((?: \d+-\d+)*)")


def touched_map(console: str, arena_bytes: int) -> np.ndarray:
    """The arena bytes one firmware run touched, from its "mcu:touched FROM-TO ..." line (half-open ranges)."""
    m = _TOUCHED.search(console)
    if m is None:
        raise BuildError(f"the firmware printed no touched ranges:\n{console[-2000:]}")
    touched = np.zeros(arena_bytes, dtype=bool)
    for item in m.group(1).split():
        lo, hi = (int(v) for v in item.split("-"))
        if not 0 <= lo < hi <= arena_bytes:
            raise BuildError(f"touched range {lo}-{hi} outside the {arena_bytes}-byte arena")
        touched[lo:hi] = True
    return touched


def run_qemu(board: Board, elf: Path, count: bool = True, timeout: float = 900,
             classes: Path | None = None, splits: Path | None = None) -> tuple[str, list[int]]:
    """Run the ELF; return the console text and the instruction count of every marked interval (cycle
    estimates, for the cores timing.py models: cycle_counts(elf)). `classes`: a file for the plugin's
    timing class of every translated instruction (to check its decoder); `splits`: the plugin's split
    addresses (cycles per op: sim/latency.py)."""
    require_tools("qemu-system-arm")
    cmd = qemu_command(board, str(elf))
    counts_file = elf.with_suffix(".counts")
    if count:
        begin, end = symbol_address(elf, "fw_count_begin"), symbol_address(elf, "fw_count_end")
        counts_file.unlink(missing_ok=True)
        funcs_file = elf.with_suffix(".funcs")
        funcs_file.write_text("".join(f"{s:x} {n:x} {name}\n" for s, n, name in function_table(elf)))
        timing = plugin_args(board.core, (board.flash.origin, board.flash.end), board.flash_wait_states)
        cmd[-2:-2] = ["-plugin", f"{plugin_path()},begin={begin:#x},end={end:#x},out={counts_file},"
                                 f"funcs={funcs_file}{timing}" + (f",classes={classes}" if classes else "")
                                 + (f",splits={splits}" if splits else "")]
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=elf.parent)
    except subprocess.TimeoutExpired:
        raise BuildError(f"QEMU ({board.qemu_machine}) did not finish within {timeout:.0f} s") from None
    console = p.stdout + p.stderr      # mps3-an547 sends the semihosting console to stderr
    if p.returncode not in (0, 1) or "mcu:checksum" not in console:
        raise BuildError(f"firmware failed under QEMU {board.qemu_machine} (exit {p.returncode}):\n"
                         f"{console[-3000:]}")
    counts = [int(x.split()[0]) for x in _count_lines(counts_file)] if count else []
    return console, counts


def _count_lines(counts_file: Path) -> list[str]:
    return [x for x in counts_file.read_text().splitlines() if x[:1].isdigit()]


def cycle_counts(elf: Path) -> list[int] | None:
    """The estimated cycles of every marked interval of the last run_qemu(elf), or None when the board's
    core is not modelled (mcucompile/sim/timing.py)."""
    lines = [x.split() for x in _count_lines(elf.with_suffix(".counts"))]
    return [int(x[1]) for x in lines] if lines and all(len(x) == 2 for x in lines) else None


def _first_sample_profile(elf: Path, what: str) -> dict[str, int]:
    """Instructions or cycles per function of the first sample's interval less the empty interval's."""
    prof = function_profiles(elf, what)
    by = {f: n - prof[0].get(f, 0) for f, n in prof[1].items()} if len(prof) > 1 else {}
    return dict(sorted(((f, n) for f, n in by.items() if n > 0), key=lambda x: -x[1]))


def _chunks(c: Compiled, board: Board, n: int, stack_bytes: int) -> int:
    """Samples per QEMU run so that the embedded inputs fit the board's flash."""
    per = sum(i.nbytes for i in c.inputs)
    k = n
    while k > 1 and not fit_check(c, board, samples=k, harness=True, stack_bytes=stack_bytes).fits:
        k = max(1, k // 2)
    return k if per else n


def run_on_board(c: Compiled, board: str, inputs: list[np.ndarray], workdir: Path,
                 stack_bytes: int = DEFAULT_STACK_BYTES, progress=None,
                 flash_wait_states: int | None = None, sequence: bool = False) -> TargetRun:
    """Run every sample of `inputs` (one [N, *shape] array per model input) on an emulated board.
    `progress(stage, done, total)` hears of each cross-build and QEMU run (samples are run in chunks
    that fit the board's flash). `flash_wait_states`: for the cycle estimate, instead of the board's."""
    b = get_board(board)
    if flash_wait_states is not None:
        if flash_wait_states < 0:
            raise McuCompileError(f"flash wait states must be 0 or more, not {flash_wait_states}")
        if flash_wait_states and timing_for(b.core) is None:
            raise McuCompileError(f"flash wait states: the cycles of {b.core} ({b.name}) are not modelled "
                                  "(instructions only); the estimate covers qemu-m4 and qemu-m7")
        b = replace(b, flash_wait_states=flash_wait_states)
    if not b.is_qemu:
        raise McuCompileError(f"{board} is a real board: simulate runs on {', '.join(q.name for q in qemu_boards())}"
                              f"; use `mcucompile flash` to run on {board}")
    require_tools("arm-none-eabi-gcc", "qemu-system-arm", "gcc", "make")
    n = int(inputs[0].shape[0])
    require_fit(c, b, samples=1, harness=True, stack_bytes=stack_bytes)
    per_run = _chunks(c, b, n, stack_bytes)
    if sequence and per_run < n:
        raise McuCompileError(f"a stream of {n} samples does not fit {b.name}'s flash in one run (at most "
                              f"{per_run}): run a shorter --sequence")
    outs: list[list[np.ndarray]] = [[] for _ in c.outputs]
    instr: list[int] = []
    cyc: list[int] = []
    by_function: dict[str, int] = {}
    cycles_by_function: dict[str, int] = {}
    agg = {"guard_violations": 0, "nondeterministic": 0, "stack_used": 0}
    touched = np.zeros(c.arena_bytes, dtype=bool)      # union over all QEMU runs
    bank_stats: dict[str, int] = {}
    size = {}
    runs = -(-n // per_run)
    stage = f"{b.name} build+run"
    tell = progress or (lambda stage, done, total: None)
    tell(stage, 0, 2 * runs)
    for k, lo in enumerate(range(0, n, per_run)):
        part = [np.ascontiguousarray(a[lo:lo + per_run]) for a in inputs]
        m = int(part[0].shape[0])
        files = render_firmware(c, b, part, harness=True, stack_bytes=stack_bytes, sequence=sequence)
        elf, size = build_firmware(files, Path(workdir) / f"fw_{b.name}_{k}")
        tell(stage, 2 * k + 1, 2 * runs)
        console, counts = run_qemu(b, elf)
        tell(stage, 2 * k + 2, 2 * runs)
        got = [np.zeros((m, *o.shape), dtype=o.dtype) for o in c.outputs]
        seen = set()
        for s, j, hexs in _OUT.findall(console):
            s, j = int(s), int(j)
            got[j][s] = np.frombuffer(bytes.fromhex(hexs), dtype=c.outputs[j].dtype).reshape(c.outputs[j].shape)
            seen.add((s, j))
        if len(seen) != m * len(c.outputs):
            raise BuildError(f"firmware printed {len(seen)} of {m * len(c.outputs)} outputs:\n{console[-2000:]}")
        stats = dict(kv.split("=") for kv in _STATS.search(console).group(1).split())
        checksum = int(_SUM.search(console).group(1), 16)
        if checksum != fnv1a(got):
            raise BuildError("the firmware's output checksum does not match the printed outputs "
                             "(console transport corrupted)")
        if len(counts) != 1 + 2 * m:
            raise BuildError(f"instruction counter saw {len(counts)} intervals, expected {1 + 2 * m}")
        overhead = counts[0]
        instr += [counts[1 + 2 * s] - overhead for s in range(m)]
        est = cycle_counts(elf)
        if est is not None:
            cyc += [est[1 + 2 * s] - est[0] for s in range(m)]
        if k == 0:         # where the first sample's instructions went, the markers' own cost taken out
            by_function = _first_sample_profile(elf, "instructions")
            if est is not None:
                cycles_by_function = _first_sample_profile(elf, "cycles")
        for j in range(len(c.outputs)):
            outs[j].append(got[j])
        for key in ("guard_violations", "nondeterministic"):
            agg[key] += int(stats[key])
        agg["stack_used"] = max(agg["stack_used"], int(stats["stack_used"]))
        for key, v in stats.items():         # memory banks: the other arenas' touched bytes (most of any run)
            if key.startswith("bank_"):
                bank_stats[key] = max(bank_stats.get(key, 0), int(v))
        if int(stats["arena_bytes"]) != c.arena_bytes:
            raise BuildError(f"the firmware's arena is {stats['arena_bytes']} bytes, the plan's {c.arena_bytes}")
        run_touched = touched_map(console, c.arena_bytes)
        if int(run_touched.sum()) != int(stats["touched_bytes"]):
            raise BuildError(f"touched ranges cover {int(run_touched.sum())} bytes but the firmware counted "
                             f"{stats['touched_bytes']} (console transport corrupted)")
        touched |= run_touched
    hit = np.flatnonzero(touched)
    return TargetRun([np.concatenate(o) for o in outs], {
        "samples": n, "arena_bytes": c.arena_bytes, "touched_bytes": int(hit.size),
        "touched_extent": int(hit[-1]) + 1 if hit.size else 0, **agg, "board": b.name, "core": b.core,
        "instructions": instr[0], "instructions_min": min(instr), "instructions_max": max(instr),
        "instructions_by_function": by_function,
        **({"cycles": cyc[0], "cycles_min": min(cyc), "cycles_max": max(cyc),
            "cycles_by_function": cycles_by_function, "cycle_model": label(b.core, b.flash_wait_states),
            "flash_wait_states": b.flash_wait_states} if cyc else {}),
        "elf_text_bytes": size.get("text"), "elf_data_bytes": size.get("data"), "elf_bss_bytes": size.get("bss"),
        "qemu_runs": -(-n // per_run),
        **({"banks": [{"name": b["name"], "arena_bytes": b["bytes"],
                       "touched_bytes": bank_stats.get(f"bank_{b['c_name']}_touched_bytes", 0),
                       "touched_extent": bank_stats.get(f"bank_{b['c_name']}_touched_extent", 0)}
                      for b in c.extra_arenas]} if c.extra_arenas else {})})
