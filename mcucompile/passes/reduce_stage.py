"""Patch stages that end in reductions over the whole map (accumulating stages).

A global SUM / MEAN of a map, and the k^T v of a linear attention (a BATCH_MATMUL that sums the
products of two token maps over their tokens), need every pixel of their maps, but each pixel once and
in any order: integer sums do not depend on their order. So a stage may compute its maps patch by patch
and add each patch's pixels into int32 accumulators that live through the stage; the last patch
requantises them. The maps themselves never exist whole: only one patch of them at a time, the
accumulators (4 bytes per result) and the results.

An accumulating stage runs ops[start:split]: patchable ops (the maps), RESHAPEs that flatten a map
into tokens for the accumulators (aliases: no code), and the accumulators, whose results are all that
leaves the stage. The maps the accumulators read (the seeds, one grid for all: they have the same
height and width) are cut into the grid; each patch adds its own rectangle of every seed, so every
pixel is added once.
"""

from __future__ import annotations

import numpy as np

from ..ir import Graph, Op
from .regions import LAYOUT, patchable

ACCUMULATE = ("SUM", "MEAN", "BATCH_MATMUL")


def token_view(g: Graph, op: Op) -> int | None:
    """The map a RESHAPE flattens into tokens ([1, H, W, C] -> [1, H*W, C]), else None."""
    if op.kind != "RESHAPE" or not op.inputs or len(op.outputs) != 1:
        return None
    x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
    if len(x.shape) != 4 or x.shape[0] != 1 or tuple(y.shape) != (1, x.shape[1] * x.shape[2], x.shape[3]):
        return None
    return x.index


def _int8(*tensors) -> bool:
    return all(t.dtype == "int8" and t.quant is not None and not t.quant.per_channel for t in tensors)


def accumulated(g: Graph, op: Op, maps: set[int], views: dict[int, int]) -> tuple[int, ...] | None:
    """The maps (of `maps`, or through the token views `views`: view -> map) that op reduces over all
    their pixels, if it is an accumulator; else None."""
    if op.kind in ("SUM", "MEAN") and len(op.inputs) >= 2 and len(op.outputs) == 1:
        x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        axes = g.tensors[op.inputs[1]].data if op.inputs[1] >= 0 else None
        if axes is None or not _int8(x, y):
            return None
        rank = len(x.shape)
        got = {int(a) + rank if int(a) < 0 else int(a) for a in np.asarray(axes).reshape(-1)}
        if x.index in maps and got == {1, 2}:
            m = x.index
        elif x.index in views and got == {1}:
            m = views[x.index]
        else:
            return None
        return (m,) if y.size == g.tensors[m].shape[3] else None
    if op.kind == "BATCH_MATMUL" and len(op.inputs) == 2 and len(op.outputs) == 1:
        a, b = op.inputs
        if not (op.attrs.adj_x and not op.attrs.adj_y and a in views and b in views):
            return None
        ma, mb = g.tensors[views[a]], g.tensors[views[b]]
        y = g.tensors[op.outputs[0]]
        if ma.shape[1:3] != mb.shape[1:3] or tuple(y.shape) != (1, ma.shape[3], mb.shape[3]):
            return None
        return (ma.index, mb.index) if _int8(ma, mb, y) else None
    return None


def accumulator_bytes(g: Graph, op: Op) -> int:
    """The int32 accumulators of an accumulating op: one per result."""
    return 4 * g.tensors[op.outputs[0]].size


def reduce_candidates(g: Graph, start: int, max_len: int) -> list[tuple[int, tuple[int, ...], tuple[int, ...]]]:
    """(split, seeds, accumulating ops) for every accumulating stage ops[start:split]: only the
    accumulators' results are read after it, and their maps share one height and width."""
    out = []
    maps: set[int] = set()
    views: dict[int, int] = {}
    accs: list[int] = []
    seeds: list[int] = []
    results: set[int] = set()
    for k in range(start, min(len(g.ops), start + max_len)):
        op = g.ops[k]
        if op.kind in LAYOUT and op.inputs[0] in maps:
            break                   # a TRANSPOSE reads its input whole: from before the stage
        if patchable(g, op) and not any(t in views or t in results for t in op.inputs):
            maps.update(op.outputs)
        elif token_view(g, op) in maps:
            views[op.outputs[0]] = op.inputs[0]
        else:
            got = accumulated(g, op, maps, views)
            if got is None:
                break
            accs.append(k)
            seeds.extend(m for m in got if m not in seeds)
            results.update(op.outputs)
        if not accs or len({tuple(g.tensors[m].shape[1:3]) for m in seeds}) != 1:
            continue
        later = {t for o in g.ops[k + 1:] for t in o.inputs} | set(g.outputs)
        if (maps | set(views)) & later:
            continue
        out.append((k + 1, tuple(seeds), tuple(accs)))
    return out
