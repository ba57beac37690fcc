"""SVDF: the kernel's activation state (firmware/mcu_svdf_s8.c, mcu_svdf_state_s8.c).

The op's scratch holds the activation state, batch x filters x memory int16 values (or int8 with int8 time
weights: TFLite Micro's second integer variant, firmware/mcu_svdf_state_s8.c), as TFLite Micro's variable
tensor. It lives only while the op runs: the kernel starts it on every invoke as TFLite Micro's reset of
its variable tensors leaves it (int16: zero; int8: every byte the state's zero point).
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
    return (1 if graph.tensors[op.inputs[2]].dtype == "int8" else 2) * b * f * m
