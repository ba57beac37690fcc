"""The board table (boards.json beside this file) and the decisions derived from it.

A board says which core it has (-mcpu, FPU, DSP), where its SRAM and flash are, how the firmware talks
(semihosting under QEMU, a UART on real boards) and how it is flashed (the pyOCD target name).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..errors import McuCompileError

BOARDS_FILE = Path(__file__).resolve().parent / "boards.json"


class UnknownBoardError(McuCompileError):
    """A --board name that is not in the board table."""


@dataclass(frozen=True)
class Region:
    origin: int
    length: int
    name: str

    @property
    def end(self) -> int:
        return self.origin + self.length


@dataclass(frozen=True)
class RamRegion:
    """One RAM region a board lists under "ram" (memory banks, --memory): rank 0 is the fastest; the main
    region holds the stack, .data/.bss and the main arena when the arena is spread over banks."""
    name: str
    origin: int
    length: int
    rank: int
    main: bool = False

    def as_dict(self) -> dict:
        return {"name": self.name, "origin": self.origin, "bytes": self.length, "rank": self.rank, "main": self.main}


@dataclass(frozen=True)
class Board:
    name: str
    description: str
    core: str
    cpu: str                       # -mcpu
    fpu: str | None             # -mfpu (None: no FPU; "auto": implied by -mcpu)
    float_abi: str                 # -mfloat-abi
    dsp: bool
    flash: Region
    sram: Region
    console: str                   # "semihosting" | "uart"
    qemu_machine: str | None = None
    pyocd_target: str | None = None
    pyocd_pack: str | None = None
    uart: str | None = None
    flash_reserved: int = 0        # bytes at the start of flash the firmware must not use
    probe: str | None = None    # what to connect for flashing
    boot2: str | None = None    # second boot stage the firmware must carry ("rp2040-03h": RP2040, generic 03h)
    uf2_family: int | None = None   # UF2 family ID: the build also writes a .uf2 for a USB boot loader
    flash_wait_states: int = 0      # at clock_hz: priced on instruction fetches by the cycle estimate
    clock_hz: int | None = None
    ram: tuple[RamRegion, ...] = ()     # the RAM regions (banks) --memory can name; "sram" stays the default

    @property
    def is_qemu(self) -> bool:
        return self.qemu_machine is not None

    @property
    def simd(self) -> str:
        """The kernel family the library compiles to on this core (firmware/mcu_simd.h), Options.simd:
        "mve" with Helium (Cortex-M55, whose Helium kernels take precedence over its DSP ones), "dsp" with
        the Armv7E-M DSP extension (M4, M7), "none" otherwise (M0+)."""
        if self.cpu in ("cortex-m55", "cortex-m85"):
            return "mve"
        return "dsp" if self.dsp else "none"

    @property
    def has_fpu(self) -> bool:
        return self.fpu is not None

    @property
    def cflags(self) -> list[str]:
        """Target flags for arm-none-eabi-gcc (compile and link)."""
        flags = ["-mthumb", f"-mcpu={self.cpu}"]
        if self.fpu and self.fpu != "auto":
            flags.append(f"-mfpu={self.fpu}")
        flags.append(f"-mfloat-abi={self.float_abi}")
        return flags

    @property
    def fpu_label(self) -> str:
        if self.fpu is None:
            return "none"
        if self.fpu == "auto":
            return "FPv5 + MVE" if self.cpu == "cortex-m55" else "yes"
        return {"fpv4-sp-d16": "FPv4-SP", "fpv5-sp-d16": "FPv5-SP", "fpv5-d16": "FPv5-DP"}.get(self.fpu, self.fpu)

    def as_dict(self) -> dict:
        return {"name": self.name, "description": self.description, "core": self.core, "fpu": self.fpu_label,
                "dsp": self.dsp, "sram": {"origin": self.sram.origin, "bytes": self.sram.length,
                                          "name": self.sram.name},
                "flash": {"origin": self.flash.origin, "bytes": self.flash.length, "name": self.flash.name},
                "console": self.console, "qemu_machine": self.qemu_machine, "pyocd_target": self.pyocd_target,
                "ram": [r.as_dict() for r in self.ram],
                "cflags": self.cflags, "boot2": self.boot2, "clock_hz": self.clock_hz,
                "flash_wait_states": self.flash_wait_states,
                "uf2_family": None if self.uf2_family is None else f"0x{self.uf2_family:08x}"}


def _int(v) -> int:
    return int(v, 0) if isinstance(v, str) else int(v)


def _region(d: dict) -> Region:
    return Region(_int(d["origin"]), _int(d["length"]), d.get("name", ""))


@cache
def _table() -> dict[str, Board]:
    raw = json.loads(BOARDS_FILE.read_text())
    out: dict[str, Board] = {}
    for d in raw["boards"]:
        b = Board(name=d["name"], description=d["description"], core=d["core"], cpu=d["cpu"], fpu=d.get("fpu"),
                  float_abi=d["float_abi"], dsp=bool(d["dsp"]), flash=_region(d["flash"]), sram=_region(d["sram"]),
                  console=d["console"], qemu_machine=d.get("qemu_machine"), pyocd_target=d.get("pyocd_target"),
                  pyocd_pack=d.get("pyocd_pack"), uart=d.get("uart"),
                  flash_reserved=_int(d.get("flash_reserved", 0)), probe=d.get("probe"), boot2=d.get("boot2"),
                  uf2_family=_int(d["uf2_family"]) if d.get("uf2_family") is not None else None,
                  flash_wait_states=int(d.get("flash_wait_states", 0)),
                  clock_hz=_int(d["clock_hz"]) if d.get("clock_hz") is not None else None,
                  ram=tuple(RamRegion(r["name"], _int(r["origin"]), _int(r["length"]), int(r["rank"]),
                                      bool(r.get("main", False))) for r in d.get("ram", ())))
        if b.name in out:
            raise McuCompileError(f"{BOARDS_FILE}: board {b.name!r} is listed twice")
        if b.boot2 not in (None, "rp2040-03h") or (b.boot2 and b.flash_reserved != 256):
            raise McuCompileError(f"{BOARDS_FILE}: board {b.name!r}: boot2 must be rp2040-03h with flash_reserved 256")
        if b.console not in ("semihosting", "uart"):
            raise McuCompileError(f"{BOARDS_FILE}: board {b.name!r}: console must be semihosting or uart")
        if b.ram and sum(r.main for r in b.ram) != 1:
            raise McuCompileError(f"{BOARDS_FILE}: board {b.name!r}: exactly one of its \"ram\" regions is main")
        out[b.name] = b
    return out


def boards() -> list[Board]:
    return list(_table().values())


def qemu_boards() -> list[Board]:
    return [b for b in boards() if b.is_qemu]


def get_board(name: str) -> Board:
    t = _table()
    if name not in t:
        raise UnknownBoardError(f"unknown board {name!r}; known boards: {', '.join(t)} (see `mcucompile boards`)")
    return t[name]
