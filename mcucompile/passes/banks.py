"""Memory banks: the arena's buffers spread over several RAM regions (DTCM, SRAM1, PSRAM, ...).

A bank is a RAM region with an arena budget (bytes the model's buffers may use there) and a speed rank
(0 = fastest, e.g. tightly coupled memory). `plan_banks` puts every buffer in exactly one bank:

* the model's inputs and outputs go to the main bank (the caller's `<model>_input(arena, i)` and the
  copy-in/out use the main arena), the other buffers follow;
* buffers are taken by traffic, the bytes the ops read and write in them per inference (each op that reads
  a tensor reads it once, each op that writes it writes it once; a kernel scratch counts twice its size),
  most first, ties by size then id (when that order leaves a buffer without room, the largest first is
  tried next: it packs better);
* each goes to the fastest bank where the bank's own plan (the offset planner of memory_plan.py over the
  buffers given to it, with their lifetimes) still ends within the bank's budget;
* then each bank is planned again with the full planner (local search included), which never places worse.

No buffer is split across two banks. When a buffer fits no bank, BankPlanError says which buffer, which
bank came closest and by how many bytes it is short (in the hottest-first order). The greedy orders can
fail where another assignment would fit; the message gives the figures to enlarge a bank by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import McuCompileError
from ..ir import Graph
from .liveness import Buffer, alias_roots, live_bytes_per_step
from .memory_plan import STRATEGIES, MemoryPlan, _place, check_plan, plan_memory


class BankPlanError(McuCompileError):
    """The buffers do not fit the memory banks given (--memory)."""


class MemorySpecError(McuCompileError):
    """A --memory value that cannot be read, or names a region the board does not have."""


@dataclass(frozen=True)
class Bank:
    name: str                   # as the board table or --memory spells it
    size: int                   # arena budget in bytes
    rank: int = 0               # speed rank, 0 = fastest
    main: bool = False          # the main arena (today's <model>_arena names; stack and data on a board)
    origin: int | None = None   # on a board: the region's address (linker script)
    length: int | None = None   # on a board: the region's physical size

    @property
    def cname(self) -> str:
        """The bank's name in C identifiers and section names (lower case, [a-z0-9_])."""
        return re.sub(r"[^a-z0-9]+", "_", self.name.lower()).strip("_") or "bank"


_SIZE = re.compile(r"\s*(0[xX][0-9a-fA-F]+|[0-9]+)\s*(?:([kKmM])(?:i?[bB])?|[bB])?\s*")


def parse_memory(text: str) -> tuple[Bank, ...]:
    """'SRAM:40000,PSRAM:40K' -> banks in the order given (sizes: bytes, K = 1024, M = 1024*1024, 0x.. hex).
    Ranks and the main bank are decided by resolve_banks."""
    out: list[Bank] = []
    for part in [p for p in text.split(",") if p.strip()]:
        if ":" not in part:
            raise MemorySpecError(f"--memory: {part.strip()!r} is not NAME:SIZE (e.g. --memory DTCM:64K,SRAM1:240K)")
        name, size_text = (s.strip() for s in part.split(":", 1))
        m = _SIZE.fullmatch(size_text)
        if not name or not m:
            raise MemorySpecError(f"--memory: {part.strip()!r} is not NAME:SIZE (e.g. --memory DTCM:64K,SRAM1:240K)")
        size = int(m.group(1), 0) * {None: 1, "k": 1024, "K": 1024, "m": 1 << 20, "M": 1 << 20}[m.group(2)]
        if size <= 0:
            raise MemorySpecError(f"--memory: region {name!r} has size 0")
        if any(b.name.lower() == name.lower() for b in out):
            raise MemorySpecError(f"--memory: region {name!r} is given twice")
        out.append(Bank(name, size))
    if not out:
        raise MemorySpecError("--memory: no region given (e.g. --memory DTCM:64K,SRAM1:240K)")
    if len({b.cname for b in out}) != len(out):
        raise MemorySpecError("--memory: two region names give the same C name: " + ", ".join(b.name for b in out))
    return tuple(out)


