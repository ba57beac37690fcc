"""A self-contained firmware project for one board: the model's C plus start-up code, a linker script with
the board's memory map, a main running embedded test inputs, a Makefile and a CMakeLists.txt.

Every decision (flags, regions, stack, vectors, commands) is made here into plain records; the templates in
templates/board/ only print them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import jinja2
import numpy as np

from .. import TEMPLATES_DIR, __version__
from ..codegen.generate import Compiled, kernel_defines, link_libs, render
from ..errors import McuCompileError
from . import Board, Region, boards
from .codesize import CodeSize, kernel_estimate

RP2040_TOOL = Path(__file__).resolve().parent / "rp2040_tool.py"   # copied into RP2040 projects as fw_rp2040.py

DEFAULT_STACK_BYTES = 4096
HARNESS_GUARD = 1024        # guard zone each side of the arena in the test harness
PLAIN_GUARD = 16            # a small guard in the plain firmware: overruns still show
# Code size is only known after the build (arm-none-eabi-size confirms it); before it, estimate generously:
CODE_BASE_BYTES = 4 * 1024          # start-up, console, main, libc memcpy/memset
CODE_PER_KERNEL_FILE = 2560    # one firmware/*.c kernel file, where code_sizes.json lacks the core
CODE_PER_SOURCE_CHAR = 1 / 3       # <name>.c (calls and parameter tables): object bytes per character of C


class FitError(McuCompileError):
    """The model does not fit the board's SRAM or flash."""


@dataclass
class Fit:
    board: str
    arena: int
    stack: int
    io: int
    harness: int            # guard zones, touched map, second output copy (test harness only)
    sram_capacity: int
    weights: int
    code_estimate: int
    test_data: int
    flash_capacity: int
    state: int = 0          # the persistent state region (outside the arena)

    @property
    def sram_needed(self) -> int:
        return self.arena + self.state + self.stack + self.io + self.harness

    @property
    def flash_needed(self) -> int:
        return self.weights + self.code_estimate + self.test_data

    @property
    def fits(self) -> bool:
        return self.sram_needed <= self.sram_capacity and self.flash_needed <= self.flash_capacity

    def as_dict(self) -> dict:
        return {"board": self.board, "fits": self.fits,
                "sram": {"needed": self.sram_needed, "capacity": self.sram_capacity, "arena": self.arena,
                         "state": self.state,
                         "stack": self.stack, "io": self.io, "harness": self.harness},
                "flash": {"needed": self.flash_needed, "capacity": self.flash_capacity, "weights": self.weights,
                          "code_estimate": self.code_estimate, "test_inputs": self.test_data}}


def _b(n: int) -> str:
    return f"{n:,} B" if n < 10240 else f"{n:,} B ({n / 1024:.1f} KiB)"


def const_bytes(c: Compiled) -> int:
    return int(sum(np.asarray(k.values).nbytes for k in c.consts))


def kernel_code(c: Compiled, board: Board) -> dict[str, int]:
    """Estimated kernel code per firmware/ file on `board`'s core: the functions the model's calls reach
    (boards/codesize.py's table), or CODE_PER_KERNEL_FILE a file where the table lacks the core."""
    est = kernel_estimate({k.func for k in c.calls}, board.cpu)
    if est is None:
        return {s: CODE_PER_KERNEL_FILE for s in c.sources}
    return est


def code_estimate(c: Compiled, board: Board) -> CodeSize:
    """The flash by part as fit_check estimates it (no toolchain needed)."""
    model_c = (c.files or render(c)).get(f"{c.graph.name}.c", "")
    return CodeSize(kernel_code(c, board), int(len(model_c) * CODE_PER_SOURCE_CHAR), const_bytes(c),
                    CODE_BASE_BYTES, "estimate")


def main_sram(c: Compiled, board: Board) -> Region:
    """The RAM region the stack, .data/.bss and the main arena go to: the board's "sram", or with memory banks
    the main bank's region (passes/banks.py)."""
    if c.banks is not None:
        m = next(b for b in c.banks.banks if b.main)
        if m.origin is not None and m.length is not None:
            return Region(m.origin, m.length, m.name)
    return board.sram


