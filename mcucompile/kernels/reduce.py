"""MEAN and SUM: the kernel's int32 accumulators (firmware/mcu_mean.c)."""

from __future__ import annotations


def accumulator_scratch(graph, op, simd) -> int:
    return 4 * graph.tensors[op.outputs[0]].size    # one int32 accumulator per output element