def resolve_banks(banks: tuple[Bank, ...], board=None) -> tuple[Bank, ...]:
    """The banks fastest first, one of them main. Without a board (host): the order given is the speed
    order and the first is main. With a board: each name must be one of the board's RAM regions
    (boards.json "ram"), which gives its rank, address and physical size; the main bank is the board's main
    region when given, else the fastest given. An already resolved tuple comes back unchanged."""
    if not banks:
        return banks
    if board is None:
        if any(b.main for b in banks):
            return banks
        return tuple(Bank(b.name, b.size, k, k == 0) for k, b in enumerate(banks))
    if all(b.origin is not None for b in banks):
        return banks
    regions = {r.name.lower(): r for r in board.ram}
    if not regions:
        raise MemorySpecError(f"--memory: board {board.name} lists no RAM regions in boards.json")
    out = []
    for b in banks:
        r = regions.get(b.name.lower())
        if r is None:
            raise MemorySpecError(f"--memory: {board.name} has no RAM region {b.name!r}; its regions: "
                                  + ", ".join(f"{r.name} ({r.length:,} B)" for r in board.ram))
        if b.size > r.length:
            raise MemorySpecError(f"--memory: region {r.name} of {board.name} has {r.length:,} B, not {b.size:,}")
        out.append(Bank(r.name, b.size, r.rank, r.main, r.origin, r.length))
    out.sort(key=lambda b: (b.rank, b.name))
    if not any(b.main for b in out):
        out[0] = Bank(out[0].name, out[0].size, out[0].rank, True, out[0].origin, out[0].length)
    return tuple(out)


def main_bank(banks: tuple[Bank, ...]) -> Bank:
    return next(b for b in banks if b.main)


def buffer_traffic(g: Graph, bufs: list[Buffer], inplace: frozenset = frozenset()) -> dict[int, int]:
    """Bytes read plus bytes written per inference in each buffer (see the module's docstring)."""
    root = alias_roots(g, inplace)
    ids = {b.id for b in bufs}
    out = {b.id: (2 * b.size if b.kind == "scratch" else 0) for b in bufs}
    for op in g.ops:
        for t in (*op.inputs, *op.outputs):
            if t >= 0 and root.get(t) in ids:
                out[root[t]] += g.tensors[t].nbytes
    for t in (*g.inputs, *g.outputs):          # the copy in, the copy out
        if root.get(t) in ids:
            out[root[t]] += g.tensors[t].nbytes
    return out


@dataclass(frozen=True)
class BankPlan:
    banks: tuple[Bank, ...]
    plans: dict[str, MemoryPlan]          # bank name -> its own plan (offsets within its arena)
    where: dict[int, str]                 # buffer id -> bank name
    traffic: dict[int, int]               # buffer id -> bytes read + written per inference

    def plan_of(self, name: str) -> MemoryPlan:
        return self.plans[name]

    def as_dict(self, g: Graph) -> list[dict]:
        out = []
        for b in self.banks:
            p = self.plans[b.name]
            out.append({"name": b.name, "c_name": b.cname, "main": b.main, "rank": b.rank, "capacity": b.size,
                        "used": p.arena_bytes, "origin": b.origin,
                        "traffic_bytes": sum(self.traffic[x.id] for x in p.buffers),
                        "buffers": [{"id": x.id, "kind": x.kind, "offset": p.offsets[x.id], "size": x.size,
                                     "traffic_bytes": self.traffic[x.id],
                                     "tensors": [g.tensors[t].name.split(";")[0] for t in x.tensors]}
                                    for x in sorted(p.buffers, key=lambda x: (p.offsets[x.id], x.id))]})
        return out


def _quick_peak(bufs: list[Buffer], align: int) -> int:
    return min(_place(sorted(bufs, key=key), align)[1] for key in STRATEGIES.values()) if bufs else 0


def _label(g: Graph, b: Buffer) -> str:
    if b.kind == "scratch":
        return f"the scratch of op {-b.id - 1} ({g.ops[-b.id - 1].kind})"
    return f"tensor {g.tensors[b.tensors[0]].name.split(';')[0]!r}"


