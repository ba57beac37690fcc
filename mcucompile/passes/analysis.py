"""Per-layer figures: MACs, weight bytes, live activation bytes."""

from __future__ import annotations

from dataclasses import dataclass

from ..ir import Graph, Op


def op_macs(g: Graph, op: Op) -> int:
    t = g.tensors
    if op.kind == "CONV_2D":
        w = t[op.inputs[1]]
        return t[op.outputs[0]].size * w.shape[1] * w.shape[2] * w.shape[3]
    if op.kind == "DEPTHWISE_CONV_2D":
        w = t[op.inputs[1]]
        return t[op.outputs[0]].size * w.shape[1] * w.shape[2]
    if op.kind == "FULLY_CONNECTED":
        w = t[op.inputs[1]]
        return (t[op.outputs[0]].size // w.shape[0]) * w.shape[0] * w.shape[-1]
    if op.kind == "TRANSPOSE_CONV":
        w = t[op.inputs[1]]
        return t[op.inputs[2]].size * w.shape[0] * w.shape[1] * w.shape[2]
    if op.kind == "BATCH_MATMUL":
        return t[op.outputs[0]].size * t[op.inputs[0]].shape[-1]
    return 0


def op_weight_bytes(g: Graph, op: Op) -> int:
    return sum(g.tensors[i].nbytes for i in op.inputs if i >= 0 and g.tensors[i].is_const)


@dataclass(frozen=True)
class LayerInfo:
    index: int
    kind: str
    output_shape: tuple[int, ...]
    macs: int
    weight_bytes: int
    live_bytes: int

    def as_dict(self) -> dict:
        return {"index": self.index, "op": self.kind, "output_shape": list(self.output_shape),
                "macs": self.macs, "weight_bytes": self.weight_bytes, "live_bytes": self.live_bytes}


def flash_weight_bytes(g: Graph) -> int:
    """Bytes of constant tensors that ops read (each tensor counted once)."""
    seen = {i for op in g.ops for i in op.inputs if i >= 0 and g.tensors[i].is_const}
    return sum(g.tensors[i].nbytes for i in seen)
