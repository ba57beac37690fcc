"""SOFTMAX over the last axis, int8 in and out (output scale 1/256, zero point -128, as TFLite requires)."""

from __future__ import annotations

import math

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import quantize_multiplier
from ..records import KernelCall, ParamStruct, c_int
from ..registry import lowers

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
