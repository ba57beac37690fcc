"""UNIDIRECTIONAL_SEQUENCE_LSTM: the kernel's state and gate buffers (firmware/mcu_lstm_s8.c).

The op's scratch holds, for batch B and state size S, the four gate buffers (int16, B x S each, as TFLite
Micro's four scratch buffers). The int16 cell state and the int8 hidden state (B x S each) are the model's
variable tensors: the lowering asks for them as persistent memory (codegen/lowering.py
LowerCtx.persistent), kept between invokes as TFLite Micro keeps them.
"""

from __future__ import annotations


def lstm_dims(graph, op) -> tuple[int, int]:
    """(batch, state size) of an LSTM op."""
    x = graph.tensors[op.inputs[0]]
    batch = x.shape[1] if op.attrs.time_major else x.shape[0]
    state = graph.tensors[op.inputs[2]].shape[0]      # input-to-forget weights [S, I]
    return int(batch), int(state)


def lstm_scratch_layout(batch: int, state: int) -> dict[str, int]:
    """Byte offsets of the kernel's buffers in its scratch, and the total."""
    n = batch * state
    return {"gates": 0, "total": 8 * n}


def lstm_scratch(graph, op, simd) -> int:
    b, s = lstm_dims(graph, op)
    return lstm_scratch_layout(b, s)["total"]
