"""Buffers and their lifetimes over the execution order (aliases share one buffer)."""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import Graph
from ..kernels import ALIAS_KINDS, SCRATCH, inplace_scratch_bytes


@dataclass(frozen=True)
class Buffer:
    id: int                 # root tensor index, or -(op index + 1) for an op's scratch
    size: int               # bytes, rounded up to the alignment
    first: int              # first step (op position) at which it is live
    last: int               # last step, inclusive
    tensors: tuple[int, ...]   # tensors stored in it (aliases); () for scratch
    kind: str = "tensor"       # "tensor" | "scratch"
    optional: bool = False     # scratch the kernel can do without (kernels.ScratchRule.optional)

    def overlaps_in_time(self, other: Buffer) -> bool:
        return self.first <= other.last and other.first <= self.last


def align_up(n: int, a: int) -> int:
    return (n + a - 1) // a * a


def alias_roots(g: Graph, inplace: frozenset = frozenset()) -> dict[int, int]:
    """tensor -> the tensor whose buffer it shares (itself when it owns one). `inplace`: positions of
    ops whose output overwrites their input (see passes/inplace.py)."""
    root = {t: t for t in g.activations()}
    for k, op in enumerate(g.ops):
        if op.kind in ALIAS_KINDS or k in inplace:
            root[op.outputs[0]] = root[op.inputs[0]]
    return root


def buffers(g: Graph, align: int = 4, io_in_arena: bool = True, inplace: frozenset = frozenset(),
            simd: str = "none") -> list[Buffer]:
    """simd: the target's kernel family (Options.simd), which decides some kernels' scratch."""
    root = alias_roots(g, inplace)
    nsteps = max(len(g.ops), 1)
    first: dict[int, int] = {}
    last: dict[int, int] = {}
    members: dict[int, list[int]] = {}

    def touch(t: int, step: int) -> None:
        r = root[t]
        first[r] = min(first.get(r, step), step)
        last[r] = max(last.get(r, step), step)
        if t not in members.setdefault(r, []):
            members[r].append(t)

    for t in g.inputs:
        touch(t, 0)
    for step, op in enumerate(g.ops):
        for t in (*op.inputs, *op.outputs):
            if t >= 0 and t in root:
                touch(t, step)
    for t in g.outputs:
        touch(t, nsteps - 1)

    io_roots = {root[t] for t in (*g.inputs, *g.outputs)}
    out = []
    for r in sorted(first):
        if not io_in_arena and r in io_roots:
            continue
        size = max(g.tensors[t].nbytes for t in members[r])
        out.append(Buffer(r, align_up(size, align), first[r], last[r], tuple(members[r])))
    for step, op in enumerate(g.ops):
        rule = SCRATCH.get(op.kind)
        if step in inplace:
            out.append(Buffer(-(op.index + 1), align_up(inplace_scratch_bytes(g, step), align), step, step, (),
                              "scratch"))
        elif rule is not None:
            n = int(rule.fn(g, op, simd))
            if n > 0:
                out.append(Buffer(-(op.index + 1), align_up(n, align), step, step, (), "scratch", rule.optional))
    return out


def live_bytes_per_step(bufs: list[Buffer], nsteps: int) -> list[int]:
    live = [0] * max(nsteps, 1)
    for b in bufs:
        for s in range(b.first, b.last + 1):
            live[s] += b.size
    return live
