"""Graph normalisation: ops that would cut a run of patchable ops but do not read it move before it
(`hoist` rewrites).

The converter writes ops in an order of its own; a patch stage is a run of consecutive patchable ops.
When an op that cannot run per patch (a RESHAPE to tokens, a reduction over the whole map) sits inside
such a run without reading the run's later ops, it and the run's ops it does read move before the run,
keeping their order; the rest of the run then continues past it. In EfficientViT's linear attention the
value projection and k^T v sit between the query's per-token ops and the output projection: hoisted,
one patch stage runs from the query to the network's end.

A new order is kept only when the layer-by-layer live bytes never exceed the old peak (the order is also
the layer-by-layer schedule). Every order is a topological one: the references run the model file as is.
"""

from __future__ import annotations

from dataclasses import replace

from ..ir import Graph, Rewrite
from .liveness import buffers, live_bytes_per_step
from .regions import patchable


def _peak(g: Graph) -> int:
    return max(live_bytes_per_step(buffers(g, io_in_arena=False), len(g.ops)), default=0)


def hoist(g: Graph) -> tuple[Graph, list[Rewrite]]:
    """g's ops (op.index = the model file's numbers, not yet renumbered) in the new order, and the
    rewrites; g itself and [] when no move applies or the moves would raise the peak."""
    order = list(g.ops)
    can = {op.index: patchable(g, op) for op in order}
    out: list[Rewrite] = []
    i = 0
    while i < len(order):
        n = order[i]
        p = i
        while p > 0 and can[order[p - 1].index]:
            p -= 1
        if can[n.index] or p == i:
            i += 1
            continue
        made = {t: j for j in range(p, i) for t in order[j].outputs}
        anc: set[int] = set()
        stack = [t for t in n.inputs if t >= 0]
        while stack:
            j = made.get(stack.pop())
            if j is not None and j not in anc:
                anc.add(j)
                stack.extend(t for t in order[j].inputs if t >= 0)
        if len(anc) == i - p:
            i += 1
            continue
        moved = [order[j] for j in sorted(anc)] + [n]
        rest = [order[j] for j in range(p, i) if j not in anc]
        order[p:i + 1] = moved + rest
        out.append(Rewrite("hoist", n.index, rest[0].index,
                           ", ".join(f"op {o.index} {o.kind}" for o in moved)
                           + f" moved before op {rest[0].index} {rest[0].kind} (they do not read it): "
                           f"the run of patchable ops from op {rest[0].index} continues"))
        i += 1
    if not out:
        return g, []
    new = replace(g, ops=tuple(order))
    old_peak = _peak(replace(g, ops=tuple(replace(op, index=k) for k, op in enumerate(g.ops))))
    new_peak = _peak(replace(new, ops=tuple(replace(op, index=k) for k, op in enumerate(order))))
    if new_peak > old_peak:
        return g, []
    return new, out
