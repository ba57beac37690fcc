"""Patch-based inference planning (MCUNetV2): run a prefix of the graph (the patch stage) tile by tile
on spatial patches of its output, the rest layer by layer.

Memory is accounted exactly, through the same arena planner as layer-by-layer execution: every tensor
inside the stage takes one tile-sized buffer (the largest tile's region, halo included), the stage
output keeps its full buffer (filled patch by patch, live from the first patch on) plus one tile buffer
that its producer writes before the tile is copied in, and everything after the stage is planned as usual.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Optional

from ..errors import McuCompileError
from ..ir import Graph
from .analysis import op_macs
from .liveness import Buffer, alias_roots, align_up, buffers
from .memory_plan import MemoryPlan, plan_memory
from .regions import Region, full, input_regions, patchable

TILE_BUFFER_ID = -(1 << 30)   # id of the stage output's tile buffer (scratch ids are -(op index + 1))


@dataclass(frozen=True)
class PatchSchedule:
    """One patch stage: ops[start:split] run tile by tile."""
    split: int                          # ops[start:split] run per patch
    stage_output: int                   # the one tensor of the stage that later ops read
    rows: tuple[int, ...]               # row boundaries of the stage output: 0 = r0 < r1 < ... = H
    cols: tuple[int, ...]
    tiles: tuple[tuple[tuple[int, Region], ...], ...]   # per tile: (tensor, region) for stage tensors
    start: int = 0

    @property
    def grid(self) -> tuple[int, int]:
        return len(self.rows) - 1, len(self.cols) - 1

    def regions(self, k: int) -> dict[int, Region]:
        return dict(self.tiles[k])

    def stage_tensors(self) -> set[int]:
        return {t for t, _ in self.tiles[0]}


def stage_candidates(g: Graph, start: int = 0, max_len: int = 1 << 30) -> list[tuple[int, int]]:
    """(split, stage output) for every run ops[start:split] of patchable ops whose results leave through
    one tensor."""
    out = []
    produced: set[int] = set()
    for k in range(start, min(len(g.ops) - 1, start + max_len)):
        op = g.ops[k]
        if not patchable(g, op):
            break
        produced.update(op.outputs)
        later = {t for o in g.ops[k + 1:] for t in o.inputs} | set(g.outputs)
        leaving = sorted(t for t in produced if t in later)
        if len(leaving) == 1 and k + 1 < len(g.ops):
            h, w = g.tensors[leaving[0]].shape[1:3]
            if h * w > 1:
                out.append((k + 1, leaving[0]))
    return out


def even_split(n: int, parts: int) -> tuple[int, ...]:
    return tuple((i * n) // parts for i in range(parts + 1))


def make_schedule(g: Graph, split: int, stage_output: int, rows, cols, start: int = 0) -> PatchSchedule:
    """Back-propagate each output tile through the stage: the region every stage tensor needs."""
    stage = g.ops[start:split]
    produced = {t for op in stage for t in op.outputs}
    tiles = []
    for r in range(len(rows) - 1):
        for c in range(len(cols) - 1):
            need = {stage_output: Region(rows[r], rows[r + 1], cols[c], cols[c + 1])}
            for op in reversed(stage):
                o = op.outputs[0]
                if o not in need:
                    raise McuCompileError(f"op {op.index} ({op.kind}) does not contribute to the stage output")
                for t, reg in input_regions(g, op, need[o]).items():
                    if t in produced:
                        need[t] = reg.union(need.get(t))
            if any(reg.area <= 0 for reg in need.values()):
                raise McuCompileError("a patch of this grid would be empty")
            tiles.append(tuple(sorted(need.items())))
    return PatchSchedule(split, stage_output, tuple(rows), tuple(cols), tuple(tiles), start)


def tile_bytes(g: Graph, s: PatchSchedule, t: int) -> int:
    c = g.tensors[t].shape[3]
    return max(dict(tile)[t].area for tile in s.tiles) * c


def patch_macs(g: Graph, stages) -> int:
    stages = _as_stages(stages)
    patched = {k for s in stages for k in range(s.start, s.split)}
    total = sum(op_macs(g, op) for k, op in enumerate(g.ops) if k not in patched)
    for s in stages:
        for op in g.ops[s.start:s.split]:
            y = g.tensors[op.outputs[0]]
            per_pixel = op_macs(g, op) // (y.shape[1] * y.shape[2])
            total += sum(dict(tile)[op.outputs[0]].area for tile in s.tiles) * per_pixel
    return total


def _as_stages(stages) -> tuple[PatchSchedule, ...]:
    return (stages,) if isinstance(stages, PatchSchedule) else tuple(stages)


def tile_buffer_id(stage_index: int) -> int:
    return TILE_BUFFER_ID - stage_index


def patch_buffers(g: Graph, stages, align: int = 4, io_in_arena: bool = True) -> list[Buffer]:
    """Buffers of the patched schedule (stages: one PatchSchedule or several, in order, not overlapping)."""
    stages = _as_stages(stages)
    base = {b.id: b for b in buffers(g, align=align, io_in_arena=io_in_arena)}
    root = alias_roots(g)
    extra = []
    for i, s in enumerate(stages):
        for t in s.stage_tensors() - {s.stage_output}:
            base[t] = replace(base[t], size=align_up(tile_bytes(g, s, t), align))
        producer_step = next(k for k, op in enumerate(g.ops) if s.stage_output in op.outputs)
        if s.stage_output in base:
            base[s.stage_output] = replace(base[s.stage_output], first=s.start)
        # tensors from before the stage are read whole by every patch: alive through the whole stage
        for op in g.ops[s.start:s.split]:
            for t in op.inputs:
                b = base.get(root.get(t, t))
                if b is not None and t not in s.stage_tensors() and b.last < s.split - 1:
                    base[b.id] = replace(b, last=s.split - 1)
        last_inside = max([k for k in range(s.start, s.split) if s.stage_output in g.ops[k].inputs],
                          default=producer_step)
        extra.append(Buffer(tile_buffer_id(i), align_up(tile_bytes(g, s, s.stage_output), align),
                            producer_step, last_inside, (), "tile"))
    return list(base.values()) + extra


@dataclass(frozen=True)
class Candidate:
    split: int
    grid: tuple[int, int]
    peak: int
    macs: int
    overhead: float
    stage_output: int = -1

    def as_dict(self) -> dict:
        return {"split": self.split, "grid": list(self.grid), "peak_bytes": self.peak, "macs": self.macs,
                "mac_overhead": round(self.overhead, 5)}


@dataclass
class PatchSearch:
    layer_by_layer_peak: int
    layer_by_layer_macs: int
    chosen: Optional[PatchSchedule]
    chosen_candidate: Candidate
    explored: list[Candidate]

    def frontier(self) -> list[Candidate]:
        """Pareto front of the explored schedules: no other has both less peak and fewer MACs."""
        pts = sorted(self.explored + [self.chosen_candidate], key=lambda c: (c.macs, c.peak))
        front, best = [], None
        for c in pts:
            if best is None or c.peak < best:
                front.append(c)
                best = c.peak
        return front


def search(g: Graph, max_overhead: float = 0.10, sram_limit: Optional[int] = None, align: int = 4,
           io_in_arena: bool = True, max_grid: int = 8, progress=None) -> PatchSearch:
    """Choose split and grid: least peak within the MAC budget, or (with sram_limit) least MACs that fit."""
    base_macs = sum(op_macs(g, op) for op in g.ops)
    base_plan = plan_memory(buffers(g, align=align, io_in_arena=io_in_arena), len(g.ops), align)
    lbl = Candidate(0, (1, 1), base_plan.arena_bytes, base_macs, 0.0)
    explored: list[Candidate] = []
    schedules: dict[tuple, PatchSchedule] = {}
    cands = stage_candidates(g)
    for split, t_out in (progress(cands) if progress else cands):
        h, w = g.tensors[t_out].shape[1:3]
        for nr in range(1, min(h, max_grid) + 1):
            for nc in range(1, min(w, max_grid) + 1):
                if nr * nc == 1:
                    continue
                try:
                    s = make_schedule(g, split, t_out, even_split(h, nr), even_split(w, nc))
                except McuCompileError:
                    continue
                macs = patch_macs(g, s)
                overhead = macs / base_macs - 1 if base_macs else 0.0
                if sram_limit is None and overhead > max_overhead:
                    continue
                plan = plan_memory(patch_buffers(g, s, align, io_in_arena), len(g.ops), align)
                c = Candidate(split, (nr, nc), plan.arena_bytes, macs, overhead, t_out)
                explored.append(c)
                schedules[(split, nr, nc)] = s
    pool = [lbl] + explored
    if sram_limit is not None:
        fits = [c for c in pool if c.peak <= sram_limit]
        if not fits:
            best = min(pool, key=lambda c: c.peak)
            raise McuCompileError(
                f"no schedule fits in {sram_limit:,} B of SRAM: the smallest peak found is {best.peak:,} B "
                f"(split {best.split}, grid {best.grid[0]}x{best.grid[1]}), {best.peak - sram_limit:,} B over")
        best = min(fits, key=lambda c: (c.macs, c.peak))
    else:
        best = min((c for c in pool if c.overhead <= max_overhead), key=lambda c: (c.peak, c.macs))
    chosen = schedules.get((best.split, *best.grid)) if best.split else None
    return PatchSearch(base_plan.arena_bytes, base_macs, chosen, best, explored)


def plan_patched(g: Graph, stages, align: int = 4, io_in_arena: bool = True) -> MemoryPlan:
    return plan_memory(patch_buffers(g, stages, align, io_in_arena), len(g.ops), align)
