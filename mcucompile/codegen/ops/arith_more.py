"""PRELU, SQUARED_DIFFERENCE and ADD_N (int8), TFLite Micro's integer arithmetic.

- PRELU (firmware/mcu_prelu.c): alpha broadcast against the input (per channel, a scalar, any NumPy-style
  broadcast), TFLite Micro's CalculatePreluParams (double ratios s_in / s_out and s_in * s_alpha / s_out)
  and reference_ops::BroadcastPrelu4DSlow. Alpha must be quantised per tensor (TFLite reads one scale).
- SQUARED_DIFFERENCE (firmware/mcu_squared_diff.c): broadcasting, left shift 7, both inputs rescaled to twice
  the larger input scale, the difference squared in int32, rescaled by (2 max)^2 / (2^14 s_out).
- ADD_N (firmware/mcu_add_n.c): 2..8 inputs of one shape sharing one quantisation (TFLite Micro requires
  it), reference_ops::AddN's sum, including its extra term for the value -zero point.
All three use the double-rounding MultiplyByQuantizedMultiplier, like the rest of the library.
"""

from __future__ import annotations

import numpy as np

from ...errors import UnsupportedModelError
from ...ir.quant import quantize_multiplier
from ..records import KernelCall, ParamStruct, c_int
from ..registry import lowers
from .elementwise import _binary_operands, _broadcast_fields, _check_int8, _operand

F32 = np.float32


def prelu_quant_params(s_in: float, s_alpha: float, s_out: float) -> tuple[int, int, int, int]:
    """CalculatePreluParams: (mult_pos, shift_pos, mult_neg, shift_neg) from the float32 scales in double."""
    s_in, s_alpha, s_out = (float(F32(s)) for s in (s_in, s_alpha, s_out))
    m1, sh1 = quantize_multiplier(s_in / s_out)
    m2, sh2 = quantize_multiplier(s_in * s_alpha / s_out)
    return m1, sh1, m2, sh2


@lowers("PRELU")
def lower_prelu(ctx, op):
    """int8 PReLU, alpha broadcast against the input (per channel or a scalar), TFLite Micro's arithmetic"""
    x, alpha, y, plan = _binary_operands(ctx, op)
    if tuple(y.shape) != tuple(np.broadcast_shapes(tuple(x.shape), tuple(alpha.shape))):
        raise UnsupportedModelError(f"PRELU (op {op.index}): output shape {tuple(y.shape)} is not the broadcast "
                                    f"of the input {tuple(x.shape)} and alpha {tuple(alpha.shape)}")
    m1, sh1, m2, sh2 = prelu_quant_params(x.scale, alpha.scale, y.scale)
    name = ctx.unique(f"prelu{op.index}")
    params = ParamStruct("mcu_prelu_params_t", f"{name}_params", _broadcast_fields(plan) + (
        ("input_offset", c_int(-x.zero_point)),
        ("alpha_offset", c_int(-alpha.zero_point)),
        ("output_offset", c_int(y.zero_point)),
        ("mult_pos", c_int(m1)), ("shift_pos", c_int(sh1)),
        ("mult_neg", c_int(m2)), ("shift_neg", c_int(sh2)),
    ))
    return [KernelCall(op.index, op.kind, "mcu_prelu_s8",
                       (f"&{params.name}", _operand(ctx, x.index), _operand(ctx, alpha.index), ctx.act(y.index)),
                       params, ("mcu_prelu.c",), f"prelu({list(x.shape)}, alpha {list(alpha.shape)})")]


SQDIFF_LEFT_SHIFT = 7