def fit_check(c: Compiled, board: Board, samples: int = 1, harness: bool = False,
              stack_bytes: int = DEFAULT_STACK_BYTES) -> Fit:
    runs = 2 if harness else 1
    out_bytes = sum(o.nbytes for o in c.outputs)
    in_bytes = sum(i.nbytes for i in c.inputs)
    io = out_bytes * runs - (out_bytes if harness else 0)
    if not c.options.io_in_arena:
        io += in_bytes          # an application needs its input buffer in SRAM too
    guard = HARNESS_GUARD if harness else PLAIN_GUARD
    extra = 2 * guard + (c.arena_bytes + out_bytes + 2 * c.state_bytes if harness else 0) + 64   # + main's,
    #                                                                              console's .data/.bss
    model_c = (c.files or render(c)).get(f"{c.graph.name}.c", "")
    code = CODE_BASE_BYTES + sum(kernel_code(c, board).values()) + int(len(model_c) * CODE_PER_SOURCE_CHAR)
    return Fit(board.name, c.arena_bytes, stack_bytes, io, extra, main_sram(c, board).length,
               const_bytes(c), code, in_bytes * samples, board.flash.length - board.flash_reserved, c.state_bytes)


def require_fit(c: Compiled, board: Board, **kw) -> Fit:
    """The fit check; raises FitError naming both figures, the overshoot and what to try."""
    guard = HARNESS_GUARD if kw.get("harness") else PLAIN_GUARD
    for b in c.extra_arenas:            # memory banks: each other arena and its guard zones in its region
        length = next(x.length for x in c.banks.banks if x.cname == b["c_name"]) if c.banks else None
        if length is not None and b["bytes"] + 2 * guard > length:
            raise FitError(f"{c.graph.name} does not fit {board.name}: memory bank {b['name']} has {length:,} B but "
                           f"its arena needs {b['bytes']:,} B + {2 * guard:,} B of guard zones; give the region "
                           f"{b['bytes'] + 2 * guard - length:,} B less in --memory")
    f = fit_check(c, board, **kw)
    if f.fits:
        return f
    problems = []
    if f.sram_needed > f.sram_capacity:
        problems.append(f"SRAM needs {_b(f.sram_needed)} (arena {f.arena:,}"
                        + (f" + state {f.state:,}" if f.state else "") + f" + stack {f.stack:,} + I/O {f.io:,}"
                        f" + runtime {f.harness:,}) but {board.name} has {_b(f.sram_capacity)}: "
                        f"{f.sram_needed - f.sram_capacity:,} B too many")
    if f.flash_needed > f.flash_capacity:
        problems.append(f"flash needs {_b(f.flash_needed)} (weights {f.weights:,} + code ~{f.code_estimate:,}"
                        f" + test inputs {f.test_data:,}) but {board.name} has {_b(f.flash_capacity)}: "
                        f"{f.flash_needed - f.flash_capacity:,} B too many")
    larger = [b.name for b in boards() if not b.is_qemu and b.name != board.name
              and fit_check(c, b, **kw).fits]
    hints = []
    if f.sram_needed > f.sram_capacity:
        room = f.sram_capacity - (f.sram_needed - f.arena)
        if c.options.patch_mode == "none" and not c.options.patch and c.options.sram_limit is None:
            hints.append("try --patch auto (patch-based inference shrinks the arena)")
        elif room > 0:
            hints.append(f"try --sram-limit {room} (the arena that would fit) or a larger --max-overhead")
    if f.flash_needed > f.flash_capacity:
        hints.append("patching does not shrink flash (the weights stay there): use a smaller model")
    hints.append(f"or a larger board: {', '.join(larger)}" if larger else
                 "no board in `mcucompile boards` has enough memory for this model as compiled")
    hint = "; ".join(hints)
    raise FitError(f"{c.graph.name} does not fit {board.name}: " + "; ".join(problems) + f". Hint: {hint}")


