"""Static memory planner: buffers with lifetimes -> offsets in one arena.

Tries several greedy orders (TFLite Micro's size-descending one among them), keeps the smallest arena,
and stops early when it reaches the lower bound (the largest set of simultaneously live bytes). When no
order reaches it, a short local search moves buffers within the best order (a fixed number of tries from
a fixed seed: the same buffers always give the same plan), keeping any order that places no worse.
"""

from __future__ import annotations

import random
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


LOCAL_SEARCH_WORK = 20000     # tries x buffers of the local search (about 0.1 s for 70 buffers)


def _local_search(order: list[Buffer], peak: int, lower: int, align: int) -> tuple[dict | None, int, bool]:
    """Move two buffers at a time to other places of the order; keep the new order when it places no
    worse (plateaus are how it walks). (offsets, peak, improved)."""
    rng = random.Random(len(order))
    offsets, improved = None, False
    for _ in range(min(200, LOCAL_SEARCH_WORK // len(order))):
        if peak == lower:
            break
        trial = order[:]
        for _ in range(2):
            trial.insert(rng.randrange(len(trial)), trial.pop(rng.randrange(len(trial))))
        off, p = _place(trial, align)
        if p <= peak:
            improved |= p < peak
            order, offsets, peak = trial, off, p
    return offsets, peak, improved


def plan_memory(bufs: list[Buffer], nsteps: int, align: int = 4) -> MemoryPlan:
    lower = max(live_bytes_per_step(bufs, nsteps)) if bufs else 0
    best: tuple | None = None
    for name, key in STRATEGIES.items():
        order = sorted(bufs, key=key)
        offsets, peak = _place(order, align)
        if best is None or peak < best[1]:
            best = (offsets, peak, name, order)
        if peak == lower:
            break
    if best is not None and best[1] > lower and len(bufs) > 2:
        found, peak, improved = _local_search(best[3], best[1], lower, align)
        if improved and found is not None:
            best = (found, peak, best[2] + " + local search", None)
    offsets, peak, name, _ = best if best else ({}, 0, "empty", None)
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


def drop_costly_scratch(bufs: list[Buffer], nsteps: int, align: int = 4) -> list[Buffer]:
    """The buffers without the optional scratch (Buffer.optional) that raises the arena: the plan with
    all of it is kept when it is no larger than the plan with none of it (`floor`); otherwise the
    optional scratch of the steps whose live bytes exceed the floor goes, then, while the placement
    still ends above the floor, the rest one buffer at a time where the most bytes are live first
    (their kernels run their slower path, given NULL)."""
    optional = [b for b in bufs if b.optional]
    if not optional:
        return bufs
    floor = plan_memory([b for b in bufs if not b.optional], nsteps, align).arena_bytes
    if plan_memory(bufs, nsteps, align).arena_bytes <= floor:
        return bufs
    live = live_bytes_per_step(bufs, nsteps)
    keep = [b for b in bufs if not (b.optional and live[b.first] > floor)]
    for b in sorted((b for b in optional if b in keep), key=lambda b: (-live[b.first], b.first)):
        if plan_memory(keep, nsteps, align).arena_bytes <= floor:
            break
        keep = [x for x in keep if x.id != b.id]
    return keep