def squared_difference_quant_params(s1: float, s2: float, s_out: float) -> dict[str, int]:
    """TFLite Micro's SQUARED_DIFFERENCE PrepareQuantized for int8 (double from the float32 scales)."""
    f1, f2, fo = F32(s1), F32(s2), F32(s_out)
    twice_max = 2.0 * float(max(f1, f2))
    out_real = twice_max * twice_max / float(F32(F32(1 << (2 * SQDIFF_LEFT_SHIFT)) * fo))
    q = {}
    for key, m in (("in1", float(f1) / twice_max), ("in2", float(f2) / twice_max), ("out", out_real)):
        q[f"{key}_mult"], q[f"{key}_shift"] = quantize_multiplier(m)
    return q


@lowers("SQUARED_DIFFERENCE")
def lower_squared_difference(ctx, op):
    """int8 (a - b)^2 with NumPy broadcasting (up to 6-D), TFLite Micro's arithmetic"""
    a, b, y, plan = _binary_operands(ctx, op)
    q = squared_difference_quant_params(a.scale, b.scale, y.scale)
    name = ctx.unique(f"squared_difference{op.index}")
    params = ParamStruct("mcu_squared_diff_params_t", f"{name}_params", _broadcast_fields(plan) + (
        ("in1_offset", c_int(-a.zero_point)),
        ("in2_offset", c_int(-b.zero_point)),
        ("output_offset", c_int(y.zero_point)),
        ("left_shift", c_int(SQDIFF_LEFT_SHIFT)),
        ("in1_mult", c_int(q["in1_mult"])), ("in1_shift", c_int(q["in1_shift"])),
        ("in2_mult", c_int(q["in2_mult"])), ("in2_shift", c_int(q["in2_shift"])),
        ("out_mult", c_int(q["out_mult"])), ("out_shift", c_int(q["out_shift"])),
    ))
    return [KernelCall(op.index, op.kind, "mcu_squared_diff_s8",
                       (f"&{params.name}", _operand(ctx, a.index), _operand(ctx, b.index), ctx.act(y.index)),
                       params, ("mcu_squared_diff.c",), f"({list(a.shape)} - {list(b.shape)})^2 -> {list(y.shape)}")]


ADD_N_MAX_INPUTS = 8      # MCU_ADD_N_MAX_INPUTS in firmware/mcu_nn.h
ADD_N_LEFT_SHIFT = 20


def add_n_quant_params(s_in: float, s_out: float) -> tuple[int, int, int, int]:
    """TFLite Micro's ADD_N CalculateOpData for int8: (in_mult, in_shift, out_mult, out_shift)."""
    s_in, s_out = float(F32(s_in)), float(F32(s_out))
    twice = 2.0 * s_in
    im, ish = quantize_multiplier(s_in / twice)
    om, osh = quantize_multiplier(twice / (float(1 << ADD_N_LEFT_SHIFT) * s_out))
    return im, ish, om, osh


