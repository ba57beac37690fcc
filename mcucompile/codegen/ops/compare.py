"""EQUAL, NOT_EQUAL, LESS, LESS_EQUAL, GREATER, GREATER_EQUAL (int8 inputs, bool output) and SELECT_V2
(bool condition, int8 operands), with NumPy broadcasting (firmware/mcu_compare.c). int32 / int64 inputs
(indices, ARG_MAX results) compare raw values (firmware/mcu_compare_int.c), bool inputs take EQUAL and
NOT_EQUAL only, as in TFLite Micro.

Comparisons follow TFLite Micro's comparisons.cc for int8, which always rescales (ComparisonWithScaling):
each input's value is ((q - zero point) << 8) multiplied by QuantizeMultiplierSmallerThanOneExp(its own
scale) with MultiplyByQuantizedMultiplierSmallerThanOneExp, and the two int32 results are compared. That
value depends on the code only, so it is a 256-entry int32 table per input, computed here; the kernel
compares table entries. TFLite asserts each scale is below 1 (the multiplier would need a left shift);
larger scales are refused.

SELECT_V2 copies raw codes (select.cc, BroadcastSelect5DSlow): both operands and the output must share
one quantisation (anything else is refused). Bool tensors are one byte (0 or 1).
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import quantize_multiplier
from ..records import Cast, KernelCall, ParamStruct, c_int, c_list
from ..registry import lowers
from .activations import mul_by_quantized_multiplier
from .elementwise import _broadcast_fields, _naming, broadcast_plan

COMPARE_LEFT_SHIFT = 8      # kLeftShift in comparisons.cc
OPS = {"EQUAL": (0, "=="), "NOT_EQUAL": (1, "!="), "LESS": (2, "<"), "LESS_EQUAL": (3, "<="), "GREATER": (4, ">"),
       "GREATER_EQUAL": (5, ">=")}


def compare_table(scale: float, zero_point: int) -> np.ndarray:
    """TFLite Micro's rescaled int8 comparison operand for every code (index: code + 128)."""
    s = float(np.float32(scale))
    if not 0.0 < s < 1.0:
        raise UnsupportedModelError(f"input scale {scale:g} is not in (0, 1): TFLite's int8 comparison asserts "
                                    "it (QuantizeMultiplierSmallerThanOneExp)")
    mult, shift = quantize_multiplier(s)
    return np.array([mul_by_quantized_multiplier((q - zero_point) * (1 << COMPARE_LEFT_SHIFT), mult, shift)
                     for q in range(-128, 128)], dtype=np.int64)


def _operand(ctx, t, ctype: str = "int8_t"):
    return ctx.weight(t.index, ctype) if t.is_const else ctx.act(t.index, ctype)


def _int8(op, t) -> None:
    if t.dtype != "int8" or t.quant is None or t.quant.per_channel:
        raise UnsupportedModelError(f"{op.kind} (op {op.index}): tensor {t.name!r} must be per-tensor int8 "
                                    f"(got {t.dtype})")


def _lower_compare(ctx, op):
    if len(op.inputs) != 2:
        raise UnsupportedModelError(f"{op.kind} (op {op.index}): expects 2 inputs, got {len(op.inputs)}")
    a, b, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    if y.dtype != "bool":
        raise UnsupportedModelError(f"{op.kind} (op {op.index}): the output {y.name!r} is {y.dtype}, not bool")
    plan = _naming(op, broadcast_plan, y.shape, (a.shape, b.shape))
    code, symbol = OPS[op.kind]
    if a.dtype in ("int32", "int64", "bool"):
        return _compare_raw(ctx, op, a, b, y, plan, code, symbol)
    for t in (a, b):
        _int8(op, t)
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    tables = [ctx.const(_naming(op, compare_table, t.scale, t.zero_point).astype(np.int32), "int32_t",
                        f"cmp_s{t.zero_point}_{np.float32(t.scale).view(np.uint32)}") for t in (a, b)]
    params = ParamStruct("mcu_compare_params_t", f"{name}_params", _broadcast_fields(plan) + (
        ("op", c_int(code)), ("table1", tables[0]), ("table2", tables[1])))
    return [KernelCall(op.index, op.kind, "mcu_compare_s8",
                       (f"&{params.name}", _operand(ctx, a), _operand(ctx, b), ctx.act(y.index, "uint8_t")),
                       params, ("mcu_compare.c",), f"{list(a.shape)} {symbol} {list(b.shape)} -> bool {list(y.shape)}")]


