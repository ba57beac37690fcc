"""Patch-based inference planning (MCUNetV2), with several patch stages where they pay.

A patch stage is a run ops[start:split] of spatially local ops whose results leave through one tensor
(the stage output). The stage output is cut into a grid of tiles; each tile is computed by running the
stage's ops on just the regions it needs (receptive field with halo, clipped at the border), so only one
tile's intermediates are alive at once. Everything else runs layer by layer.

Memory is accounted exactly, through the same arena planner as layer-by-layer execution: every tensor
inside a stage takes one tile-sized buffer (the largest tile's region), the stage output keeps its full
buffer (filled patch by patch, alive from the stage's first op) plus one tile buffer that its producer
writes before the tile is copied in, and tensors from before the stage stay alive through the stage.

The region math is separable (rows and columns are independent), so a grid of R x C tiles needs R + C
back-propagations, which keeps the search fast.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Optional

from ..errors import McuCompileError
from ..ir import Graph
from .analysis import op_macs
from .liveness import Buffer, alias_roots, align_up, buffers, live_bytes_per_step
from .memory_plan import MemoryPlan, plan_memory
from .regions import Region, input_intervals, patchable

TILE_BUFFER_ID = -(1 << 30)   # ids of the stages' output tile buffers (scratch ids are -(op index + 1))


@dataclass(frozen=True)
class PatchSchedule:
    """One patch stage: ops[start:split] run tile by tile over a rows x cols grid of the stage output."""
    split: int                          # one past the stage's last op
    stage_output: int                   # the one tensor of the stage that later ops read
    rows: tuple[int, ...]               # row boundaries of the stage output: 0 = r0 < r1 < ... = H
    cols: tuple[int, ...]
    row_bands: tuple[tuple[tuple[int, int, int], ...], ...]   # per row band: (tensor, y0, y1)
    col_bands: tuple[tuple[tuple[int, int, int], ...], ...]   # per column band: (tensor, x0, x1)
    start: int = 0

    @property
    def grid(self) -> tuple[int, int]:
        return len(self.rows) - 1, len(self.cols) - 1

    @property
    def tiles(self) -> int:
        return self.grid[0] * self.grid[1]

    def regions(self, k: int) -> dict[int, Region]:
        """Tile k (row-major) -> the region of every stage tensor it needs."""
        r, c = divmod(k, self.grid[1])
        cols = {t: (x0, x1) for t, x0, x1 in self.col_bands[c]}
        return {t: Region(y0, y1, *cols[t]) for t, y0, y1 in self.row_bands[r]}

    def stage_tensors(self) -> set[int]:
        return {t for t, _, _ in self.row_bands[0]}

    def max_area(self, t: int) -> int:
        h = max(y1 - y0 for band in self.row_bands for u, y0, y1 in band if u == t)
        w = max(x1 - x0 for band in self.col_bands for u, x0, x1 in band if u == t)
        return h * w

    def total_area(self, t: int) -> int:
        h = sum(y1 - y0 for band in self.row_bands for u, y0, y1 in band if u == t)
        w = sum(x1 - x0 for band in self.col_bands for u, x0, x1 in band if u == t)
        return h * w


def stage_candidates(g: Graph, start: int = 0, max_len: int = 1 << 30) -> list[tuple[int, int]]:
    """(split, stage output) for every run ops[start:split] of patchable ops whose results leave through
    one tensor that later ops read."""
    out = []
    produced: set[int] = set()
    for k in range(start, min(len(g.ops) - 1, start + max_len)):
        op = g.ops[k]
        if not patchable(g, op):
            break
        produced.update(op.outputs)
        later = {t for o in g.ops[k + 1:] for t in o.inputs} | set(g.outputs)
        leaving = sorted(t for t in produced if t in later)
        if len(leaving) == 1 and g.tensors[leaving[0]].shape[1] * g.tensors[leaving[0]].shape[2] > 1:
            out.append((k + 1, leaving[0]))
    return out


def even_split(n: int, parts: int) -> tuple[int, ...]:
    return tuple((i * n) // parts for i in range(parts + 1))


def _bands(g: Graph, start: int, split: int, stage_output: int, bounds, axis: int):
    stage = g.ops[start:split]
    produced = {t for op in stage for t in op.outputs}
    bands = []
    for i in range(len(bounds) - 1):
        need = {stage_output: (bounds[i], bounds[i + 1])}
        for op in reversed(stage):
            o = op.outputs[0]
            if o not in need:
                raise McuCompileError(f"op {op.index} ({op.kind}) does not contribute to the stage output")
            for t, (a, b) in input_intervals(g, op, axis, *need[o]).items():
                if t in produced:
                    old = need.get(t)
                    need[t] = (a, b) if old is None else (min(a, old[0]), max(b, old[1]))
        if any(b <= a for a, b in need.values()):
            raise McuCompileError("a patch of this grid would be empty")
        bands.append(tuple((t, a, b) for t, (a, b) in sorted(need.items())))
    return tuple(bands)


def make_schedule(g: Graph, split: int, stage_output: int, rows, cols, start: int = 0) -> PatchSchedule:
    """Back-propagate every row band and column band of the stage output through the stage."""
    return PatchSchedule(split, stage_output, tuple(rows), tuple(cols),
                         _bands(g, start, split, stage_output, rows, 1),
                         _bands(g, start, split, stage_output, cols, 2), start)


def tile_bytes(g: Graph, s: PatchSchedule, t: int) -> int:
    return s.max_area(t) * g.tensors[t].shape[3]


def _stage_macs(g: Graph, s: PatchSchedule) -> int:
    total = 0
    for op in g.ops[s.start:s.split]:
        y = g.tensors[op.outputs[0]]
        total += s.total_area(op.outputs[0]) * (op_macs(g, op) // (y.shape[1] * y.shape[2]))
    return total


def patch_macs(g: Graph, stages) -> int:
    stages = _as_stages(stages)
    patched = {k for s in stages for k in range(s.start, s.split)}
    return (sum(op_macs(g, op) for k, op in enumerate(g.ops) if k not in patched)
            + sum(_stage_macs(g, s) for s in stages))


def _as_stages(stages) -> tuple[PatchSchedule, ...]:
    return (stages,) if isinstance(stages, PatchSchedule) else tuple(sorted(stages, key=lambda s: s.start))


def tile_buffer_id(stage_index: int) -> int:
    return TILE_BUFFER_ID - stage_index


def patch_buffers(g: Graph, stages, align: int = 4, io_in_arena: bool = True,
                  base: Optional[list[Buffer]] = None, inplace: frozenset = frozenset()) -> list[Buffer]:
    """Buffers of the patched schedule (stages: one PatchSchedule or several, not overlapping).
    inplace: ops that may run in place (passes/inplace.py); those inside a stage run normally.
    base: the layer-by-layer buffers to start from (made with the same in-place ops)."""
    stages = _as_stages(stages)
    inplace = stage_free(inplace, stages)
    bufs = {b.id: b for b in (base if base is not None
                              else buffers(g, align=align, io_in_arena=io_in_arena, inplace=inplace))}
    root = alias_roots(g, inplace)
    extra = []
    for i, s in enumerate(stages):
        inside = s.stage_tensors()
        for t in inside - {s.stage_output}:
            bufs[t] = replace(bufs[t], size=align_up(tile_bytes(g, s, t), align))
        if s.stage_output in bufs:
            bufs[s.stage_output] = replace(bufs[s.stage_output], first=min(bufs[s.stage_output].first, s.start))
        # tensors from before the stage are read whole by every patch: alive through the whole stage
        for op in g.ops[s.start:s.split]:
            for t in op.inputs:
                b = bufs.get(root.get(t, t))
                if b is not None and b.kind == "tensor" and t not in inside and b.last < s.split - 1:
                    bufs[b.id] = replace(b, last=s.split - 1)
        producer_step = next(k for k in range(s.start, s.split) if s.stage_output in g.ops[k].outputs)
        last_inside = max([k for k in range(s.start, s.split) if s.stage_output in g.ops[k].inputs],
                          default=producer_step)
        extra.append(Buffer(tile_buffer_id(i), align_up(tile_bytes(g, s, s.stage_output), align),
                            producer_step, last_inside, (), "tile"))
    return list(bufs.values()) + extra


def stage_free(inplace: frozenset, stages) -> frozenset:
    """The in-place ops that no patch stage covers."""
    covered = {k for s in _as_stages(stages) for k in range(s.start, s.split)}
    return frozenset(k for k in inplace if k not in covered)


def plan_patched(g: Graph, stages, align: int = 4, io_in_arena: bool = True,
                 inplace: frozenset = frozenset()) -> MemoryPlan:
    return plan_memory(patch_buffers(g, stages, align, io_in_arena, inplace=inplace), len(g.ops), align)


# ---- search ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    stages: tuple                       # ((start, split, rows, cols), ...) in op order
    peak: int
    macs: int
    overhead: float

    @property
    def split(self) -> int:
        return self.stages[0][1] if self.stages else 0

    @property
    def grid(self) -> tuple[int, int]:
        return (self.stages[0][2], self.stages[0][3]) if self.stages else (1, 1)

    def as_dict(self) -> dict:
        return {"stages": [{"first_op": a, "split": b, "grid": [r, c]} for a, b, r, c in self.stages],
                "peak_bytes": self.peak, "macs": self.macs, "mac_overhead": round(self.overhead, 5)}


@dataclass
class PatchSearch:
    layer_by_layer_peak: int
    layer_by_layer_macs: int
    chosen: tuple                       # PatchSchedule stages of the chosen schedule (empty: layer by layer)
    chosen_candidate: Candidate
    explored: list[Candidate]

    def frontier(self) -> list[Candidate]:
        """Pareto front of the explored schedules: none other has both a smaller peak and fewer MACs."""
        pts = sorted(self.explored + [self.chosen_candidate], key=lambda c: (c.macs, c.peak))
        front, best = [], None
        for c in pts:
            if best is None or c.peak < best:
                front.append(c)
                best = c.peak
        return front


GRIDS = tuple((r, c) for r in range(1, 9) for c in range(1, 9) if r * c > 1 and abs(r - c) <= 1)


class _Searcher:
    """Dynamic programme over the op sequence. The live bytes at a step depend only on the stage that
    covers it (or on none), so the schedule's peak is the max over its segments and its MACs the sum:
    front[i] holds the Pareto set (peak, MACs) of the ways to schedule ops[0:i]."""

    def __init__(self, g: Graph, align: int, io_in_arena: bool, max_stage_ops: int,
                 inplace: frozenset = frozenset()):
        self.g, self.align, self.io, self.inplace = g, align, io_in_arena, inplace
        self.base = buffers(g, align=align, io_in_arena=io_in_arena)     # what stages start from
        self.base_live = live_bytes_per_step(buffers(g, align=align, io_in_arena=io_in_arena, inplace=inplace),
                                             len(g.ops))
        self.op_macs = [op_macs(g, op) for op in g.ops]
        self.base_macs = sum(self.op_macs)
        self.max_stage_ops = max_stage_ops

    def stage_options(self, a: int):
        """(schedule, its peak over its own steps, its MACs) for every stage starting at op a."""
        g = self.g
        for b, out in stage_candidates(g, a, self.max_stage_ops):
            h, w = g.tensors[out].shape[1:3]
            near = [buf for buf in self.base if buf.first < b and buf.last >= a]
            for r, c in GRIDS:
                if r > h or c > w:
                    continue
                try:
                    s = make_schedule(g, b, out, even_split(h, r), even_split(w, c), a)
                except McuCompileError:
                    continue
                bufs = patch_buffers(g, s, self.align, self.io, near)
                peak = max(sum(x.size for x in bufs if x.first <= p <= x.last) for p in range(a, b))
                yield s, peak, _stage_macs(g, s)

    def frontier(self, budget: float, progress=None) -> list[tuple[int, int, tuple]]:
        n = len(self.g.ops)
        limit = self.base_macs * (1 + budget)
        fronts: list[list] = [[] for _ in range(n + 1)]
        fronts[0] = [(0, 0, ())]
        steps = range(n)
        for i in (progress(steps) if progress else steps):
            fronts[i] = _pareto(fronts[i])
            if not fronts[i]:
                continue
            for pk, mc, st in fronts[i]:
                fronts[i + 1].append((max(pk, self.base_live[i]), mc + self.op_macs[i], st))
            for s, speak, smacs in self.stage_options(i):
                for pk, mc, st in fronts[i]:
                    if mc + smacs + sum(self.op_macs[s.split:]) <= limit:
                        fronts[s.split].append((max(pk, speak), mc + smacs, st + (s,)))
        return _pareto(fronts[n])

    def candidate(self, stages) -> Candidate:
        bufs = patch_buffers(self.g, stages, self.align, self.io, inplace=self.inplace)
        peak = plan_memory(bufs, len(self.g.ops), self.align).arena_bytes
        macs = patch_macs(self.g, stages) if stages else self.base_macs
        key = tuple((s.start, s.split, *s.grid) for s in stages)
        return Candidate(key, peak, macs, macs / self.base_macs - 1 if self.base_macs else 0.0)


def _pareto(points: list, keep: int = 64) -> list:
    """Points (peak, macs, stages) with no other point both lower in peak and in MACs; at most `keep`."""
    best: list = []
    for p in sorted(points, key=lambda x: (x[1], x[0], len(x[2]))):
        if not best or p[0] < best[-1][0]:
            best.append(p)
    if len(best) > keep:
        idx = sorted({round(k * (len(best) - 1) / (keep - 1)) for k in range(keep)})
        best = [best[k] for k in idx]
    return best


def search(g: Graph, max_overhead: float = 0.10, sram_limit: Optional[int] = None, align: int = 4,
           io_in_arena: bool = True, max_stage_ops: int = 16,
           progress: Optional[Callable] = None, inplace: frozenset = frozenset()) -> PatchSearch:
    """Choose the patch stages and grids: the least peak SRAM within `max_overhead` extra MACs, or, with
    `sram_limit`, the fewest MACs whose peak fits (a clear error when nothing fits). inplace: the ops
    that run in place outside patch stages."""
    sr = _Searcher(g, align, io_in_arena, max_stage_ops, inplace)
    lbl = sr.candidate(())
    budget = max_overhead if sram_limit is None else max(max_overhead, 3.0)
    front = sr.frontier(budget, progress)
    # the exact arena planner on the frontier (the programme works with live-byte sums)
    explored = [sr.candidate(st) for _, _, st in front if st]
    pool = [lbl] + explored
    if sram_limit is not None:
        fits = [c for c in pool if c.peak <= sram_limit]
        if not fits:
            best = min(pool, key=lambda c: c.peak)
            raise McuCompileError(
                f"no schedule fits in {sram_limit:,} B of SRAM: the smallest peak found is {best.peak:,} B "
                f"({len(best.stages)} patch stage(s), {best.overhead:+.1%} MACs), "
                f"{best.peak - sram_limit:,} B over; a board with more SRAM is needed")
        best = min(fits, key=lambda c: (c.macs, c.peak))
    else:
        best = min((c for c in pool if c.overhead <= max_overhead + 1e-12), key=lambda c: (c.peak, c.macs))
    chosen = next((st for _, _, st in front if tuple((s.start, s.split, *s.grid) for s in st) == best.stages), ())
    return PatchSearch(lbl.peak, lbl.macs, tuple(chosen), best, explored)
