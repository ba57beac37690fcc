"""SVDF: the kernel's activation state (firmware/mcu_svdf_s8.c).

The op's scratch holds the int16 activation state, batch x filters x memory values, as TFLite Micro's
variable tensor. It lives only while the op runs: the kernel starts it from zero on every invoke, as TFLite
Micro does after a reset of its variable tensors.
"""

from __future__ import annotations


def svdf_dims(graph, op) -> tuple[int, int, int]:
    """(batch, filters, memory size) of an SVDF op."""
    x = graph.tensors[op.inputs[0]]
    w_feature = graph.tensors[op.inputs[1]]          # [filters, input size]
    w_time = graph.tensors[op.inputs[2]]             # [filters, memory size]
    return int(x.shape[0]), int(w_feature.shape[0]), int(w_time.shape[-1])


def svdf_scratch(graph, op, simd) -> int:
    b, f, m = svdf_dims(graph, op)
    return 2 * b * f * m
