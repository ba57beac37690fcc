"""Unquantised int32 tensors through ADD, MUL, DIV, MINIMUM, MAXIMUM (firmware/mcu_arith_s32.c) and through
STRIDED_SLICE and CONCATENATION (the int8 copy kernels over the int32 values' bytes), as the audio front end
uses them around its Signal ops (codegen/ops/signal.py). The arithmetic is TFLite Micro's int32 path: the
reference kernels on raw values; ADD ignores the fused activation there, MUL and DIV clamp to it. Operands are
elementwise or a single value (the front end's constants); other broadcasts are refused.
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ..records import KernelCall, ParamStruct, c_int

INT32_RANGE = (-(1 << 31), (1 << 31) - 1)
ACT_RANGES = {"NONE": INT32_RANGE, "RELU": (0, INT32_RANGE[1]), "RELU6": (0, 6), "RELU_N1_TO_1": (-1, 1)}
FUNCS = {"ADD": ("mcu_add_s32", "+"), "MUL": ("mcu_mul_s32", "*"), "DIV": ("mcu_div_s32", "/"),
         "MINIMUM": ("mcu_minimum_s32", "min"), "MAXIMUM": ("mcu_maximum_s32", "max")}


def _fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def is_int32(ctx, op) -> bool:
    return ctx.tensor(op.outputs[0]).dtype == "int32"


def _operand(ctx, t):
    return ctx.weight(t.index, "int32_t") if t.is_const else ctx.act(t.index, "int32_t")


def lower_int32_binary(ctx, op) -> list[KernelCall]:
    a, b, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    if a.dtype != "int32" or b.dtype != "int32":
        _fail(op, f"inputs {a.dtype} and {b.dtype} with an int32 output: all three must be int32")
    if op.kind == "DIV" and (a.quant is not None or b.quant is not None):
        _fail(op, "int32 inputs must be unquantised (TFLite Micro's int32 DIV requires it)")
    steps = []
    for t in (a, b):
        if t.size == y.size and tuple(t.shape) == tuple(y.shape):
            steps.append(1)
        elif t.size == 1:
            steps.append(0)
        else:
            _fail(op, f"int32 operand {tuple(t.shape)} with output {tuple(y.shape)}: only elementwise "
                      "operands or a single value are supported")
    act = getattr(op.attrs, "activation", "NONE")
    lo, hi = INT32_RANGE if op.kind in ("ADD", "MINIMUM", "MAXIMUM") else ACT_RANGES[act]
    func, symbol = FUNCS[op.kind]
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    params = ParamStruct("mcu_arith_s32_params_t", f"{name}_params", (
        ("size", c_int(y.size)), ("a_step", c_int(steps[0])), ("b_step", c_int(steps[1])),
        ("act_min", c_int(lo)), ("act_max", c_int(hi))))
    return [KernelCall(op.index, op.kind, func, (f"&{params.name}", _operand(ctx, a), _operand(ctx, b),
                                                 ctx.act(y.index, "int32_t")),
                       params, ("mcu_arith_s32.c",), f"int32 {list(a.shape)} {symbol} {list(b.shape)}")]


def word_bytes(op, tensors) -> int:
    """4 when the op moves unquantised int32 values (all its tensors int32), 1 for int8 (the caller checks)."""
    if all(t.dtype == "int32" for t in tensors):
        return 4
    if any(t.dtype == "int32" for t in tensors):
        _fail(op, "mixes int32 with " + ", ".join(sorted({t.dtype for t in tensors} - {"int32"})) + " tensors")
    return 1


def byte_source(ctx, t):
    """An int32 tensor as bytes (int8_t *): a flash array of its bytes when it is a model constant."""
    if t.is_const:
        return ctx.const(np.ascontiguousarray(t.data, dtype=np.int32).view(np.int8).reshape(-1), "int8_t",
                         f"w{t.index}")
    return ctx.act(t.index)
