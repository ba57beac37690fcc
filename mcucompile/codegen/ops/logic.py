"""LOGICAL_AND, LOGICAL_OR, LOGICAL_NOT and REDUCE_ALL on bool tensors (one byte each, 0 or 1), as TFLite
Micro's logical.cc / elementwise.cc / reduce.cc, through kernels we already have: on 0/1 bytes AND is
the minimum and OR the maximum (mcu_minimum_s8 / mcu_maximum_s8 with NumPy broadcasting, up to 6-D; TFLite
Micro broadcasts up to 4-D), NOT is a 256-entry table (mcu_lut_s8: 0 -> 1, 1 -> 0), and REDUCE_ALL is the
minimum over the reduced axes (mcu_reduce_minmax_s8). The choice is made here; no new C.
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ..records import KernelCall, ParamStruct, c_int, c_list
from ..registry import lowers
from .activations import lut_call
from .elementwise import _broadcast_fields, _naming, broadcast_plan
from .reduce import MAX_DIMS, resolve_axes

NOT_TABLE = np.zeros(256, dtype=np.int8)
NOT_TABLE[128] = 1          # index: code + 128; code 0 (false) -> 1, every other code -> 0


def _fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def _bool(op, *ts) -> None:
    for t in ts:
        if t.dtype != "bool":
            _fail(op, f"tensor {t.name!r} is {t.dtype}; TFLite Micro's {op.kind} takes bool tensors only")


def _src(ctx, t):
    return ctx.weight(t.index, "int8_t") if t.is_const else ctx.act(t.index)


def _binary(ctx, op, func: str, symbol: str):
    if len(op.inputs) != 2:
        _fail(op, f"expects 2 inputs, got {len(op.inputs)}")
    a, b, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    _bool(op, a, b, y)
    plan = _naming(op, broadcast_plan, y.shape, (a.shape, b.shape))
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    params = ParamStruct("mcu_minmax_params_t", f"{name}_params", _broadcast_fields(plan))
    return [KernelCall(op.index, op.kind, func, (f"&{params.name}", _src(ctx, a), _src(ctx, b), ctx.act(y.index)),
                       params, ("mcu_binary.c",), f"{list(a.shape)} {symbol} {list(b.shape)} -> bool {list(y.shape)}")]


@lowers("LOGICAL_AND")
def lower_logical_and(ctx, op):
    """bool a AND b with NumPy broadcasting (the minimum of 0/1 bytes)"""
    return _binary(ctx, op, "mcu_minimum_s8", "and")


@lowers("LOGICAL_OR")
def lower_logical_or(ctx, op):
    """bool a OR b with NumPy broadcasting (the maximum of 0/1 bytes)"""
    return _binary(ctx, op, "mcu_maximum_s8", "or")


@lowers("LOGICAL_NOT")
def lower_logical_not(ctx, op):
    """bool NOT x (a 256-entry table)"""
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _bool(op, x, y)                   # (shapes: ir/shapes.py checks the output is the input's)
    return lut_call(ctx, op, x, y, NOT_TABLE, "logical not", src=_src(ctx, x))


@lowers("REDUCE_ALL")
def lower_reduce_all(ctx, op):
    """bool AND over constant int32 axes (keep_dims either way)"""
    x, a, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.inputs[1]), ctx.tensor(op.outputs[0])
    _bool(op, x, y)
    if a.data is None or a.dtype != "int32":
        _fail(op, "the axes must be a constant int32 tensor of the model")
    rank = len(x.shape)
    if rank > MAX_DIMS:
        _fail(op, f"rank {rank} is above the supported {MAX_DIMS}")
    axes = resolve_axes(op, np.asarray(a.data).reshape(-1), rank)
    kept = [d for d in range(rank) if d not in axes]
    if int(np.prod([x.shape[d] for d in kept], dtype=np.int64)) != y.size:
        _fail(op, f"output shape {tuple(y.shape)} does not match reducing {tuple(x.shape)} over {axes}")
    strides, step = [0] * rank, 1
    for d in reversed(kept):
        strides[d] = step
        step *= int(x.shape[d])
    pad = MAX_DIMS - rank
    name = ctx.unique(f"reduce_all{op.index}")
    params = ParamStruct("mcu_reduce_minmax_params_t", f"{name}_params", (
        ("is_max", c_int(0)), ("out_size", c_int(y.size)),
        ("in_dims", c_list([1] * pad + [int(d) for d in x.shape])), ("out_strides", c_list([0] * pad + strides))))
    return [KernelCall(op.index, op.kind, "mcu_reduce_minmax_s8", (f"&{params.name}", _src(ctx, x), ctx.act(y.index)),
                       params, ("mcu_reduce_minmax.c",),
                       f"all of {tuple(x.shape)} over axes {axes} -> {tuple(y.shape)}")]