def _compare_raw(ctx, op, a, b, y, plan, code: int, symbol: str):
    """int32 / int64 (raw values, mcu_compare_int) and bool (EQUAL / NOT_EQUAL only, as TFLite Micro: 0/1
    bytes through mcu_compare_s8 with identity tables)."""
    if b.dtype != a.dtype:
        raise UnsupportedModelError(f"{op.kind} (op {op.index}): inputs {a.dtype} and {b.dtype} differ")
    what = f"{list(a.shape)} {symbol} {list(b.shape)} ({a.dtype}) -> bool {list(y.shape)}"
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    if a.dtype == "bool":
        if op.kind not in ("EQUAL", "NOT_EQUAL"):
            raise UnsupportedModelError(f"{op.kind} (op {op.index}): bool inputs are compared by EQUAL and "
                                        "NOT_EQUAL only (as TFLite Micro)")
        ident = ctx.const(np.arange(-128, 128, dtype=np.int32), "int32_t", "cmp_identity")
        params = ParamStruct("mcu_compare_params_t", f"{name}_params", _broadcast_fields(plan) + (
            ("op", c_int(code)), ("table1", ident), ("table2", ident)))
        args = [Cast("const int8_t *", _operand(ctx, t, "uint8_t")) for t in (a, b)]
        return [KernelCall(op.index, op.kind, "mcu_compare_s8", (f"&{params.name}", *args,
                                                                 ctx.act(y.index, "uint8_t")),
                           params, ("mcu_compare.c",), what)]
    ctype = "int64_t" if a.dtype == "int64" else "int32_t"
    params = ParamStruct("mcu_compare_int_params_t", f"{name}_params", _broadcast_fields(plan) + (
        ("op", c_int(code)), ("elem_bytes", c_int(8 if a.dtype == "int64" else 4))))
    args = [Cast("const void *", _operand(ctx, t, ctype)) for t in (a, b)]
    return [KernelCall(op.index, op.kind, "mcu_compare_int", (f"&{params.name}", *args, ctx.act(y.index, "uint8_t")),
                       params, ("mcu_compare_int.c",), what)]


for _kind in OPS:
    lowers(_kind)(_lower_compare)


@lowers("SELECT_V2")
def lower_select_v2(ctx, op):
    """bool condition, int8 operands quantised like the output, NumPy broadcasting of all three (up to 6-D)"""
    return _lower_select(ctx, op)


@lowers("SELECT")
def lower_select(ctx, op):
    """SELECT (v1; LiteRT's kernel, TFLite Micro has none): operands and output of one shape, the condition
    of that shape or a vector over its first dimension"""
    return _lower_select(ctx, op)


def _lower_select(ctx, op):
    where = f"{op.kind} (op {op.index})"
    if len(op.inputs) != 3:
        raise UnsupportedModelError(f"{where}: expects 3 inputs, got {len(op.inputs)}")
    c, a, b = (ctx.tensor(i) for i in op.inputs)
    y = ctx.tensor(op.outputs[0])
    if c.dtype != "bool":
        raise UnsupportedModelError(f"{where}: the condition {c.name!r} is {c.dtype}, not bool")
    for t in (a, b, y):
        _int8(op, t)
    for t in (a, b):
        if np.float32(t.scale) != np.float32(y.scale) or t.zero_point != y.zero_point:
            raise UnsupportedModelError(
                f"{where}: tensor {t.name!r} is quantised with scale {t.scale:g} zero point "
                f"{t.zero_point}, the output with scale {y.scale:g} zero point {y.zero_point}; TFLite copies "
                "raw int8 codes, so both operands and the output must share one quantisation")
    c_shape = tuple(c.shape)
    if op.kind == "SELECT":
        if tuple(a.shape) != tuple(y.shape) or tuple(b.shape) != tuple(y.shape):
            raise UnsupportedModelError(f"{where}: operands {tuple(a.shape)} and {tuple(b.shape)} must have the "
                                        f"output's shape {tuple(y.shape)} (SELECT does not broadcast)")
        if c_shape != tuple(y.shape):
            if len(c_shape) != 1 or not y.shape or c_shape[0] != y.shape[0]:
                raise UnsupportedModelError(f"{where}: the condition {c_shape} must have the output's shape "
                                            f"{tuple(y.shape)} or be a vector over its first dimension")
            c_shape = c_shape + (1,) * (len(y.shape) - 1)     # one condition per row
    plan = _naming(op, broadcast_plan, y.shape, (c_shape, a.shape, b.shape))
    dims, (sc, s1, s2) = plan.padded()
    name = ctx.unique(f"{op.kind.lower()}_{op.index}")
    params = ParamStruct("mcu_select_params_t", f"{name}_params", (
        ("rank", c_int(plan.rank)), ("out_dims", c_list(dims)), ("cond_strides", c_list(sc)),
        ("in1_strides", c_list(s1)), ("in2_strides", c_list(s2))))
    return [KernelCall(op.index, op.kind, "mcu_select_s8",
                       (f"&{params.name}", _operand(ctx, c, "uint8_t"), _operand(ctx, a), _operand(ctx, b),
                        ctx.act(y.index)), params, ("mcu_compare.c",),
                       f"{list(c.shape)} ? {list(a.shape)} : {list(b.shape)} -> {list(y.shape)}")]
