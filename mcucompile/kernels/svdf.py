"""SVDF: the kernel's activation state (firmware/mcu_svdf_s8.c, mcu_svdf_state_s8.c).

The activation state, batch x filters x memory int16 values (or int8 with int8 time weights: TFLite
Micro's second integer variant, firmware/mcu_svdf_state_s8.c), is the model's variable tensor: the lowering
asks for it as persistent memory (codegen/lowering.py LowerCtx.persistent), kept between invokes as TFLite
Micro keeps it. The kernel takes no scratch.
"""

from __future__ import annotations


def svdf_dims(graph, op) -> tuple[int, int, int]:
    """(batch, filters, memory size) of an SVDF op."""
    x = graph.tensors[op.inputs[0]]
    w_feature = graph.tensors[op.inputs[1]]          # [filters, input size]
    w_time = graph.tensors[op.inputs[2]]             # [filters, memory size]
    return int(x.shape[0]), int(w_feature.shape[0]), int(w_time.shape[-1])