def confirm_size(board: Board, size: dict, fit: dict | None = None) -> str:
    """One line setting arm-none-eabi-size's figures (elf_size()) against the board and the fit check's
    estimate; raises FitError when the built firmware does not fit (the linker normally refuses first)."""
    flash, sram = size["text"] + size["data"], size["data"] + size["bss"]
    over = []
    if flash > board.flash.length:
        over.append(f"flash {flash:,} B > {board.flash.length:,} B")
    if sram > board.sram.length:
        over.append(f"SRAM {sram:,} B > {board.sram.length:,} B")
    if over:
        raise FitError(f"the built firmware does not fit {board.name}: {', '.join(over)}. Hint: try --patch auto "
                       f"or a larger board (`mcucompile boards`)")
    est_flash = est_sram = ""
    if fit:
        est_flash = f", fit check ~{fit['flash']['needed'] + board.flash_reserved:,}"
        est_sram = f", fit check {fit['sram']['needed']:,}"
    return (f"arm-none-eabi-size: flash {flash:,} of {board.flash.length:,} B (text + data{est_flash}), "
            f"SRAM {sram:,} of {board.sram.length:,} B (data + bss incl. arena and stack{est_sram}): fits {board.name}")


# ---- records -----------------------------------------------------------------------------------

def _vectors(board: Board) -> list[str]:
    """Vector table entries 4..15 (after SP, reset, NMI, HardFault)."""
    if board.cpu in ("cortex-m0", "cortex-m0plus", "cortex-m1"):
        return ["0"] * 7 + ["Default_Handler", "0", "0", "Default_Handler", "Default_Handler"]
    return ["Default_Handler"] * 3 + ["0"] * 4 + ["Default_Handler"] * 2 + ["0"] + ["Default_Handler"] * 2


def qemu_command(board: Board, elf: str) -> list[str]:
    return ["qemu-system-arm", "-M", board.qemu_machine, "-display", "none", "-monitor", "none",
            "-serial", "none", "-semihosting-config", "enable=on,target=native", "-kernel", elf]


def pyocd_command(board: Board, elf: str, probe: str | None = None) -> list[str]:
    cmd = ["pyocd", "load", "--target", board.pyocd_target or "?"]
    if probe:
        cmd += ["--uid", probe]
    return cmd + [elf]


def uf2_note(board: Board, uf2: str) -> str | None:
    """How to flash without a probe, for boards whose USB boot loader takes UF2 files (None: no such route)."""
    if board.uf2_family is None:
        return None
    return (f"or, without a probe: hold BOOTSEL while plugging {board.name} into USB, then copy {uf2} "
            f"to the RPI-RP2 drive that appears")


BOOT2_SCK_DIVIDER = 4       # SSI clock divider of the boot2 stage: clk_sys / 4 (the boot ROM itself uses 6)


def ld_name(board: Board) -> str:
    return f"fw_{board.name.replace('-', '_')}.ld"


def _sample_lines(a: np.ndarray, per_line: int = 32) -> list[str]:
    a = np.asarray(a)
    if a.dtype.kind == "f":     # exact C99 hexadecimal literals (the values, not their integer parts)
        items = [float(v).hex() for v in a.ravel().astype(np.float64).tolist()]
    else:
        items = [str(v) for v in a.ravel().astype(np.int64).tolist()]
    return [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]


