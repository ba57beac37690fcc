"""Patch-based inference planning (MCUNetV2), with several patch stages where they pay.

A patch stage is a run ops[start:split] of spatially local ops whose results leave through one tensor
(the stage output). The stage output is cut into a grid of tiles; each tile is computed by running the
stage's ops on just the regions it needs (receptive field with halo, clipped at the border), so only one
tile's intermediates are alive at once. Everything else runs layer by layer.

Memory is accounted exactly, through the same arena planner as layer-by-layer execution: every tensor
inside a stage takes one tile-sized buffer (the largest tile's region), the stage output keeps its full
buffer (filled patch by patch, alive from the stage's first op) plus one tile buffer that its producer
writes before the tile is copied in, and tensors from before the stage stay alive through the stage.

A stage may instead cache rows (StreamNet, `cache_rows`): its column strips run one after the other,
and inside a strip the row bands run top to bottom; every stage tensor lives in a line buffer holding the
rows [first still needed, last needed by this band), so a band computes only rows no earlier band of the
strip computed (each row once per strip: no extra MACs with one strip, column halos only with several).
Line buffers whose rows carry over to the next band stay alive through the whole stage. The search mixes
both kinds of stage.

A stage may also end in reductions over its whole maps (an accumulating stage, passes/reduce_stage.py):
its maps feed only global SUM / MEAN or k^T v, each patch adds its own pixels into int32 accumulators
(the accumulators' scratch buffers, alive through the stage), and no map leaves it.

The region math is separable (rows and columns are independent), so a grid of R x C tiles needs R + C
back-propagations, which keeps the search fast.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import cached_property

from ..errors import McuCompileError
from ..ir import Graph
from .analysis import op_macs
from .liveness import Buffer, alias_roots, align_up, buffers, live_bytes_per_step
from .memory_plan import MemoryPlan, plan_memory
from .reduce_stage import accumulator_bytes, reduce_candidates
from .regions import CHANNEL_REDUCE, LAYOUT, Region, input_intervals, patchable

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
    cache_rows: bool = False            # row bands cache rows in per-tensor line buffers (StreamNet)
    inplace: frozenset = frozenset()    # depthwise ops (positions) of the stage that run in place per patch
    reduce: tuple[int, ...] = ()        # accumulating stage (passes/reduce_stage.py): its accumulators
    seeds: tuple[int, ...] = ()         # the maps they reduce, cut into the grid (stage_output: the first)

    @property
    def accumulates(self) -> bool:
        """Only accumulators' results leave the stage: no stage output map, no tile copy."""
        return bool(self.reduce)

    @property
    def grid(self) -> tuple[int, int]:
        return len(self.rows) - 1, len(self.cols) - 1

    @property
    def tiles(self) -> int:
        return self.grid[0] * self.grid[1]

    def tile_rc(self, k: int) -> tuple[int, int]:
        """Tile k -> (row band, column band). Row-major; caching rows, column-major: each column strip
        runs its row bands top to bottom."""
        if self.cache_rows:
            c, r = divmod(k, self.grid[0])
            return r, c
        return divmod(k, self.grid[1])

    def regions(self, k: int) -> dict[int, Region]:
        """Tile k (in execution order, see tile_rc) -> the region of every stage tensor it needs."""
        r, c = self.tile_rc(k)
        cols = {t: (x0, x1) for t, x0, x1 in self.col_bands[c]}
        return {t: Region(y0, y1, *cols[t]) for t, y0, y1 in self.row_bands[r]}

    def stage_tensors(self) -> set[int]:
        return {t for t, _, _ in self.row_bands[0]}

    @cached_property
    def _row_table(self) -> dict[int, list[tuple[int, int]]]:
        out: dict[int, list] = {}
        for band in self.row_bands:
            for t, y0, y1 in band:
                out.setdefault(t, []).append((y0, y1))
        return out

    @cached_property
    def _col_table(self) -> dict[int, list[tuple[int, int]]]:
        out: dict[int, list] = {}
        for band in self.col_bands:
            for t, x0, x1 in band:
                out.setdefault(t, []).append((x0, x1))
        return out

    @cached_property
    def _computed_table(self) -> dict[int, list[tuple[int, int]]]:
        out = {}
        for t, need in self._row_table.items():
            rows = [need[0]]
            for (_, prev), (a, e) in zip(need, need[1:]):
                rows.append((min(max(a, prev), e), e) if self.cache_rows else (a, e))
            out[t] = rows
        return out

    def row_need(self, t: int) -> list[tuple[int, int]]:
        """Per row band: the rows [a, e) of tensor t that the band needs."""
        return self._row_table[t]

    def computed_rows(self, b: int) -> dict[int, tuple[int, int]]:
        """Row band b -> the rows [n, e) of every stage tensor that the band computes: all it needs when
        recomputing, only the rows no earlier band computed when caching rows (n = e: nothing)."""
        return {t: rows[b] for t, rows in self._computed_table.items()}

    def cached_tensors(self) -> frozenset[int]:
        """With cache_rows: the stage tensors whose rows a band leaves to the next one (their line buffers
        stay alive through the whole stage)."""
        return self._cached_set

    @cached_property
    def _cached_set(self) -> frozenset:
        if not self.cache_rows:
            return frozenset()
        return frozenset(t for t, need in self._row_table.items()
                         if any(nxt[0] < cur[1] for cur, nxt in zip(need, need[1:])))

    def max_area(self, t: int) -> int:
        return max(b - a for a, b in self._row_table[t]) * max(b - a for a, b in self._col_table[t])

    def total_area(self, t: int) -> int:
        return sum(b - a for a, b in self._row_table[t]) * sum(b - a for a, b in self._col_table[t])

    def computed_area(self, t: int) -> int:
        """Output pixels of tensor t that the stage computes over all its patches (caching rows: every
        row once per column strip)."""
        if not self.cache_rows:
            return self.total_area(t)
        return sum(e - n for n, e in self._computed_table[t]) * sum(b - a for a, b in self._col_table[t])


