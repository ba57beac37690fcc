"""Static memory planner: buffers with lifetimes -> offsets in one arena.

Tries several greedy orders (TFLite Micro's size-descending one among them), keeps the smallest arena,
and stops early when it reaches the lower bound (the largest set of simultaneously live bytes).
"""

from __future__ import annotations

from dataclasses import dataclass

from .liveness import Buffer, align_up, live_bytes_per_step


@dataclass(frozen=True)
class MemoryPlan:
    offsets: dict[int, int]      # buffer id -> byte offset
    arena_bytes: int
    lower_bound: int
    strategy: str
    buffers: tuple[Buffer, ...]


def _place(order: list[Buffer], align: int) -> tuple[dict[int, int], int]:
    placed: list[tuple[int, int, Buffer]] = []    # (offset, end, buffer)
    offsets: dict[int, int] = {}
    peak = 0
    for b in order:
        busy = sorted((o, e) for o, e, p in placed if p.overlaps_in_time(b))
        off = 0
        for o, e in busy:
            if off + b.size <= o:
                break
            off = max(off, align_up(e, align))
        offsets[b.id] = off
        placed.append((off, off + b.size, b))
        peak = max(peak, off + b.size)
    return offsets, peak


STRATEGIES = {
    "size": lambda b: (-b.size, b.first, b.id),                       # TFLite Micro's greedy order
    "size_x_time": lambda b: (-b.size * (b.last - b.first + 1), b.first, b.id),
    "first_use": lambda b: (b.first, -b.size, b.id),
    "longest": lambda b: (-(b.last - b.first), -b.size, b.id),
    "last_use": lambda b: (-b.last, -b.size, b.id),
}


def plan_memory(bufs: list[Buffer], nsteps: int, align: int = 4) -> MemoryPlan:
    lower = max(live_bytes_per_step(bufs, nsteps)) if bufs else 0
    best = None
    for name, key in STRATEGIES.items():
        offsets, peak = _place(sorted(bufs, key=key), align)
        if best is None or peak < best[1]:
            best = (offsets, peak, name)
        if peak == lower:
            break
    offsets, peak, name = best if best else ({}, 0, "empty")
    return MemoryPlan(offsets, peak, lower, name, tuple(bufs))


def check_plan(plan: MemoryPlan) -> list[str]:
    """Invariant violations (empty when the plan is sound): overlaps of live buffers, arena overflow."""
    problems = []
    bs = plan.buffers
    for i, a in enumerate(bs):
        oa = plan.offsets[a.id]
        if oa < 0 or oa + a.size > plan.arena_bytes:
            problems.append(f"buffer {a.id} [{oa}, {oa + a.size}) outside arena of {plan.arena_bytes}")
        for b in bs[i + 1:]:
            ob = plan.offsets[b.id]
            if a.overlaps_in_time(b) and oa < ob + b.size and ob < oa + a.size:
                problems.append(f"buffers {a.id} and {b.id} are live together and overlap in memory")
    if plan.arena_bytes < plan.lower_bound:
        problems.append("arena smaller than the live-set lower bound")
    return problems
