"""SOFTMAX over the last axis, int8 in and out (output scale 1/256, zero point -128, as TFLite requires)."""

from __future__ import annotations

import math

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import quantize_multiplier
from ..records import KernelCall, ParamStruct, c_int
from ..registry import lowers
from . import s16

SCALED_DIFF_INTEGER_BITS = 5   # the reference kernel's Q5.26 input to exp()


def softmax_params(beta: float, input_scale: float) -> tuple[int, int, int]:
    """(input_multiplier, input_left_shift, diff_min) as TFLite Micro's CalculateSoftmaxParams computes them.

    PreprocessSoftmaxScaling: min(beta * input_scale * 2^(31 - 5), 2^31 - 1) as double, then
    QuantizeMultiplierGreaterThanOne; CalculateInputRadius: floor((2^5 - 1) * 2^(31 - 5) / 2^left_shift).
    beta and the scale are float32 in the model and widened to double, as the C++ does.
    """
    beta = float(np.float32(beta))
    input_scale = float(np.float32(input_scale))
    real = min(beta * input_scale * float(1 << (31 - SCALED_DIFF_INTEGER_BITS)), float((1 << 31) - 1))
    if not real > 1.0:
        raise UnsupportedModelError(
            f"SOFTMAX: beta * input_scale * 2^26 = {real} must exceed 1 (TFLite rejects this model too)")
    mult, shift = quantize_multiplier(real)   # QuantizeMultiplierGreaterThanOne
    if shift < 0:
        raise UnsupportedModelError(f"SOFTMAX: multiplier {real} gives a negative shift {shift}")
    radius = (((1 << SCALED_DIFF_INTEGER_BITS) - 1) * float(1 << (31 - SCALED_DIFF_INTEGER_BITS))
              / float(1 << shift))
    diff_min = -int(math.floor(radius))
    return mult, shift, diff_min


@lowers("SOFTMAX")
def lower_softmax(ctx, op):
    if s16.is_int16(ctx, op):
        return s16.lower_softmax_s16(ctx, op)
    x = ctx.tensor(op.inputs[0])
    y = ctx.tensor(op.outputs[0])
    where = f"SOFTMAX (op {op.index})"
    if x.dtype != "int8" or y.dtype != "int8":
        raise UnsupportedModelError(f"{where}: {x.dtype} -> {y.dtype} is not supported (int8 -> int8 only)")
    if x.quant is None or y.quant is None:
        raise UnsupportedModelError(f"{where}: input and output must be quantised")
    if y.zero_point != -128 or np.float32(y.scale) != np.float32(1.0 / 256):
        raise UnsupportedModelError(f"{where}: the output must have scale 1/256 and zero point -128 "
                                    f"(TFLite requires it), got scale {y.scale} zero point {y.zero_point}")
    if len(x.shape) < 1 or tuple(x.shape) != tuple(y.shape):
        raise UnsupportedModelError(f"{where}: input {x.shape} and output {y.shape} shapes must match")
    depth = int(x.shape[-1])
    outer = x.size // depth if depth else 0
    mult, shift, diff_min = softmax_params(op.attrs.beta, x.scale)
    name = ctx.unique(f"softmax{op.index}")
    params = ParamStruct("mcu_softmax_params_t", f"{name}_params", (
        ("outer", c_int(outer)),
        ("depth", c_int(depth)),
        ("input_multiplier", c_int(mult)),
        ("input_left_shift", c_int(shift)),
        ("diff_min", c_int(diff_min)),
    ))
    return [KernelCall(op.index, op.kind, "mcu_softmax_s8",
                       (f"&{params.name}", ctx.act(x.index), ctx.act(y.index)),
                       params, ("mcu_softmax.c",),
                       f"{outer} rows of {depth}, beta {op.attrs.beta:g}")]


# ---- LOG_SOFTMAX -----------------------------------------------------------------------------------

LOG_SOFTMAX_OUT_SHIFT = 31 - SCALED_DIFF_INTEGER_BITS - 4     # Q5.26 -> the output's 4 integer bits


def log_softmax_tables(input_scale: float) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """TFLite Micro's int8 LOG_SOFTMAX prepare (PreprocessLogSoftmaxScalingExp, beta 1) and, per difference
    d = max - q in 0..255, exp(-d) in Q12.19 as the kernel sums it (0 below diff_min) and -d in Q5.26."""
    from .activations import exp_on_negative_values, mul_by_quantized_multiplier, rdbpot
    mult, shift, diff_min = softmax_params(1.0, input_scale)     # shift >= 1 there: 2^(31 - shift) fits int32
    rev_mult, rev_shift = quantize_multiplier(float(1 << (31 - shift)) / float(mult))
    diff_q5 = np.array([mul_by_quantized_multiplier(-d, mult, shift) for d in range(256)], dtype=np.int64)
    exp_q12 = np.array([rdbpot(exp_on_negative_values(int(v), SCALED_DIFF_INTEGER_BITS), 12) if -d >= diff_min
                        else 0 for d, v in enumerate(diff_q5)], dtype=np.int64)
    params = dict(diff_min=diff_min, reverse_mult=rev_mult, reverse_shift=rev_shift)
    return params, exp_q12.astype(np.int32), diff_q5.astype(np.int32)


@lowers("LOG_SOFTMAX")
def lower_log_softmax(ctx, op):
    """int8 log-softmax over the last axis; output scale 16/256, zero point 127 (TFLite Micro's arithmetic)"""
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    where = f"LOG_SOFTMAX (op {op.index})"
    if x.dtype != "int8" or y.dtype != "int8" or x.quant is None or y.quant is None:
        raise UnsupportedModelError(f"{where}: {x.dtype} -> {y.dtype} is not supported (quantised int8 only)")
    if y.zero_point != 127 or np.float32(y.scale) != np.float32(16.0 / 256):
        raise UnsupportedModelError(f"{where}: the output must have scale 16/256 and zero point 127 (TFLite "
                                    f"requires it), got scale {y.scale:g} zero point {y.zero_point}")
    if len(x.shape) < 1 or tuple(x.shape) != tuple(y.shape):
        raise UnsupportedModelError(f"{where}: input {x.shape} and output {y.shape} shapes must match")
    try:
        q, exp_q12, diff_q5 = log_softmax_tables(x.scale)
    except UnsupportedModelError as e:
        raise UnsupportedModelError(f"{where}: {e}") from None
    depth = int(x.shape[-1])
    name = ctx.unique(f"log_softmax{op.index}")
    params = ParamStruct("mcu_log_softmax_params_t", f"{name}_params", (
        ("rows", c_int(x.size // depth)), ("depth", c_int(depth)), ("diff_min", c_int(q["diff_min"])),
        ("reverse_mult", c_int(q["reverse_mult"])), ("reverse_shift", c_int(q["reverse_shift"]))))
    exp_arr = ctx.const(exp_q12, "int32_t", f"{name}_exp")
    diff_arr = ctx.const(diff_q5, "int32_t", f"{name}_diff")
    return [KernelCall(op.index, op.kind, "mcu_log_softmax_s8",
                       (f"&{params.name}", exp_arr, diff_arr, ctx.act(x.index), ctx.act(y.index)),
                       params, ("mcu_log_softmax.c",), f"{x.size // depth} rows of {depth}")]
