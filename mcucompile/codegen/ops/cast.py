"""CAST, ZEROS_LIKE and FILL as TFLite Micro's cast.cc, zeros_like.cc and fill.cc: raw values, no
quantisation arithmetic (firmware/mcu_cast.c, firmware/mcu_fill.c).

CAST static_casts each raw element: int8 / int16 / int32 / bool in, int8 / int16 / int32 / float32 out
(TFLite Micro's set, without uint32 and without float32 inputs, which an int8 model only has at a
QUANTIZE; it has no bool output). An int8 code casts as the integer it is, not as its real value.
ZEROS_LIKE writes raw zeros (not the zero point) and FILL repeats its scalar value (int8 or int32, a
constant or computed) over constant dims, as TFLite does.
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ..records import Cast, KernelCall, ParamStruct, c_int
from ..registry import lowers

CTYPES = {"int8": "int8_t", "int16": "int16_t", "int32": "int32_t", "int64": "int64_t", "float32": "float",
          "bool": "uint8_t", "uint32": "uint32_t"}
# MCU_TYPE_* in firmware/mcu_nn.h; uint32 has int32's bits (a static_cast between them keeps every bit, and to
# a narrower integer keeps the low bits of either)
TYPES = {"int8": 0, "int16": 1, "int32": 2, "float32": 3, "bool": 4, "uint32": 2}
CAST_IN = ("int8", "int16", "int32", "bool", "uint32")
CAST_OUT = ("int8", "int16", "int32", "float32", "uint32")


def _fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def _ptr(ctx, t, const: bool):
    ctype = CTYPES[t.dtype]
    if t.is_const:
        return Cast("const void *", ctx.weight(t.index, ctype))
    return Cast("const void *" if const else "void *", ctx.act(t.index, ctype))


@lowers("CAST")
def lower_cast(ctx, op):
    """raw static_cast: int8/int16/int32/uint32/bool -> int8/int16/int32/uint32/float32 (not uint32 -> float32)"""
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    if x.dtype not in CAST_IN:
        _fail(op, f"input '{x.name}' is {x.dtype}; supported: {', '.join(CAST_IN)}")
    if y.dtype not in CAST_OUT:
        _fail(op, f"output '{y.name}' is {y.dtype}; supported: {', '.join(CAST_OUT)}"
                  + (" (TFLite Micro has no bool CAST output)" if y.dtype == "bool" else ""))
    if tuple(x.shape) != tuple(y.shape):
        _fail(op, f"output shape {tuple(y.shape)} differs from the input's {tuple(x.shape)}")
    if x.dtype == "uint32" and y.dtype == "float32":
        _fail(op, "uint32 -> float32 is not supported (only integer outputs from uint32)")
    name = ctx.unique(f"cast{op.index}")
    params = ParamStruct("mcu_cast_params_t", f"{name}_params", (
        ("size", c_int(x.size)), ("in_type", c_int(TYPES[x.dtype])), ("out_type", c_int(TYPES[y.dtype]))))
    return [KernelCall(op.index, op.kind, "mcu_cast", (f"&{params.name}", _ptr(ctx, x, True), _ptr(ctx, y, False)),
                       params, ("mcu_cast.c",), f"{x.dtype} -> {y.dtype}, {x.size} elements (raw values)")]


FILL_TYPES = {"int8": 1, "int32": 4, "int64": 8, "bool": 1}


def _fill_call(ctx, op, y, value, comment: str):
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    params = ParamStruct("mcu_fill_params_t", f"{name}_params", (
        ("size", c_int(y.size)), ("elem_bytes", c_int(FILL_TYPES[y.dtype]))))
    return [KernelCall(op.index, op.kind, "mcu_fill", (f"&{params.name}", value, _ptr(ctx, y, False)),
                       params, ("mcu_fill.c",), comment)]


@lowers("ZEROS_LIKE")
def lower_zeros_like(ctx, op):
    """raw zeros (int8: code 0, not the zero point; int32, int64)"""
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    if y.dtype not in ("int8", "int32", "int64") or x.dtype != y.dtype:
        _fail(op, f"input {x.dtype} and output {y.dtype}: int8, int32 or int64, both alike, are supported")
    if tuple(x.shape) != tuple(y.shape):
        _fail(op, f"output shape {tuple(y.shape)} differs from the input's {tuple(x.shape)}")
    zero = ctx.const(np.zeros(1, dtype=np.int64 if y.dtype == "int64" else np.int32), CTYPES[
        "int64" if y.dtype == "int64" else "int32"], "zero")
    return _fill_call(ctx, op, y, Cast("const void *", zero), f"{y.size} raw zeros ({y.dtype})")


@lowers("FILL")
def lower_fill(ctx, op):
    """constant int32/int64 dims; scalar int8 or int32 value (constant or computed) of the output's type"""
    if len(op.inputs) != 2:
        _fail(op, f"expects 2 inputs (dims, value), got {len(op.inputs)}")
    dims, v, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    if dims.data is None or dims.dtype not in ("int32", "int64"):
        _fail(op, "the dims must be a constant int32 or int64 tensor (TFLite Micro requires it)")
    if [int(d) for d in np.asarray(dims.data).reshape(-1)] != list(y.shape):
        _fail(op, f"dims {np.asarray(dims.data).reshape(-1).tolist()} differ from the output shape {tuple(y.shape)}")
    if v.dtype != y.dtype or y.dtype not in ("int8", "int32"):
        _fail(op, f"value {v.dtype} and output {y.dtype}: int8 or int32, both alike, are supported")
    if v.shape != ():
        _fail(op, f"the value must be a scalar (got shape {tuple(v.shape)})")
    if y.dtype == "int8" and (v.quant is None or y.quant is None or v.quant != y.quant):
        _fail(op, "the int8 value and output must be quantised alike (TFLite copies the raw code)")
    return _fill_call(ctx, op, y, _ptr(ctx, v, True), f"{tuple(y.shape)} filled with one {y.dtype}")
