"""MEAN and SUM, int8, any axes, keep_dims either way: TFLite Micro's reference_ops::QuantizedMeanOrSum.

TFLite Micro (reduce_common.cc) sends every int8 MEAN through QuantizedMeanOrSum: sum the raw int8
values per output element into int32, subtract zero_point * n, then one requantisation whose multiplier
has 1/n folded in:  shift_n = min(floor(log2 n), 32, 31 + shift);  mult' = (mult << shift_n) / n
(int64, truncating);  shift' = shift - shift_n. We do the folding here, at compile time.
SUM takes the same path without the folding (compute_sum=true).
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import quantize_multiplier
from ..records import KernelCall, ParamStruct, c_int, c_list
from ..registry import lowers

MAX_DIMS = 6    # MCU_MAX_DIMS in firmware/mcu_nn.h


def _fail(op, msg: str):
    raise UnsupportedModelError(f"{op.kind} (op {op.index}): {msg}")


def resolve_axes(op, axes, rank: int) -> list[int]:
    """TFLite's ResolveAxis: negative axes count from the end; duplicates count once."""
    out: list[int] = []
    for a in axes:
        a = int(a)
        r = a + rank if a < 0 else a
        if not 0 <= r < rank:
            _fail(op, f"axis {a} is out of range for rank {rank}")
        if r not in out:
            out.append(r)
    return out


def mean_multiplier(in_scale: float, out_scale: float, n: int) -> tuple[int, int]:
    """The (multiplier, shift) QuantizedMeanOrSum applies to (sum - zero_point * n)."""
    mult, shift = quantize_multiplier(float(in_scale) / float(out_scale))
    s = n.bit_length() - 1              # 63 - CountLeadingZeros(n)
    s = min(s, 32)
    s = min(s, 31 + shift)
    mult = (mult << s) // n             # both non-negative: floor == C++ truncation
    return int(mult), int(shift - s)


def _mean_inputs(ctx, op):
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    for t in (x, y):
        if t.dtype != "int8" or t.quant is None or t.quant.per_channel:
            _fail(op, f"tensor '{t.name}' must be per-tensor int8 (got {t.dtype})")
    if len(x.shape) > MAX_DIMS:
        _fail(op, f"rank {len(x.shape)} is above the supported {MAX_DIMS}")
    if len(op.inputs) < 2 or op.inputs[1] < 0 or ctx.tensor(op.inputs[1]).data is None:
        _fail(op, "the axes must be a constant tensor of the model")
    a = ctx.tensor(op.inputs[1])
    if a.dtype != "int32":
        _fail(op, f"the axes tensor is {a.dtype}; TFLite Micro supports int32 only")
    axes = resolve_axes(op, np.asarray(a.data).reshape(-1), len(x.shape))
    if any(d == 0 for d in x.shape):
        _fail(op, "empty input tensors are not supported")
    return x, y, axes


@lowers("MEAN")
def lower_mean(ctx, op):
    return _lower_mean_or_sum(ctx, op, compute_sum=False)


@lowers("SUM")
def lower_sum(ctx, op):
    """SUM: the same kernel, without the 1/n folded into the multiplier (QuantizedMeanOrSum with
    compute_sum=true). TFLite Micro is the oracle: LiteRT's reference int8 SUM is known to be wrong."""
    return _lower_mean_or_sum(ctx, op, compute_sum=True)


def _lower_mean_or_sum(ctx, op, compute_sum: bool):
    x, y, axes = _mean_inputs(ctx, op)
    rank = len(x.shape)
    n = int(np.prod([x.shape[a] for a in axes], dtype=np.int64))
    kept = [x.shape[d] for d in range(rank) if d not in axes]
    if int(np.prod(kept, dtype=np.int64)) != y.size:
        _fail(op, f"output shape {tuple(y.shape)} does not match reducing {tuple(x.shape)} over {axes}")
    if compute_sum:
        mult, shift = quantize_multiplier(float(x.scale) / float(y.scale))
    else:
        mult, shift = mean_multiplier(x.scale, y.scale, n)
    pad = MAX_DIMS - rank
    name = ctx.unique(f"{'sum' if compute_sum else 'mean'}{op.index}")
    params = ParamStruct("mcu_mean_params_t", f"{name}_params", (
        ("rank", c_int(rank)),
        ("in_dims", c_list([1] * pad + [int(d) for d in x.shape])),
        ("reduce", c_list([0] * pad + [1 if d in axes else 0 for d in range(rank)])),
        ("num_elements_reduced", c_int(n)),
        ("input_zero_point", c_int(x.zero_point)),
        ("output_zero_point", c_int(y.zero_point)),
        ("mult", c_int(mult)),
        ("shift", c_int(shift)),
    ))
    src = ctx.weight(x.index, "int8_t") if x.is_const else ctx.act(x.index)
    return [KernelCall(op.index, op.kind, "mcu_mean_s8",
                       (f"&{params.name}", ctx.scratch(op, "int32_t"), src, ctx.act(y.index)),
                       params, ("mcu_mean.c",),
                       f"{tuple(x.shape)} over axes {axes} -> {tuple(y.shape)}")]


# ---- REDUCE_MAX / REDUCE_MIN ---------------------------------------------------------------------

def _lower_minmax(ctx, op, is_max: bool):
    x, y, axes = _mean_inputs(ctx, op)
    if np.float32(x.scale) != np.float32(y.scale) or x.zero_point != y.zero_point:
        _fail(op, f"input scale {x.scale:g} zero point {x.zero_point}, output scale {y.scale:g} zero point "
                  f"{y.zero_point}; TFLite reduces the raw int8 codes, so both must share one quantisation")
    rank = len(x.shape)
    kept = [d for d in range(rank) if d not in axes]
    if int(np.prod([x.shape[d] for d in kept], dtype=np.int64)) != y.size:
        _fail(op, f"output shape {tuple(y.shape)} does not match reducing {tuple(x.shape)} over {axes}")
    strides, step = [0] * rank, 1
    for d in reversed(kept):
        strides[d] = step
        step *= int(x.shape[d])
    pad = MAX_DIMS - rank
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    params = ParamStruct("mcu_reduce_minmax_params_t", f"{name}_params", (
        ("is_max", c_int(1 if is_max else 0)),
        ("out_size", c_int(y.size)),
        ("in_dims", c_list([1] * pad + [int(d) for d in x.shape])),
        ("out_strides", c_list([0] * pad + strides)),
    ))
    src = ctx.weight(x.index, "int8_t") if x.is_const else ctx.act(x.index)
    return [KernelCall(op.index, op.kind, "mcu_reduce_minmax_s8", (f"&{params.name}", src, ctx.act(y.index)),
                       params, ("mcu_reduce_minmax.c",),
                       f"{'max' if is_max else 'min'} of {tuple(x.shape)} over axes {axes} -> {tuple(y.shape)}")]


@lowers("REDUCE_MAX")
def lower_reduce_max(ctx, op):
    """int8 max over constant axes (keep_dims either way); input and output quantised alike"""
    return _lower_minmax(ctx, op, True)


@lowers("REDUCE_MIN")
def lower_reduce_min(ctx, op):
    """int8 min over constant axes (keep_dims either way); input and output quantised alike"""
    return _lower_minmax(ctx, op, False)