def plan_banks(g: Graph, bufs: list[Buffer], nsteps: int, banks: tuple[Bank, ...], align: int = 4,
               inplace: frozenset = frozenset()) -> BankPlan:
    live = live_bytes_per_step(bufs, nsteps) if bufs else [0]
    total = sum(b.size for b in banks)
    if max(live) > total:
        step = live.index(max(live))
        raise BankPlanError(f"memory banks: op {step} ({g.ops[step].kind}) needs {max(live):,} B live at once but "
                            f"the regions ({', '.join(f'{b.name} {b.size:,} B' for b in banks)}) hold {total:,} B "
                            f"in all: {max(live) - total:,} B short")
    traffic = buffer_traffic(g, bufs, inplace)
    root = alias_roots(g, inplace)
    pinned = {root[t] for t in (*g.inputs, *g.outputs) if t in root}
    first_error = None
    for key in (lambda b: (b.id not in pinned, -traffic[b.id], -b.size, b.id),     # the hottest first
                lambda b: (b.id not in pinned, -b.size, -traffic[b.id], b.id)):    # else the largest first
        try:
            given, where = _assign(g, sorted(bufs, key=key), banks, pinned, align)
            break
        except BankPlanError as e:
            first_error = first_error or e
    else:
        assert first_error is not None
        raise first_error
    plans = {}
    for bank in banks:
        p = plan_memory(given[bank.name], nsteps, align)
        if p.arena_bytes > bank.size:        # the full planner never places worse than the quick one
            raise BankPlanError(f"internal error: region {bank.name} planned to {p.arena_bytes:,} B > {bank.size:,}")
        plans[bank.name] = p
    return BankPlan(banks, plans, where, traffic)


def _assign(g: Graph, order: list[Buffer], banks: tuple[Bank, ...], pinned: set[int],
            align: int) -> tuple[dict[str, list[Buffer]], dict[int, str]]:
    """Each buffer of `order` in turn to the fastest bank whose quick plan still fits."""
    given: dict[str, list[Buffer]] = {b.name: [] for b in banks}
    where: dict[int, str] = {}
    main = main_bank(banks)
    for buf in order:
        choices = [main] if buf.id in pinned else list(banks)
        shortfall = []
        for bank in choices:
            peak = _quick_peak(given[bank.name] + [buf], align)
            if peak <= bank.size:
                given[bank.name].append(buf)
                where[buf.id] = bank.name
                break
            shortfall.append((peak - bank.size, bank))
        else:
            over, bank = min(shortfall, key=lambda x: (x[0], x[1].rank))
            why = " (model inputs and outputs live in the main region)" if buf.id in pinned else ""
            raise BankPlanError(
                f"memory banks: no region has room for {_label(g, buf)} ({buf.size:,} B, live from op {buf.first} "
                f"to op {buf.last}){why}: region {bank.name} ({bank.size:,} B) comes closest and is {over:,} B "
                f"short; enlarge it by {over:,} B or give another region (--memory)")
    return given, where


def bank_lines(regions: list[dict], names: int = 6) -> list[str]:
    """Text lines for analyze/compile/report: each region's use against its capacity and its buffers."""
    out = []
    for r in regions:
        tensors = [t for b in r["buffers"] for t in (b["tensors"] or [f"scratch of op {-b['id'] - 1}"])]
        more = f", {len(tensors) - names} more" if len(tensors) > names else ""
        out.append(f"  {r['name'] + (' (main)' if r['main'] else ''):<16} {r['used']:>9,} of {r['capacity']:>9,} B, "
                   f"rank {r['rank']}, {len(r['buffers'])} buffers, {r['traffic_bytes']:,} B read+written per "
                   f"inference: {', '.join(tensors[:names])}{more}")
    return out


def check_banks(bp: BankPlan, bufs: list[Buffer]) -> list[str]:
    """Invariant violations: a buffer in no bank or in two, a bank's plan unsound or over its size."""
    problems = []
    seen: dict[int, str] = {}
    for bank in bp.banks:
        p = bp.plans[bank.name]
        problems += [f"{bank.name}: {x}" for x in check_plan(p)]
        if p.arena_bytes > bank.size:
            problems.append(f"{bank.name}: {p.arena_bytes} B planned > {bank.size} B")
        for x in p.buffers:
            if x.id in seen:
                problems.append(f"buffer {x.id} in {seen[x.id]} and {bank.name}")
            seen[x.id] = bank.name
    missing = {b.id for b in bufs} - set(seen)
    if missing:
        problems.append(f"buffers {sorted(missing)} in no region")
    return problems