@lowers("ADD_N")
def lower_add_n(ctx, op):
    """int8 sum of 2..8 tensors of one shape and one quantisation (TFLite Micro's arithmetic)"""
    xs = [ctx.tensor(i) for i in op.inputs]
    y = ctx.tensor(op.outputs[0])
    _check_int8(op, (*xs, y))
    where = f"ADD_N (op {op.index})"
    if not 2 <= len(xs) <= ADD_N_MAX_INPUTS:
        raise UnsupportedModelError(f"{where}: {len(xs)} inputs; 2 to {ADD_N_MAX_INPUTS} are supported")
    for x in xs:
        if tuple(x.shape) != tuple(y.shape):
            raise UnsupportedModelError(f"{where}: input {x.name!r} has shape {tuple(x.shape)}, the output "
                                        f"{tuple(y.shape)}; TFLite Micro needs every input of the output's shape")
        if F32(x.scale) != F32(xs[0].scale) or x.zero_point != xs[0].zero_point:
            raise UnsupportedModelError(f"{where}: input {x.name!r} is quantised with scale {x.scale:g} zero "
                                        f"point {x.zero_point}, input {xs[0].name!r} with scale "
                                        f"{xs[0].scale:g} zero point {xs[0].zero_point}; TFLite Micro needs "
                                        "one quantisation on every input")
    im, ish, om, osh = add_n_quant_params(xs[0].scale, y.scale)
    if osh > 0:
        raise UnsupportedModelError(f"{where}: output scale {y.scale:g} is too small for the input scale "
                                    f"{xs[0].scale:g} (TFLite's output multiplier must be below 1)")
    name = ctx.unique(f"add_n{op.index}")
    params = ParamStruct("mcu_add_n_params_t", f"{name}_params", (
        ("n", c_int(len(xs))), ("size", c_int(y.size)),
        ("input_offset", c_int(-xs[0].zero_point)), ("output_offset", c_int(y.zero_point)),
        ("left_shift", c_int(ADD_N_LEFT_SHIFT)),
        ("in_mult", c_int(im)), ("in_shift", c_int(ish)),
        ("out_mult", c_int(om)), ("out_shift", c_int(osh)),
        ("act_min", c_int(-128)), ("act_max", c_int(127)),
    ))
    ins = [_operand(ctx, x.index) for x in xs] + ["NULL"] * (ADD_N_MAX_INPUTS - len(xs))
    return [KernelCall(op.index, op.kind, "mcu_add_n_s8", (f"&{params.name}", *ins, ctx.act(y.index)),
                       params, ("mcu_add_n.c",), f"sum of {len(xs)} x {list(y.shape)}")]


# ---- CUMSUM --------------------------------------------------------------------------------------

@lowers("CUMSUM")
def lower_cumsum(ctx, op):
    """int8 running sum along a constant axis (exclusive, reverse), TFLite Micro's arithmetic"""
    x, y = ctx.tensor(op.inputs[0]), ctx.tensor(op.outputs[0])
    _check_int8(op, (x, y))
    where = f"CUMSUM (op {op.index})"
    a = ctx.tensor(op.inputs[1])
    if a.data is None or a.dtype != "int32" or np.asarray(a.data).size != 1:
        raise UnsupportedModelError(f"{where}: the axis must be one constant int32 value")
    rank = len(x.shape)
    axis = int(np.asarray(a.data).reshape(-1)[0])
    axis = axis + rank if axis < 0 else axis
    if not 0 <= axis < rank or tuple(x.shape) != tuple(y.shape):
        raise UnsupportedModelError(f"{where}: axis {axis} of input {tuple(x.shape)} with output {tuple(y.shape)} "
                                    "is not a running sum TFLite computes")
    im, ish, om, osh = add_n_quant_params(x.scale, y.scale)     # CUMSUM's Prepare is ADD_N's
    if osh > 0:
        raise UnsupportedModelError(f"{where}: output scale {y.scale:g} is too small for the input scale "
                                    f"{x.scale:g} (TFLite's output multiplier must be below 1)")
    before = int(np.prod(x.shape[:axis], dtype=np.int64))
    after = int(np.prod(x.shape[axis + 1:], dtype=np.int64))
    name = ctx.unique(f"cumsum{op.index}")
    params = ParamStruct("mcu_cumsum_params_t", f"{name}_params", (
        ("before", c_int(before)), ("depth", c_int(x.shape[axis])), ("after", c_int(after)),
        ("exclusive", c_int(int(op.attrs.exclusive))), ("reverse", c_int(int(op.attrs.reverse))),
        ("input_offset", c_int(-x.zero_point)), ("output_offset", c_int(y.zero_point)),
        ("left_shift", c_int(ADD_N_LEFT_SHIFT)),
        ("in_mult", c_int(im)), ("in_shift", c_int(ish)), ("out_mult", c_int(om)), ("out_shift", c_int(osh)),
    ))
    return [KernelCall(op.index, op.kind, "mcu_cumsum_s8", (f"&{params.name}", _operand(ctx, x.index),
                                                           ctx.act(y.index)),
                       params, ("mcu_cumsum.c",), f"cumsum of {list(x.shape)} along axis {axis}")]
