"""In-place depthwise convolution: the output overwrites the input, channel by channel.

A depthwise convolution with depth multiplier 1 computes output channel c from input channel c alone.
Computed one channel at a time into a one-channel temporary, output element (pixel p, channel c) is
written at p * C + c, where only input channel c lived, and that channel is no longer needed. So when the
output has no more pixels than the input and the input dies at this op, the two share one buffer:
the step costs max(in, out) + one output channel instead of in + out.
"""

from __future__ import annotations

from ..ir import Graph
from .liveness import alias_roots


def inplace_depthwise(g: Graph, io_in_arena: bool = True, exclude: frozenset = frozenset()) -> frozenset:
    """Op indices (positions) of the depthwise convolutions that can run in place."""
    root = alias_roots(g)
    last_use: dict[int, int] = {}
    for k, op in enumerate(g.ops):
        for t in op.inputs:
            if t >= 0 and t in root:
                last_use[root[t]] = k
    for t in g.outputs:
        last_use[root[t]] = len(g.ops)
    io_roots = {root[t] for t in (*g.inputs, *g.outputs)}
    out = set()
    for k, op in enumerate(g.ops):
        if op.kind != "DEPTHWISE_CONV_2D" or k in exclude:
            continue
        x, y = g.tensors[op.inputs[0]], g.tensors[op.outputs[0]]
        if x.dtype != "int8" or y.dtype != "int8":
            continue    # the in-place kernel is int8 (16x8 depthwise convs take mcu_depthwise_conv_s16)
        if len(x.shape) != 4 or len(y.shape) != 4 or x.shape[3] != y.shape[3] or x.shape[0] != 1:
            continue
        r = root[op.inputs[0]]
        if last_use.get(r) != k or (r in io_roots and not io_in_arena) or r in {root[t] for t in g.outputs}:
            continue
        if y.shape[1] * y.shape[2] > x.shape[1] * x.shape[2]:
            continue
        out.add(k)
    return frozenset(out)