def render_firmware(c: Compiled, board: Board, test_inputs: Sequence[np.ndarray], harness: bool = False,
                    stack_bytes: int = DEFAULT_STACK_BYTES, sequence: bool = False) -> dict[str, str]:
    """{relative path: text} of the whole firmware project. test_inputs: one [N, *shape] array per input;
    each sample from the model's initial state, or with `sequence` all of them as one stream."""
    files = dict(c.files or render(c))
    name = c.graph.name
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(str(TEMPLATES_DIR / "board")),
                             undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                             trim_blocks=True, lstrip_blocks=True)
    samples = int(test_inputs[0].shape[0])
    for arr, io in zip(test_inputs, c.inputs):
        if tuple(arr.shape[1:]) != tuple(io.shape) or arr.shape[0] != samples:
            raise McuCompileError(f"test input for {io.name!r} has shape {arr.shape}, expected [N, *{io.shape}]")
    model_sources = [f for f in files if f.endswith(".c")]
    sources = sorted(model_sources) + ["fw_board.c", "fw_main.c", "fw_startup.c", "fw_test_data.c"]
    ld = ld_name(board)
    target = board.cflags
    boot2 = None
    if board.boot2:
        boot2 = {"sck_divider": BOOT2_SCK_DIVIDER, "vectors": board.flash.origin + board.flash_reserved,
                 "origin": board.flash.origin, "length": board.flash_reserved}
    cflags = ["-std=c99", "-O2", "-g", "-Wall", "-Wextra", "-Werror", "-ffunction-sections", "-fdata-sections",
              "-fno-common", *kernel_defines(c.options)]
    link_common = ["-nostartfiles", "--specs=nano.specs", "--specs=nosys.specs", "-Wl,--gc-sections",
                   "-Wl,--no-warn-rwx-segments", f"-Wl,-Map={name}.map"]
    fit = fit_check(c, board, samples=samples, harness=harness, stack_bytes=stack_bytes)
    ctx = {
        "fit": fit, "name": name, "NAME": name.upper(), "version": __version__, "board": board,
        "inputs": c.inputs, "outputs": c.outputs, "samples": samples, "harness": harness,
        "runs": 2 if harness else 1, "guard": HARNESS_GUARD if harness else PLAIN_GUARD, "sequence": sequence,
        "extra_vectors": _vectors(board), "ld_name": ld, "sources": sources, "boot2": boot2,
        "uf2": None if board.uf2_family is None else {"family": f"0x{board.uf2_family:08x}",
                                                       "base": f"0x{board.flash.origin:08x}",
                                                       "note": uf2_note(board, f"{name}.uf2")},
        "mem": {"flash_origin": board.flash.origin + board.flash_reserved,
                "flash_length": board.flash.length - board.flash_reserved,
                "sram_origin": main_sram(c, board).origin, "sram_length": main_sram(c, board).length,
                "stack_bytes": stack_bytes},
        "banks": [dict(b, length=next(x.length for x in c.banks.banks if x.cname == b["c_name"]))
                  for b in c.extra_arenas] if c.banks is not None else [],
        "main_bank": next(b.name for b in c.banks.banks if b.main) if c.banks is not None else None,
        "flags": {"target": target, "cflags": cflags, "ldflags": [f"-T {ld}", *link_common],
                  "libs": link_libs(sources),
                  "cmake_ldflags": [f"-T${{CMAKE_CURRENT_SOURCE_DIR}}/{ld}", *link_common]},
        "run_cmd": qemu_command(board, f"{name}.elf") if board.is_qemu else [],
        "flash_cmd": pyocd_command(board, f"{name}.elf") if not board.is_qemu else [],
        "test_data": [{"index": io.index, "ctype": io.ctype,
                       "samples": [_sample_lines(arr[s]) for s in range(samples)]}
                      for arr, io in zip(test_inputs, c.inputs)],
    }
    files.pop("Makefile", None)          # the library Makefile; the firmware Makefile replaces it
    for tpl, out in [("fw_board.h.j2", "fw_board.h"), ("fw_board.c.j2", "fw_board.c"),
                     ("fw_startup.c.j2", "fw_startup.c"), ("fw_main.c.j2", "fw_main.c"),
                     ("fw_test_data.h.j2", "fw_test_data.h"), ("fw_test_data.c.j2", "fw_test_data.c"),
                     ("fw_linker.ld.j2", ld), ("fw_Makefile.j2", "Makefile"),
                     ("fw_CMakeLists.txt.j2", "CMakeLists.txt")] + \
            ([("fw_boot2_rp2040.S.j2", "fw_boot2.S")] if boot2 else []):
        files[out] = env.get_template(tpl).render(ctx)
    if boot2 or board.uf2_family is not None:
        files["fw_rp2040.py"] = RP2040_TOOL.read_text()
    files["fw_board.json"] = json.dumps({"board": board.as_dict(), "samples": samples, "harness": harness,
                                         "stack_bytes": stack_bytes, "elf": f"{name}.elf",
                                         "uf2": f"{name}.uf2" if board.uf2_family is not None else None,
                                         "fit": fit.as_dict()}, indent=2) + "\n"
    return files


def fnv1a(outputs: Sequence[np.ndarray]) -> int:
    """The checksum fw_main.c prints: FNV-1a over every sample's outputs in order."""
    h = 2166136261
    n = outputs[0].shape[0]
    for s in range(n):
        for o in outputs:
            for byte in np.ascontiguousarray(o[s]).view(np.uint8).ravel().tolist():
                h = ((h ^ byte) * 16777619) & 0xFFFFFFFF
    return h
