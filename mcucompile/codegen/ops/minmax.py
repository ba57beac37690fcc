"""ABS and NEG (int8 -> int8 tables, like the unary activations) and MAXIMUM / MINIMUM (broadcasting binary
ops on raw codes, firmware/mcu_binary.c).

ABS follows TFLite Micro's AbsEvalQuantized (kernels/elementwise.cc): |q - input zero point|, then, when
the float32 scales differ, MultiplyByQuantizedMultiplier by QuantizeMultiplier(double(s_in) / double(s_out))
(double rounding), plus the output zero point, saturated to int8. When the scales are equal it only moves
the zero point. That is a function of the input code, so it is a 256-entry table for mcu_lut_s8.

NEG: TFLite Micro has no int8 NEG kernel (neg.cc takes float32 only), and LiteRT's int8 NEG is
reference_ops::Negate on the raw codes, `(int8_t)-q`, whatever the quantisation (so -(-128) wraps to -128).
That is only the real negation when both tensors have zero point 0 and the same scale; we accept exactly
that case and reproduce LiteRT (the only reference that runs it) bit for bit, wrap included, and refuse
any other quantisation rather than invent an arithmetic no reference checks.

MAXIMUM / MINIMUM: TFLite's reference_ops::MaximumMinimumBroadcastSlow compares the raw int8 codes, which
is only meaningful when both inputs and the output share one quantisation (the converter always makes it
so); anything else is refused. Broadcasting uses the ADD/MUL stride plan (elementwise.broadcast_plan).
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import quantize_multiplier
from ..records import KernelCall, ParamStruct
from ..registry import lowers
from .activations import INPUTS, _unary_io, lut_call, mul_by_quantized_multiplier
from .elementwise import _binary_operands, _broadcast_fields, _naming, _operand
from .int32_ops import is_int32, lower_int32_binary

ABS_MAX_LEFT_SHIFT = 23    # |q - zp| <= 255 < 2^8: value << shift stays inside int32 up to 2^23


def abs_table(input_scale: float, input_zero_point: int, output_scale: float,
              output_zero_point: int) -> np.ndarray:
    """TFLite Micro's int8 ABS on every input code (index: code + 128)."""
    value = np.abs(INPUTS - input_zero_point)
    if np.float32(input_scale) == np.float32(output_scale):       # needs_rescale = input_scale != output_scale
        out = value + output_zero_point
    else:
        mult, shift = quantize_multiplier(float(np.float32(input_scale)) / float(np.float32(output_scale)))
        if shift > ABS_MAX_LEFT_SHIFT:
            raise UnsupportedModelError(
                f"input scale {input_scale:g} / output scale {output_scale:g} is too large (shift {shift} > "
                f"{ABS_MAX_LEFT_SHIFT}): TFLite's int32 rescale of |q - zero point| would overflow")
        out = np.array([mul_by_quantized_multiplier(int(v), mult, shift) for v in value]) + output_zero_point
    return np.clip(out, -128, 127).astype(np.int8)


def neg_table() -> np.ndarray:
    """LiteRT's int8 NEG, (int8_t)-q on the raw code: -(-128) wraps to -128."""
    return (-INPUTS).astype(np.int8)


@lowers("ABS")
def lower_abs(ctx, op):
    """int8 |x| with TFLite Micro's requantisation to the output scale, as a 256-entry table"""
    x, y, _ = _unary_io(ctx, op)
    table = _naming(op, abs_table, x.scale, x.zero_point, y.scale, y.zero_point)
    return lut_call(ctx, op, x, y, table, "absolute value")


@lowers("NEG")
def lower_neg(ctx, op):
    """int8 -x; input and output with zero point 0 and one scale (LiteRT's raw-code negation)"""
    x, y, where = _unary_io(ctx, op)
    if x.zero_point != 0 or y.zero_point != 0 or np.float32(x.scale) != np.float32(y.scale):
        raise UnsupportedModelError(
            f"{where}: int8 NEG needs zero point 0 and one scale on input and output (LiteRT negates the "
            f"raw codes; TFLite Micro has no int8 NEG), got input scale {x.scale:g} zero point "
            f"{x.zero_point}, output scale {y.scale:g} zero point {y.zero_point}")
    return lut_call(ctx, op, x, y, neg_table(), "negation")


def _minmax(ctx, op, func: str, symbol: str):
    if is_int32(ctx, op):
        return lower_int32_binary(ctx, op)
    a, b, y, plan = _binary_operands(ctx, op)
    for t in (a, b):
        if np.float32(t.scale) != np.float32(y.scale) or t.zero_point != y.zero_point:
            raise UnsupportedModelError(
                f"{op.kind} (op {op.index}): tensor {t.name!r} is quantised with scale {t.scale:g} zero point "
                f"{t.zero_point}, the output with scale {y.scale:g} zero point {y.zero_point}; TFLite compares "
                "raw int8 codes, so both inputs and the output must share one quantisation")
    name = ctx.unique(f"{op.kind.lower()}{op.index}")
    params = ParamStruct("mcu_minmax_params_t", f"{name}_params", _broadcast_fields(plan))
    return [KernelCall(op.index, op.kind, func,
                       (f"&{params.name}", _operand(ctx, a.index), _operand(ctx, b.index), ctx.act(y.index)),
                       params, ("mcu_binary.c",), f"{symbol}({list(a.shape)}, {list(b.shape)}) -> {list(y.shape)}")]


@lowers("MAXIMUM")
def lower_maximum(ctx, op):
    """int8 elementwise max with NumPy broadcasting (up to 6-D); inputs and output quantised alike"""
    return _minmax(ctx, op, "mcu_maximum_s8", "max")


@lowers("MINIMUM")
def lower_minimum(ctx, op):
    """int8 elementwise min with NumPy broadcasting (up to 6-D); inputs and output quantised alike"""
    return _minmax(ctx, op, "mcu_minimum_s8", "min")
