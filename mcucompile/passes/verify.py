"""Graph checks run after reading and between passes: structure, order, and the int8-only rule."""

from __future__ import annotations

from ..errors import ModelFormatError, UnsupportedModelError
from ..ir import Graph

CONVERT_HINT = ("mcucompile compiles full-int8 models only; convert the float model with "
                "`mcucompile convert MODEL --calibration DATA` to get one")


def verify_graph(g: Graph, source: str = "model") -> None:
    produced: dict[int, int] = {}
    available = set(g.inputs) | {t.index for t in g.tensors if t.is_const}
    for op in g.ops:
        if not op.outputs:
            raise ModelFormatError(f"{source}: op {op.index} ({op.kind}) has no output")
        for t in op.inputs:
            if t >= 0 and t not in available:
                if t in produced or any(t in o.outputs for o in g.ops[op.index:]):
                    raise ModelFormatError(f"{source}: op {op.index} ({op.kind}) reads tensor {t} before it is "
                                           "written (ops out of order or a cycle in the graph)")
                raise ModelFormatError(f"{source}: op {op.index} ({op.kind}) reads tensor {t}, "
                                       "which is neither an input, a constant nor written by any op")
        for t in op.outputs:
            if t < 0:
                raise ModelFormatError(f"{source}: op {op.index} ({op.kind}) has an absent output")
            if t in produced:
                raise ModelFormatError(f"{source}: tensor {t} is written by op {produced[t]} and op {op.index}")
            if t in available:
                raise ModelFormatError(f"{source}: op {op.index} ({op.kind}) writes tensor {t}, "
                                       "which is a model input or a constant")
            produced[t] = op.index
            available.add(t)
    for t in g.outputs:
        if t < 0 or t not in available:
            raise ModelFormatError(f"{source}: model output tensor {t} is never written")
    if not g.inputs:
        raise UnsupportedModelError(f"{source}: the model has no input")
    _check_dtypes(g, source)


def _check_dtypes(g: Graph, source: str) -> None:
    quantize_inputs = {op.inputs[0] for op in g.ops if op.kind == "QUANTIZE"}
    dequantize_outputs = {op.outputs[0] for op in g.ops if op.kind == "DEQUANTIZE"}
    index_outputs = {op.outputs[0] for op in g.ops if op.kind in ("ARG_MAX", "ARG_MIN")}
    for ti in g.activations():
        t = g.tensors[ti]
        if t.dtype == "int8":
            if t.quant is None:
                raise UnsupportedModelError(f"{source}: int8 tensor {ti} ({t.name!r}) has no quantisation "
                                            f"parameters. {CONVERT_HINT}")
            continue
        boundary_ok = t.dtype == "float32" and (
            (ti in g.inputs and ti in quantize_inputs) or (ti in g.outputs and ti in dequantize_outputs))
        if boundary_ok:
            continue
        if t.dtype in ("int32", "int64") and ti in index_outputs:
            continue    # ARG_MAX / ARG_MIN write integer indices, not activations
        what = {"float32": "float", "int16": "int16", "uint8": "uint8"}.get(t.dtype, t.dtype)
        raise UnsupportedModelError(
            f"{source}: tensor {ti} ({t.name!r}) holds {what} activations; only int8 activations are "
            f"supported. {CONVERT_HINT}")