def stage_candidates(g: Graph, start: int = 0, max_len: int = 1 << 30) -> list[tuple[int, int]]:
    """(split, stage output) for every run ops[start:split] of patchable ops whose results leave through
    one tensor that later ops read."""
    out = []
    produced: set[int] = set()
    for k in range(start, min(len(g.ops), start + max_len)):
        op = g.ops[k]
        if not patchable(g, op) or (op.kind in LAYOUT and op.inputs[0] in produced):
            break                   # a TRANSPOSE reads its input whole: from before the stage
        produced.update(op.outputs)
        later = {t for o in g.ops[k + 1:] for t in o.inputs} | set(g.outputs)
        leaving = sorted(t for t in produced if t in later)
        if len(leaving) == 1 and g.tensors[leaving[0]].shape[1] * g.tensors[leaving[0]].shape[2] > 1:
            out.append((k + 1, leaving[0]))
    return out


def even_split(n: int, parts: int) -> tuple[int, ...]:
    return tuple((i * n) // parts for i in range(parts + 1))


class IntervalCache:
    """input_intervals with each op's window and each answer remembered (the search asks the same
    questions for many splits and grids)."""

    def __init__(self, g: Graph):
        self.g = g
        self.memo: dict = {}

    def __call__(self, g: Graph, op, axis: int, o0: int, o1: int) -> dict[int, tuple[int, int]]:
        key = (op.index, axis, o0, o1)
        r = self.memo.get(key)
        if r is None:
            r = self.memo[key] = input_intervals(g, op, axis, o0, o1)
        return r


def _bands(g: Graph, start: int, split: int, seeds: tuple[int, ...], bounds, axis: int,
           intervals: Callable = input_intervals, skip: frozenset = frozenset()):
    """skip: ops of an accumulating stage that are not maps (token views, accumulators)."""
    stage = [op for op in g.ops[start:split] if op.index not in skip]
    produced = {t for op in stage for t in op.outputs}
    bands = []
    for i in range(len(bounds) - 1):
        need = {t: (bounds[i], bounds[i + 1]) for t in seeds}
        for op in reversed(stage):
            o = op.outputs[0]
            if o not in need:
                raise McuCompileError(f"op {op.index} ({op.kind}) does not contribute to the stage output")
            for t, (a, b) in intervals(g, op, axis, *need[o]).items():
                if t in produced:
                    old = need.get(t)
                    need[t] = (a, b) if old is None else (min(a, old[0]), max(b, old[1]))
        if any(b <= a for a, b in need.values()):
            raise McuCompileError("a patch of this grid would be empty")
        if axis == 2 and any(op.kind in CHANNEL_REDUCE and op.inputs[0] in produced
                             and need[op.inputs[0]] != need[op.outputs[0]] for op in stage):
            raise McuCompileError("a channel sum's input would hold more columns than its output")
        bands.append(tuple((t, a, b) for t, (a, b) in sorted(need.items())))
    return tuple(bands)


def make_schedule(g: Graph, split: int, stage_output: int, rows, cols, start: int = 0,
                  cache_rows: bool = False, memo: dict | None = None, seeds: tuple[int, ...] = (),
                  reduce: tuple[int, ...] = ()) -> PatchSchedule:
    """Back-propagate every row band and column band of the stage output through the stage.
    cache_rows: run each column strip's row bands top to bottom, each keeping the rows the next band
    still needs (column halos are recomputed; with one column, nothing is). memo: a dict kept across
    calls on the same graph (the search's)."""

    seeds = seeds or (stage_output,)
    skip = frozenset(k for k in range(start, split) if reduce and not patchable(g, g.ops[k]))

    def bands(bounds, axis):
        if memo is None:
            return _bands(g, start, split, seeds, bounds, axis, skip=skip)
        key = (start, split, tuple(bounds), axis, seeds)
        r = memo.get(key)
        if r is None:
            intervals = memo.setdefault("intervals", IntervalCache(g))
            try:
                r = _bands(g, start, split, seeds, bounds, axis, intervals, skip)
            except McuCompileError as e:
                r = e
            memo[key] = r
        if isinstance(r, McuCompileError):
            raise r
        return r

    row_bands = bands(rows, 1)
    if cache_rows:
        for k in range(1, len(row_bands)):
            for (t, a0, e0), (u, a1, e1) in zip(row_bands[k - 1], row_bands[k]):
                if t != u or a1 < a0 or e1 < e0:
                    raise McuCompileError("row caching needs the bands' rows to move down monotonically")
    s = PatchSchedule(split, stage_output, tuple(rows), tuple(cols), row_bands, bands(cols, 2), start,
                      cache_rows, reduce=tuple(reduce), seeds=seeds if reduce else ())
    if memo is not None:     # the per-tensor tables depend on the bands only: share them between grids
        for name, key in (("_row_table", (start, split, tuple(rows))), ("_col_table", (start, split, tuple(cols))),
                          ("_computed_table", (start, split, tuple(rows), cache_rows)),
                          ("cached_tensors", (start, split, tuple(rows), cache_rows))):
            key = (name, *key)
            if key not in memo:
                memo[key] = getattr(s, name) if name != "cached_tensors" else s.cached_tensors()
            s.__dict__["_cached_set" if name == "cached_tensors" else name] = memo[key]
    return s


def tile_bytes(g: Graph, s: PatchSchedule, t: int) -> int:
    x = g.tensors[t]
    return s.max_area(t) * x.shape[3] * (x.nbytes // max(x.size, 1))     # bytes, not elements


def _stage_macs(g: Graph, s: PatchSchedule, macs: list | None = None) -> int:
    total = 0
    maps = s.stage_tensors()
    for op in g.ops[s.start:s.split]:
        y = g.tensors[op.outputs[0]]
        m = macs[op.index] if macs is not None else op_macs(g, op)
        if op.outputs[0] not in maps:        # an accumulator (or a token view): each pixel once
            total += m
            continue
        total += s.computed_area(op.outputs[0]) * (m // (y.shape[1] * y.shape[2]))
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
                  base: list[Buffer] | None = None, inplace: frozenset = frozenset(),
                  root: dict | None = None, simd: str = "none") -> list[Buffer]:
    """Buffers of the patched schedule (stages: one PatchSchedule or several, not overlapping).
    inplace: ops that may run in place (passes/inplace.py); those inside a stage run normally.
    base: the layer-by-layer buffers to start from (made with the same in-place ops and simd).
    simd: the target's kernel family (Options.simd), which decides some kernels' scratch."""
    stages = _as_stages(stages)
    inplace = stage_free(inplace, stages)
    bufs = {b.id: b for b in (base if base is not None
                              else buffers(g, align=align, io_in_arena=io_in_arena, inplace=inplace,
                                           simd=simd))}
    root = root if root is not None else alias_roots(g, inplace)
    extra = []
    for i, s in enumerate(stages):
        inside = s.stage_tensors()
        cached = s.cached_tensors()
        shared = _inplace_roots(g, s)
        sizes: dict[int, int] = {}
        for t in (inside if s.accumulates else inside - {s.stage_output}):
            r = shared[t]          # an in-place op's output shares its input's tile buffer
            sizes[r] = max(sizes.get(r, 0), align_up(tile_bytes(g, s, t), align))
        for r, size in sizes.items():
            bufs[r] = replace(bufs[r], size=size)
            if r in cached:    # a line buffer: its rows carry over to the next band
                bufs[r] = replace(bufs[r], first=s.start, last=s.split - 1)
        for k in s.inplace:    # the one-channel temporary of a patch
            bufs[-(k + 1)] = replace(bufs[-(k + 1)], size=align_up(s.max_area(g.ops[k].outputs[0]), align))
        for k in s.reduce:     # the accumulators: alive from the first patch to the last
            bufs[-(k + 1)] = Buffer(-(k + 1), align_up(accumulator_bytes(g, g.ops[k]), align), s.start,
                                    s.split - 1, (), "scratch")
        if s.stage_output in bufs:
            bufs[s.stage_output] = replace(bufs[s.stage_output], first=min(bufs[s.stage_output].first, s.start))
        # tensors from before the stage are read whole by every patch: alive through the whole stage
        for op in g.ops[s.start:s.split]:
            for t in op.inputs:
                b = bufs.get(root.get(t, t))
                if (b is not None and b.kind == "tensor" and t not in inside and root.get(t, t) not in inside
                        and b.last < s.split - 1):
                    bufs[b.id] = replace(b, last=s.split - 1)
        if s.accumulates:
            continue
        producer_step = next(k for k in range(s.start, s.split) if s.stage_output in g.ops[k].outputs)
        last_inside = max([k for k in range(s.start, s.split) if s.stage_output in g.ops[k].inputs],
                          default=producer_step)
        if s.stage_output in cached:
            producer_step, last_inside = s.start, s.split - 1
        extra.append(Buffer(tile_buffer_id(i), align_up(tile_bytes(g, s, s.stage_output), align),
                            producer_step, last_inside, (), "tile"))
    return list(bufs.values()) + extra


def stage_free(inplace: frozenset, stages) -> frozenset:
    """The in-place ops: those that no patch stage covers, and those the stages run in place per patch."""
    stages = _as_stages(stages)
    covered = {k for s in stages for k in range(s.start, s.split)}
    return frozenset(k for k in inplace if k not in covered) | frozenset(k for s in stages for k in s.inplace)


def stage_inplace(g: Graph, s: PatchSchedule, inplace: frozenset) -> frozenset:
    """The ops of `inplace` (passes/inplace.py: the input dies there, output no larger) that can run in
    place inside patch stage s: the input is a patch of the stage (not a tensor read whole by every
    patch), the output is not the stage output (that goes to its tile buffer), no rows are cached, and
    in every patch the output region has no more pixels than the input region."""
    if s.cache_rows:
        return frozenset()
    inside = s.stage_tensors()
    out = set()
    for k in inplace:
        if not s.start <= k < s.split:
            continue
        x, y = g.ops[k].inputs[0], g.ops[k].outputs[0]
        if x not in inside or y == s.stage_output:
            continue
        if all(reg[y].area <= reg[x].area for reg in map(s.regions, range(s.tiles))):
            out.add(k)
    return frozenset(out)


def _inplace_roots(g: Graph, s: PatchSchedule) -> dict[int, int]:
    """Stage tensor -> the stage tensor whose buffer it shares through the stage's in-place ops."""
    root = {t: t for t in s.stage_tensors()}
    for k in sorted(s.inplace):
        root[g.ops[k].outputs[0]] = root[g.ops[k].inputs[0]]
    return root


def plan_patched(g: Graph, stages, align: int = 4, io_in_arena: bool = True,
                 inplace: frozenset = frozenset(), simd: str = "none") -> MemoryPlan:
    return plan_memory(patch_buffers(g, stages, align, io_in_arena, inplace=inplace, simd=simd), len(g.ops),
                       align)


# ---- search ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Candidate:
    stages: tuple                       # ((start, split, rows, cols, cache_rows, inplace ops), ...)
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
        return {"stages": [{"first_op": a, "split": b, "grid": [r, c], "cache_rows": k, "inplace_ops": list(ip)}
                           for a, b, r, c, k, ip in self.stages],
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
# grids tried with row caching: more row bands shrink the line buffers toward the halo rows; column
# strips shrink them further but recompute the column halos
CACHED_ROWS = (2, 3, 4, 5, 6, 7, 8, 10, 12, 14, 16, 20, 24, 28, 32, 40, 48, 56, 64)
CACHED_COLS = (1, 2, 3, 4)


KINDS = ("recompute", "cached")     # patch stages that recompute halos; stages that cache rows


def schedule_key(stages) -> tuple:
    return tuple((s.start, s.split, *s.grid, s.cache_rows, tuple(sorted(s.inplace))) for s in stages)


class _Searcher:
    """Dynamic programme over the op sequence. The live bytes at a step depend only on the stage that
    covers it (or on none), so the schedule's peak is the max over its segments and its MACs the sum:
    front[i] holds the Pareto set (peak, MACs) of the ways to schedule ops[0:i]."""

    def __init__(self, g: Graph, align: int, io_in_arena: bool, max_stage_ops: int,
                 inplace: frozenset = frozenset(), kinds: tuple = KINDS, simd: str = "none"):
        self.g, self.align, self.io, self.inplace, self.simd = g, align, io_in_arena, inplace, simd
        self.grids = (([(r, c, False) for r, c in GRIDS] if "recompute" in kinds else [])
                      + ([(r, c, True) for c in CACHED_COLS for r in CACHED_ROWS] if "cached" in kinds else []))
        self.base = buffers(g, align=align, io_in_arena=io_in_arena, simd=simd)     # what stages start from
        self.base_live = live_bytes_per_step(buffers(g, align=align, io_in_arena=io_in_arena, inplace=inplace,
                                                     simd=simd), len(g.ops))
        self.op_macs = [op_macs(g, op) for op in g.ops]
        self.root = alias_roots(g)           # stages start from buffers without in-place ops
        self.scratch = {-x.id - 1: x.size for x in self.base if x.kind == "scratch"}
        self.memo: dict = {}
        self.base_macs = sum(self.op_macs)
        self.max_stage_ops = max_stage_ops

    def _fixed_live(self, a: int, b: int, out: int, reduce: tuple = ()) -> tuple[list[int], dict]:
        """Live bytes over steps a..b-1 of every buffer whose size and lifetime do not depend on the
        grid (patch_buffers' rules: the stage output alive from the stage's start, tensors from before
        the stage alive through it), and the base buffers of the stage's own tensors (its maps). reduce:
        an accumulating stage's accumulators (their scratch becomes the accumulators, added later)."""
        g = self.g
        skip = {k for k in reduce} | ({k for k in range(a, b) if not patchable(g, g.ops[k])} if reduce else set())
        inside = {t for op in g.ops[a:b] if op.index not in skip for t in op.outputs}
        read = {self.root.get(t, t) for op in g.ops[a:b] for t in op.inputs
                if t not in inside and self.root.get(t, t) not in inside}
        live = [0] * (b - a)
        own = {}
        for x in self.base:
            if x.first >= b or x.last < a or (x.kind == "scratch" and -x.id - 1 in reduce):
                continue
            if x.id in inside and x.id != out:
                own[x.id] = x
                continue
            first, last = x.first, x.last
            if x.id == out:
                first = min(first, a)
            if x.kind == "tensor" and x.id in read:
                last = max(last, b - 1)
            for p in range(max(first, a), min(last, b - 1) + 1):
                live[p - a] += x.size
        for k in reduce:
            size = align_up(accumulator_bytes(g, g.ops[k]), self.align)
            for p in range(b - a):
                live[p] += size
        return live, own

    def stage_options(self, a: int):
        """(schedule, its peak over its own steps, its MACs) for every stage starting at op a. The same
        figures as patch_buffers + a per-step sum, computed from the grid-independent part once."""
        g = self.g
        cands: list[tuple[int, int, tuple[int, ...], tuple[int, ...]]] = [
            (b, out, (out,), ()) for b, out in stage_candidates(g, a, self.max_stage_ops)]
        cands += [(b, seeds[0], seeds, accs) for b, seeds, accs in reduce_candidates(g, a, self.max_stage_ops)]
        for b, out, seeds, reduce in cands:
            h, w = g.tensors[out].shape[1:3]
            fixed, own = self._fixed_live(a, b, -1 if reduce else out, reduce)
            producer = next(k for k in range(a, b) if out in g.ops[k].outputs)
            last_inside = max([k for k in range(a, b) if out in g.ops[k].inputs], default=producer)
            for r, c, cache in self.grids:
                if r > h or c > w:
                    continue
                try:
                    s = make_schedule(g, b, out, even_split(h, r), even_split(w, c), a, cache, self.memo,
                                      seeds if reduce else (), reduce)
                except McuCompileError:
                    continue
                if self.inplace:
                    s = replace(s, inplace=stage_inplace(g, s, self.inplace))
                live = list(fixed)
                cached = s.cached_tensors()
                spans = [] if reduce else [(align_up(tile_bytes(g, s, out), self.align),
                                            (a, b - 1) if out in cached else (producer, last_inside))]
                shared = _inplace_roots(g, s) if s.inplace else {}
                groups: dict[int, list] = {}
                for t, x in own.items():
                    size = align_up(tile_bytes(g, s, t), self.align)
                    first, last = (a, b - 1) if t in cached else (x.first, x.last)
                    grp = groups.setdefault(shared.get(t, t), [0, first, last])
                    grp[0], grp[1], grp[2] = max(grp[0], size), min(grp[1], first), max(grp[2], last)
                spans.extend((size, (first, last)) for size, first, last in groups.values())
                for k in s.inplace:      # the patch's one-channel temporary replaces the op's scratch
                    old = self.scratch.get(k, 0)
                    spans.append((align_up(s.max_area(g.ops[k].outputs[0]), self.align) - old, (k, k)))
                for size, (first, last) in spans:
                    for p in range(max(first, a), min(last, b - 1) + 1):
                        live[p - a] += size
                yield s, max(live), _stage_macs(g, s, self.op_macs)

    def frontier(self, budget: float, progress=None) -> list[tuple[int, int, tuple]]:
        n = len(self.g.ops)
        limit = self.base_macs * (1 + budget)
        fronts: list[list] = [[] for _ in range(n + 1)]
        fronts[0] = [(0, 0, ())]
        rest = [sum(self.op_macs[k:]) for k in range(n + 1)]      # MACs of ops[k:] layer by layer
        steps = range(n)
        for i in (progress(steps) if progress else steps):
            fronts[i] = _pareto(fronts[i])
            if not fronts[i]:
                continue
            for pk, mc, st in fronts[i]:
                fronts[i + 1].append((max(pk, self.base_live[i]), mc + self.op_macs[i], st))
            # per split, only the options no other grid beats in both peak and MACs can be of use
            by_split: dict[int, list] = {}
            for s, speak, smacs in self.stage_options(i):
                by_split.setdefault(s.split, []).append((speak, smacs, s))
            for split, opts in by_split.items():
                useful, lowest = [], None
                for speak, smacs, s in sorted(opts, key=lambda o: (o[1], o[0])):
                    if lowest is None or speak < lowest:
                        useful.append((speak, smacs, s))
                        lowest = speak
                for speak, smacs, s in useful:
                    for pk, mc, st in fronts[i]:
                        if mc + smacs + rest[split] <= limit:
                            fronts[split].append((max(pk, speak), mc + smacs, st + (s,)))
        return _pareto(fronts[n])

    def candidate(self, stages) -> Candidate:
        bufs = patch_buffers(self.g, stages, self.align, self.io, inplace=self.inplace, simd=self.simd)
        peak = plan_memory(bufs, len(self.g.ops), self.align).arena_bytes
        macs = patch_macs(self.g, stages) if stages else self.base_macs
        return Candidate(schedule_key(stages), peak, macs, macs / self.base_macs - 1 if self.base_macs else 0.0)


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


def search(g: Graph, max_overhead: float = 0.10, sram_limit: int | None = None, align: int = 4,
           io_in_arena: bool = True, max_stage_ops: int = 16,
           progress: Callable | None = None, inplace: frozenset = frozenset(),
           kinds: tuple = KINDS, simd: str = "none") -> PatchSearch:
    """Choose the patch stages and grids: the least peak SRAM within `max_overhead` extra MACs, or, with
    `sram_limit`, the fewest MACs whose peak fits (a clear error when nothing fits). inplace: the ops
    that run in place outside patch stages. kinds: the stage kinds to consider ("recompute": R x C
    patches recompute their halos; "cached": row bands keep the halo rows in line buffers, column strips
    recompute theirs). simd: the target's kernel family (Options.simd), which decides some kernels' scratch."""
    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        raise McuCompileError(f"patch stage kinds must be among {', '.join(KINDS)}, not {sorted(unknown)}")
    sr = _Searcher(g, align, io_in_arena, max_stage_ops, inplace, tuple(kinds), simd)
    lbl = sr.candidate(())
    budget = max_overhead if sram_limit is None else max(max_overhead, 3.0)
    if progress is None:      # the CLI's bar on stderr (terminals only, not with --quiet), else nothing
        from .. import progress as bars
        bar = bars.bar("patch search", len(g.ops))

        def progress(steps):
            for k in steps:
                bar.update(k, f"op {k}")
                yield k
            bar.update(len(g.ops), "")
            bar.close()
    front = sr.frontier(budget, progress)
    # in-place ops inside stages lower the live-byte sums but may plan worse: each frontier point also
    # without them
    schedules = [st for _, _, st in front if st]
    schedules += [tuple(replace(x, inplace=frozenset()) for x in st) for st in schedules
                  if any(x.inplace for x in st)]
    # the exact arena planner on the frontier (the programme works with live-byte sums)
    explored = [sr.candidate(st) for st in schedules]
    pool = [lbl] + explored
    if sram_limit is not None:
        fits = [c for c in pool if c.peak <= sram_limit]
        if not fits:
            best = min(pool, key=lambda c: c.peak)
            s16 = any(t.dtype == "int16" for op in g.ops for t in (g.tensors[i] for i in (*op.inputs, *op.outputs)
                                                                    if i >= 0))
            raise McuCompileError(
                f"no schedule fits in {sram_limit:,} B of SRAM: the smallest peak found is {best.peak:,} B "
                f"({len(best.stages)} patch stage(s), {best.overhead:+.1%} MACs), "
                f"{best.peak - sram_limit:,} B over; a board with more SRAM is needed"
                + ("; 16x8 ops (int16 activations) run layer by layer only (patch stages are int8 for now)"
                   if s16 else ""))
        # equal MACs (rows cached): the fewest stages, layer by layer first (no copies, no loop overhead)
        best = min(fits, key=lambda c: (c.macs, len(c.stages), c.peak))
    else:
        best = min((c for c in pool if c.overhead <= max_overhead + 1e-12), key=lambda c: (c.peak, c.macs))
    chosen = next((st for st in schedules if schedule_key(st) == best.stages), ())
    return PatchSearch(lbl.peak, lbl.macs, tuple(chosen), best, explored)
